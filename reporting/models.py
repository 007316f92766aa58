"""The campaign as data (phases, milestones, deadlines) and each community's enrolment in it."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from districts.models import Community


class CampaignQuerySet(models.QuerySet):
    def current(self) -> Campaign | None:
        return self.filter(is_current=True).first() or self.order_by("-starts_on").first()


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
