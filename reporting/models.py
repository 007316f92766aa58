"""The campaign as data (phases, milestones, deadlines) and each community's enrolment in it."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from districts.models import Community, Department, District
from standards.models import StandardVersion

DEFAULT_DOCUMENT_NUMBER_PATTERN = "津建绿〔{year}〕{number}号"


def document_number_pattern_check(pattern: str) -> None:
    """A pattern writes the year with {year} and the number with {number}, and nothing else in braces."""
    try:
        example = pattern.format(year=2022, number=12)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValidationError(
            _("Write the year as {year} and the number as {number}; no other braces, e.g. 津建绿〔{year}〕{number}号.")
        ) from exc
    if "{number}" not in pattern or example == pattern.format(year=2022, number=13):
        raise ValidationError(_("The pattern must contain {number}, where each document's own number goes."))


class CampaignQuerySet(models.QuerySet):
    def current(self) -> Campaign | None:
        return self.filter(is_current=True).first() or self.order_by("-starts_on").first()

    def started(self, on: datetime.date) -> CampaignQuerySet:
        """The campaigns begun by `on`, in the order they began: each keeps its figures up to date, as the
        communities' titles, the roster and late reports go on changing them after it ends."""
        return self.filter(starts_on__lte=on).order_by("starts_on", "pk")


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=100)
    issued_by = models.CharField(_("issuing body"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    counts_similar_communities = models.BooleanField(
        _("units like a residents committee count towards the roster"),
        default=False,
        help_text=_("Whether units like a residents' committee (类似居委会) count as urban communities."),
    )
    is_current = models.BooleanField(_("current campaign"), default=False)
    # The campaign names its standard (and not the version its campaign): `standards` knows nothing of campaigns.
    standard = models.ForeignKey(
        StandardVersion, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("standard")
    )
    returned_alert_days = models.PositiveSmallIntegerField(
        _("days before the commission is told of a returned report"),
        default=5,
        help_text=_("A report returned to a district and not resubmitted within this many days is flagged."),
    )
    # The bulletin is an official document (GB/T 9704): its number (发文字号) and to whom it is sent (主送机关).
    document_number_pattern = models.CharField(
        _("document number pattern"),
        max_length=60,
        default=DEFAULT_DOCUMENT_NUMBER_PATTERN,
        validators=[document_number_pattern_check],
        help_text=_(
            "How the bulletin's document number (发文字号) is written: {year} is the year of issue, {number} the "
            "document's number in that year, counted in “document numbers”."
        ),
    )
    main_recipients = models.CharField(
        _("main recipients"),
        max_length=200,
        default="各区人民政府",
        help_text=_("To whom the bulletin is addressed (主送机关), printed below its title."),
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="one_current_campaign"),
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="campaign_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def asks_for_pilots(self) -> bool:
        """Whether the campaign sets a pilots-in-every-subdistrict milestone (the first did; a later one need not),
        so that its pages speak of pilots only then."""
        return any(m.kind == Milestone.Kind.PILOTS_PER_STREET for m in self.milestones.all())


class Phase(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("name"), max_length=64)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    class Kind(models.TextChoices):
        PILOTS_PER_STREET = "pilots_per_street", _("pilots in every subdistrict")
        MET_SHARE = "met_share", _("share of communities meeting the standard")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    due_on = models.DateField(_("due on"))
    target_share = models.DecimalField(
        _("target share"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )
    min_pilots_per_street = models.PositiveSmallIntegerField(_("pilots per subdistrict"), null=True, blank=True)

    class Meta:
        ordering = ["due_on"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.name


def _default_before() -> list[int]:
    return [3, 1]


def _default_after() -> list[int]:
    return [1, 3, 7]


class Deadline(models.Model):
    """A reporting deadline: a fixed date, a yearly date (month + day) or a day of the following month."""

    class Kind(models.TextChoices):
        MONTHLY_REPORT = "monthly_report", _("monthly progress report")
        IMPLEMENTATION_PLAN = "implementation_plan", _("district implementation plan")
        ANNUAL_REPORT = "annual_report", _("annual work report and next year's plan")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    due_on = models.DateField(_("fixed date"), null=True, blank=True)
    month = models.PositiveSmallIntegerField(
        _("month each year"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    day = models.PositiveSmallIntegerField(
        _("day"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    remind_days_before = models.JSONField(
        _("remind this many days before"),
        default=_default_before,
        blank=True,
        help_text=_("A list of whole days, e.g. [3, 1]. Only those who have not submitted are reminded."),
    )
    remind_days_after = models.JSONField(
        _("remind this many days after"),
        default=_default_after,
        blank=True,
        help_text=_("A list of whole days after the due day, e.g. [1, 3, 7]."),
    )

    class Meta:
        ordering = ["kind"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [models.UniqueConstraint(fields=["campaign", "kind"], name="one_deadline_per_kind")]

    def __str__(self) -> str:
        return self.name

    def next_due_on(self, after: datetime.date) -> datetime.date | None:
        """The first due date on or after `after` within the campaign, or None when none is left."""
        if self.due_on:
            return self.due_on if self.due_on >= after else None
        if self.month and self.day:
            for year in (after.year, after.year + 1):
                due = _clamped(year, self.month, self.day)
                if due >= after:
                    return due if due <= _year_end(self.campaign.ends_on) else None
        if self.day and not self.month:
            # Monthly report for month M is due on `day` of month M+1; the last is for the campaign's last month.
            due = _clamped(after.year, after.month, self.day)
            if due < after:
                due = _clamped(*_next_month(after.year, after.month), self.day)
            last = _clamped(*_next_month(self.campaign.ends_on.year, self.campaign.ends_on.month), self.day)
            return due if due <= last else None
        return None

    def due_for(self, period: datetime.date) -> datetime.date:
        """The due date of the report for `period` (a month's first day, a year's 1 January, or any day)."""
        if self.due_on:
            return self.due_on
        if self.month and self.day:
            return _clamped(period.year, self.month, self.day)
        return _clamped(*_next_month(period.year, period.month), self.day or 1)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _clamped(year: int, month: int, day: int) -> datetime.date:
    return datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _year_end(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 12, 31)


class EnrolmentQuerySet(models.QuerySet):
    def active_on(self, on: datetime.date) -> EnrolmentQuerySet:
        return self.filter(joined_on__lte=on).filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=on))

    def active(self) -> EnrolmentQuerySet:
        return self.filter(withdrawn_on__isnull=True)


class Enrolment(models.Model):
    """A community taking part in a campaign, from `joined_on` until `withdrawn_on`. Rows are never deleted."""

    class Kind(models.TextChoices):
        PILOT = "pilot", _("pilot")
        BATCH = "batch", _("later batch")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="enrolments")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="enrolments")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    joined_on = models.DateField(_("joined on"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("reason for withdrawal"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["joined_on", "id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "community"], condition=Q(withdrawn_on__isnull=True), name="one_active_enrolment"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=models.F("joined_on")),
                name="enrolment_withdrawn_after_joining",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "community"])]

    def __str__(self) -> str:
        return f"{self.community} · {self.get_kind_display()} · {self.joined_on}"


def period_label(kind: str, period: datetime.date, campaign: Campaign) -> str:
    """How a report's period reads: 2021年3月, 2021年度, or the campaign for an implementation plan."""
    if kind == Report.Kind.MONTHLY:
        return f"{period.year}年{period.month}月"
    if kind == Report.Kind.ANNUAL:
        return f"{period.year}年度"
    return str(campaign)


class ReportQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ReportQuerySet:
        from districts.scope import scope_of

        scope = scope_of(user)
        if scope.is_commission:
            return self
        if scope.role == "department_staff":
            return self.filter(department_id=scope.department_id)
        if scope.district_id:
            return self.filter(district_id=scope.district_id)
        return self.none()

    def waiting_for_review(self) -> ReportQuerySet:
        return self.filter(status__in=[Report.Status.SUBMITTED, Report.Status.RESUBMITTED])


class Report(models.Model):
    """A report filed by a district (monthly, implementation plan, annual) or a department (annual).

    Every kind goes through one workflow: draft → submitted → returned → resubmitted → accepted (locked), with
    unlocking by the commission. Only `reporting.services` changes `status`; each change is a `ReportEvent`.
    `version` grows with every save, so a save made on an older copy is refused instead of overwriting.
    """

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("monthly progress report")
        IMPLEMENTATION_PLAN = "implementation_plan", _("district implementation plan")
        ANNUAL = "annual", _("annual work report and next year's plan")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned for changes")
        RESUBMITTED = "resubmitted", _("resubmitted")
        ACCEPTED = "accepted", _("accepted")

    EDITABLE = (Status.DRAFT, Status.RETURNED)

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="reports", verbose_name=_("district")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("department"),
    )
    # Monthly: the month's first day; annual: 1 January of the year; implementation plan: the campaign's start.
    period = models.DateField(_("period"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)

    # Narrative. What each field is called depends on the kind (see `reporting.reports.narrative`).
    progress = models.TextField(_("progress"), blank=True, max_length=20000)
    practices = models.TextField(_("practices and experience"), blank=True, max_length=20000)
    problems = models.TextField(_("problems"), blank=True, max_length=20000)
    next_plan = models.TextField(_("plan"), blank=True, max_length=20000)
    overall_target = models.TextField(_("overall target"), blank=True, max_length=20000)
    measures = models.TextField(_("measures"), blank=True, max_length=20000)

    # The roster figures as they stood when the report was last submitted.
    figures = models.JSONField(_("figures"), default=dict, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("updated by")
    )
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "kind", "district__code", "department__code"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "kind", "district", "period"],
                condition=Q(district__isnull=False),
                name="one_report_per_district_and_period",
            ),
            models.UniqueConstraint(
                fields=["campaign", "kind", "department", "period"],
                condition=Q(department__isnull=False),
                name="one_report_per_department_and_period",
            ),
            models.CheckConstraint(
                condition=(Q(district__isnull=False) & Q(department__isnull=True))
                | (Q(district__isnull=True) & Q(department__isnull=False) & Q(kind="annual")),
                name="report_has_one_filer",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["kind", "period"]),
            # The commission's list, newest period first: its first page is read from the index, not a sort of
            # every report (100,000 at national size).
            models.Index(fields=["campaign", "-period"], name="report_campaign_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.filer} · {self.period_label} · {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("report_detail", args=[self.pk])

    @property
    def filer(self) -> District | Department:
        filer = self.district or self.department
        assert filer is not None  # report_has_one_filer: a district's or a department's
        return filer

    @property
    def period_label(self) -> str:
        return period_label(self.kind, self.period, self.campaign)

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.ACCEPTED


# Which deadline each kind of report answers to.
DEADLINE_OF: dict[str, str] = {
    Report.Kind.MONTHLY: Deadline.Kind.MONTHLY_REPORT,
    Report.Kind.IMPLEMENTATION_PLAN: Deadline.Kind.IMPLEMENTATION_PLAN,
    Report.Kind.ANNUAL: Deadline.Kind.ANNUAL_REPORT,
}


class ReportEvent(models.Model):
    """One step of a report's history: saved, submitted, returned (with comments), accepted, unlocked (with a reason)."""

    class Action(models.TextChoices):
        CREATED = "created", _("started")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned with comments")
        RESUBMITTED = "resubmitted", _("resubmitted")
        ACCEPTED = "accepted", _("accepted")
        UNLOCKED = "unlocked", _("unlocked")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    from_status = models.CharField(max_length=12, choices=Report.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Report.Status.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=5000)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("by")
    )

    class Meta:
        ordering = ["at", "id"]
        # The dashboards' red flag finds the returned reports through their return events.
        indexes = [models.Index(fields=["to_status", "at"])]
        verbose_name = _("report event")
        verbose_name_plural = _("report history")

    def __str__(self) -> str:
        return f"{self.report} · {self.get_action_display()}"


class PlanTarget(models.Model):
    """An implementation plan's target for one year."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    communities = models.PositiveIntegerField(_("communities to meet the standard"))
    pilots_per_street = models.PositiveSmallIntegerField(_("pilots per subdistrict"), default=0)

    class Meta:
        ordering = ["year"]
        verbose_name = _("annual target")
        verbose_name_plural = _("annual targets")
        constraints = [models.UniqueConstraint(fields=["report", "year"], name="one_target_per_year")]

    def __str__(self) -> str:
        return f"{self.year}: {self.communities}"


class WorkAssignment(models.Model):
    """An implementation plan's division of work: a task, the unit responsible and its deadline."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="assignments")
    task = models.CharField(_("task"), max_length=300)
    unit = models.CharField(_("responsible unit"), max_length=100)
    due_on = models.DateField(_("deadline"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("division of work")
        verbose_name_plural = _("division of work")

    def __str__(self) -> str:
        return self.task


class Notification(models.Model):
    """An in-app message: a reminder, a returned report, a flag for the commission.

    `key` makes sending idempotent: a retried or repeated reminder job finds the row and sends nothing twice.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=200)
    message = models.CharField(_("message"), max_length=500)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_key")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.message


class ProgressSnapshot(models.Model):
    """The campaign's progress for one unit (the city, a district or a street) as of one date.

    Written only by the rollup job (`reporting.figures.rollups`), keyed by (campaign, date, level, unit): a repeated or
    retried job rewrites the same rows and never adds copies. Pages and the API read these rows, never the raw
    tables, so they cost the same at any size.
    """

    class Level(models.TextChoices):
        CITY = "city", _("city")
        DISTRICT = "district", _("district")
        STREET = "street", _("street-level unit")

    class Status(models.TextChoices):
        ON_TRACK = "on_track", _("on track")
        AT_RISK = "at_risk", _("at risk")
        BEHIND = "behind", _("behind")
        NONE = "none", _("no target")

    # No index of its own: the unique constraint's index starts with the campaign (and one fewer index to keep
    # up is 4 of the 20 seconds a national rollup into an empty table spends writing).
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="snapshots", db_index=False)
    on = models.DateField(_("as of"))
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    unit_code = models.CharField(_("code"), max_length=12)
    unit_name = models.CharField(_("name"), max_length=100)
    parent_code = models.CharField(max_length=12, blank=True)
    roster = models.PositiveIntegerField(_("urban communities"), default=0)
    participating = models.PositiveIntegerField(_("participating"), default=0)
    pilots = models.PositiveIntegerField(_("pilots"), default=0)
    streets = models.PositiveIntegerField(_("subdistricts"), default=0)
    streets_with_pilot = models.PositiveIntegerField(_("subdistricts with a pilot"), default=0)
    self_assessed = models.PositiveIntegerField(_("self-assessed as meeting"), default=0)
    met = models.PositiveIntegerField(_("met the standard"), default=0)
    met_share = models.DecimalField(_("share met"), max_digits=6, decimal_places=4, default=Decimal(0))
    target_share = models.DecimalField(_("target share"), max_digits=6, decimal_places=4, null=True, blank=True)
    target_due_on = models.DateField(_("target due on"), null=True, blank=True)
    projected_share = models.DecimalField(
        _("projected share at the target date"), max_digits=6, decimal_places=4, null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.NONE)
    reports_expected = models.PositiveIntegerField(_("reports expected"), default=0)
    reports_submitted = models.PositiveIntegerField(_("reports submitted"), default=0)
    reports_timely = models.PositiveIntegerField(_("reports on time"), default=0)
    # {"1": [meets, answered], ...} over each community's latest signed inspection.
    item_results = models.JSONField(_("item results"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"))
    # A hash of the figures above as the rollup last wrote them: a run compares this one column, not every
    # figure, to find the rows of a date it computes again that changed (`RollupKey` says which dates those are).
    fingerprint = models.CharField(max_length=32, blank=True, default="", editable=False)

    class Meta:
        ordering = ["on", "level", "unit_code"]
        verbose_name = _("progress snapshot")
        verbose_name_plural = _("progress snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "on", "level", "unit_code"], name="one_snapshot_per_unit_and_day"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "level", "on"]),
            models.Index(fields=["campaign", "parent_code", "on"]),
            # One unit's history (a district's trend line, its latest snapshot): a few rows, not every unit's.
            models.Index(fields=["campaign", "level", "unit_code", "on"]),
        ]

    def __str__(self) -> str:
        return f"{self.unit_name} · {self.on}"


class RollupKey(models.Model):
    """What one date's snapshots were computed from, as a hash: the rollup compares it with what it would compute
    from now, and computes that date again only when they differ (`reporting.figures.rollup_sql`). Written in the same
    transaction as the date's snapshots."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="rollup_keys", db_index=False)
    on = models.DateField(_("as of"))
    key = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "on"], name="one_rollup_key_per_day")]

    def __str__(self) -> str:
        return f"{self.campaign_id} · {self.on}"


class GeneratedDocument(models.Model):
    """A PDF made by a Celery job: one file per (campaign, kind, period, scope); making it again replaces the file."""

    class Kind(models.TextChoices):
        CITY_BULLETIN = "city-bulletin", _("monthly city bulletin")
        DISTRICT_MONTHLY = "district-monthly", _("district monthly report")
        ANNUAL = "annual", _("annual compilation")
        ACCEPTANCE_RECORD = "acceptance-record", _("acceptance record")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("being made")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    # The campaign the document is for, as the reader picked it: its figures, dates and issuing body.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="documents", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    period = models.CharField(_("period"), max_length=7)  # YYYY-MM, or YYYY for the annual compilation
    scope_code = models.CharField(_("scope"), max_length=12, blank=True)  # district or community code; "" = city
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    file = models.FileField(_("file"), upload_to="documents/", blank=True, max_length=200)
    size = models.PositiveIntegerField(_("size"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # Given once, the first time the document is made, and printed on it every time it is made again.
    document_number = models.CharField(_("document number"), max_length=80, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "kind", "period", "scope_code"], name="one_document_per_campaign_kind_period_scope"
            ),
            models.UniqueConstraint(
                fields=["document_number"], condition=~Q(document_number=""), name="document_numbers_are_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period} {self.scope_code}".strip()


class DocumentNumberCounter(models.Model):
    """The last number given in one series of document numbers (one pattern) in one year; the next document of that
    year takes the one after. Kept as data, so the portal's numbers can continue those the commission gave outside it."""

    pattern = models.CharField(_("document number pattern"), max_length=60, validators=[document_number_pattern_check])
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(
        _("last number given"), default=0, help_text=_("The next document of this year takes the number after this.")
    )

    class Meta:
        ordering = ["-year", "pattern"]
        verbose_name = _("document number")
        verbose_name_plural = _("document numbers")
        constraints = [models.UniqueConstraint(fields=["pattern", "year"], name="one_counter_per_pattern_and_year")]

    def __str__(self) -> str:
        return self.pattern.format(year=self.year, number=self.last_number)


class RollupRequest(models.Model):
    """A pending request to recompute today's progress snapshots, so many events in a row start one run.

    Kept in the database rather than a cache: every web process and worker sees the same flag.
    """

    key = models.CharField(max_length=40, unique=True)
    pending = models.BooleanField(default=False)
    requested_at = models.DateTimeField()

    class Meta:
        verbose_name = _("progress recalculation request")
        verbose_name_plural = _("progress recalculation requests")

    def __str__(self) -> str:
        return f"{self.key} · {self.requested_at:%Y-%m-%d %H:%M}"
