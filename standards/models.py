"""What is measured: the standard's categories and items (天津市绿色社区创建标准（试行）), loaded as data."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from districts.models import Community, Department, District
from districts.scope import scope_of


class StandardVersion(models.Model):
    """One version of the standard: its categories, items and responsible departments, as a campaign measures them.

    A campaign points at its version (`reporting` depends on this app, not the other way), and every record made
    against a version keeps pointing at it: a later campaign's standard is a new version, copied and edited, and
    never changes an earlier one's items.
    """

    name = models.CharField(_("name"), max_length=100)
    copied_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("copied from")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("standard version")
        verbose_name_plural = _("standard versions")

    def __str__(self) -> str:
        return self.name

    @cached_property
    def item_numbers(self) -> list[int]:
        """The numbers of the version's items, in order: what a self-assessment or checklist of it has rows for."""
        return list(self.items.order_by("number").values_list("number", flat=True))

    @property
    def item_count(self) -> int:
        return len(self.item_numbers)

    def is_in_use(self) -> bool:
        """Whether a record was made against the version: from then on its items are frozen."""
        return (
            SelfAssessment.objects.filter(standard=self).exists()
            or AcceptanceRound.objects.filter(standard=self).exists()
        )


def first_standard_version_id() -> int | None:
    """The oldest version (the 2020 standard): the version of a self-assessment or round that names none, as every
    record did before campaigns had their own standard. The portal's services always name one."""
    return StandardVersion.objects.order_by("created_at", "pk").values_list("pk", flat=True).first()


class StandardCategory(models.Model):
    version = models.ForeignKey(
        StandardVersion, on_delete=models.PROTECT, related_name="categories", verbose_name=_("standard version")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=64)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="standard_categories", verbose_name=_("responsible departments")
    )

    class Meta:
        ordering = ["version", "number"]
        verbose_name = _("standard category")
        verbose_name_plural = _("standard categories")
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="category_number_unique_in_version")]

    def __str__(self) -> str:
        return self.name


class StandardItem(models.Model):
    version = models.ForeignKey(
        StandardVersion, on_delete=models.PROTECT, related_name="items", verbose_name=_("standard version")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    category = models.ForeignKey(
        StandardCategory, on_delete=models.PROTECT, related_name="items", verbose_name=_("category")
    )
    text = models.CharField(_("standard"), max_length=200)
    allows_not_applicable = models.BooleanField(_("may be not applicable"), default=False)

    class Meta:
        ordering = ["version", "number"]
        verbose_name = _("standard item")
        verbose_name_plural = _("standard items")
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="item_number_unique_in_version")]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # An item belongs to its category's version; a form that adds one under a category need not name it.
        if self.version_id is None and self.category_id is not None:
            self.version_id = StandardCategory.objects.values_list("version_id", flat=True).get(pk=self.category_id)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        moved = self.version_id is not None and self.category_id is not None
        if moved and self.category.version_id != self.version_id:
            raise ValidationError({"category": _("Choose a category of the item's own standard version.")})


def period_start(day: datetime.date) -> datetime.date:
    """The first day of `day`'s month: how a monthly period is stored."""
    return day.replace(day=1)


class SelfAssessmentQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> SelfAssessmentQuerySet:
        scope = scope_of(user)
        if scope.sees_whole_city:
            return self
        if scope.street_id:
            return self.filter(community__street_id=scope.street_id)
        if scope.district_id:
            return self.filter(district_id=scope.district_id)
        return self.none()


class SelfAssessment(models.Model):
    """A community's own assessment for one month: its creation stage and the state of each of its standard's items.

    Written through the district's monthly report (which decides when it may change); one row per community and
    month, so every month's assessment stays as it was reported. `items` and `notes` map an item's number (as a
    string) to its state and note.
    """

    class Stage(models.TextChoices):
        NOT_STARTED = "not_started", _("not started")
        CREATING = "creating", _("creating")
        MEETS = "meets", _("self-assessed as meeting the standard")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class ItemStatus(models.TextChoices):
        NOT_STARTED = "not_started", _("not started")
        IN_PROGRESS = "in_progress", _("under way")
        MEETS = "meets", _("meets")
        NOT_APPLICABLE = "not_applicable", _("not applicable")

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="self_assessments", verbose_name=_("community")
    )
    # A copy of the community's district, so scope filters and district totals need no join.
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    period = models.DateField(_("month"))
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.NOT_STARTED)
    # The standard the items were assessed against; `items` keys are item numbers of this version.
    standard = models.ForeignKey(
        StandardVersion,
        on_delete=models.PROTECT,
        default=first_standard_version_id,
        related_name="+",
        verbose_name=_("standard version"),
    )
    items = models.JSONField(_("items"), default=dict, blank=True)
    notes = models.JSONField(_("notes"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = SelfAssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["community__street__code", "community__code"]
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        constraints = [models.UniqueConstraint(fields=["community", "period"], name="one_self_assessment_a_month")]
        indexes = [models.Index(fields=["district", "period", "stage"])]

    def __str__(self) -> str:
        return f"{self.community} · {self.period:%Y-%m}"

    def item_status(self, number: int) -> str:
        return self.items.get(str(number), self.ItemStatus.NOT_STARTED)

    def counts(self, numbers: Sequence[int] | None = None) -> dict[str, int]:
        """How many of the standard's items are in each state. A page listing many rows of one standard passes its
        item numbers, read once."""
        result = dict.fromkeys(self.ItemStatus.values, 0)
        for number in self.standard.item_numbers if numbers is None else numbers:
            result[self.item_status(number)] += 1
        return result


def evidence_path(instance: Evidence, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    unit = (
        instance.district.code if instance.district else (instance.department.code if instance.department else "city")
    )
    return f"evidence/{unit}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


def thumbnail_path(instance: Evidence, filename: str) -> str:
    return f"evidence/thumbnails/{uuid.uuid4().hex}.webp"


# Who may read a file is decided by what it belongs to: each model a file may belong to says which of its files a
# user may read, from that model's own scope queryset. `reporting` adds its reports here (a dependency points one way).
EvidenceReaders = Callable[[Any], Q]
_EVIDENCE_OWNERS: dict[type[models.Model], EvidenceReaders] = {}


def evidence_owner_register(model: type[models.Model], readers: EvidenceReaders) -> None:
    """Let files belong to `model`; `readers(user)` is a filter on Evidence for the files of it the user may read."""
    _EVIDENCE_OWNERS[model] = readers


def readable_communities(user: Any) -> models.QuerySet[Community]:
    """The communities whose record `user` may read: those in their scope and, for an inspector, those assigned to
    one of their teams."""
    assigned = Assignment.objects.for_member(user).values("community")
    return Community.objects.filter(Q(pk__in=Community.objects.visible_to(user).values("pk")) | Q(pk__in=assigned))


def _owned_by(model: type[models.Model], readable: models.QuerySet) -> Q:
    return Q(owner_type=ContentType.objects.get_for_model(model), owner_id__in=readable.values("pk"))


class EvidenceQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> EvidenceQuerySet:
        """The files whose parent the user may read: the report, report row, inspection or rectification it was
        attached to, or, for a file that belongs to no record, its community."""
        readable = Q(owner_type__isnull=True, community__in=readable_communities(user).values("pk"))
        readable |= _owned_by(Inspection, Inspection.objects.visible_to(user))
        readable |= _owned_by(Rectification, Rectification.objects.visible_to(user))
        for model, readers in _EVIDENCE_OWNERS.items():
            readable |= Q(owner_type=ContentType.objects.get_for_model(model)) & readers(user)
        return self.filter(readable)

    def current(self) -> EvidenceQuerySet:
        return self.filter(removed_at__isnull=True)


class Evidence(models.Model):
    """A photo or document backing a community's progress, one of its items, or a report.

    The file's type is checked by its content, not its name; files are kept through Django's storage API and
    served only through a view that checks the reader's scope. Removing hides a file; it is never deleted.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", _("photo")
        PDF = "pdf", _("PDF document")
        OFFICE = "office", _("Office document")

    # The file's address: a random id, so one reader's address cannot be counted on to find another's file.
    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=thumbnail_path, max_length=200, blank=True)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence", verbose_name=_("community")
    )
    item = models.ForeignKey(
        "StandardItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("item")
    )
    # What else the file belongs to (a report, an inspection), without this app knowing those models.
    owner_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    owner_id = models.PositiveBigIntegerField(null=True, blank=True)
    owner = GenericForeignKey("owner_type", "owner_id")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        indexes = [
            models.Index(fields=["owner_type", "owner_id"]),
            models.Index(fields=["community", "item"]),
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("evidence_file", args=[self.public_id])

    @property
    def thumbnail_url(self) -> str:
        return reverse("evidence_thumbnail", args=[self.public_id]) if self.thumbnail else ""


# --- year-end acceptance --------------------------------------------------------------------------------------


class AcceptanceRound(models.Model):
    """One year's acceptance (验收), or a re-check (复查) of communities that met: its dates, its notice period and
    the teams that inspect. Only an acceptance round's inspections decide who meets the standard; a re-check's
    failure leads to rectification and, when that is missed or fails again, to a `Revocation`."""

    class Kind(models.TextChoices):
        ACCEPTANCE = "acceptance", _("acceptance")
        RECHECK = "recheck", _("re-check")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.ACCEPTANCE)
    draw_seed = models.CharField(
        _("draw seed"),
        max_length=64,
        blank=True,
        help_text=_("A re-check round's communities are drawn at random from this seed; anyone can repeat the draw."),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    # The standard the round inspects against: its checklist's items.
    standard = models.ForeignKey(
        StandardVersion,
        on_delete=models.PROTECT,
        default=first_standard_version_id,
        related_name="+",
        verbose_name=_("standard version"),
    )
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    notice_days = models.PositiveSmallIntegerField(
        _("public notice (days)"),
        default=0,
        help_text=_("A passing community counts as met only after this many days of public notice; 0 means none."),
    )
    rectification_days = models.PositiveSmallIntegerField(
        _("days allowed for rectification"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-year", "-opens_on"]
        verbose_name = _("acceptance round")
        verbose_name_plural = _("acceptance rounds")
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=F("opens_on")), name="round_closes_after_opening")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_recheck(self) -> bool:
        return self.kind == self.Kind.RECHECK

    def is_closed_on(self, day: datetime.date) -> bool:
        """A round is open through its last day (in Asia/Shanghai); from the next day it refuses work."""
        return day > self.closes_on


class RoundExtension(models.Model):
    """The commission moved a round's end date later, and why: the round takes work again until the new date."""

    round = models.ForeignKey(
        AcceptanceRound, on_delete=models.PROTECT, related_name="extensions", verbose_name=_("round")
    )
    previous_closes_on = models.DateField(_("closed on before"))
    closes_on = models.DateField(_("now closes on"))
    reason = models.TextField(_("reason"), max_length=2000)
    extended_at = models.DateTimeField(_("extended at"), auto_now_add=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("by")
    )

    class Meta:
        ordering = ["round", "extended_at", "pk"]
        verbose_name = _("extension of a round")
        verbose_name_plural = _("extensions of rounds")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gt=F("previous_closes_on")), name="round_extension_moves_the_end_later"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.previous_closes_on} → {self.closes_on}"


class InspectionTeam(models.Model):
    """Inspectors, optionally with members of the departments that own some items, who inspect together."""

    round = models.ForeignKey(AcceptanceRound, on_delete=models.CASCADE, related_name="teams", verbose_name=_("round"))
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="inspection_teams", verbose_name=_("members")
    )

    class Meta:
        ordering = ["round", "name"]
        verbose_name = _("inspection team")
        verbose_name_plural = _("inspection teams")
        constraints = [models.UniqueConstraint(fields=["round", "name"], name="team_name_unique_in_round")]

    def __str__(self) -> str:
        return f"{self.round} · {self.name}"


class AssignmentQuerySet(models.QuerySet):
    def for_member(self, user: Any) -> AssignmentQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(team__members=user, cancelled_at__isnull=True)


class Assignment(models.Model):
    """A community given to a team to inspect in a round: first inspection or re-inspection after rectification."""

    class Kind(models.TextChoices):
        FIRST = "first", _("first inspection")
        REINSPECTION = "reinspection", _("re-inspection")

    round = models.ForeignKey(
        AcceptanceRound, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("round")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("community")
    )
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    team = models.ForeignKey(
        InspectionTeam, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("team")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FIRST)
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["community__code", "assigned_at"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [models.Index(fields=["round", "district"])]

    def __str__(self) -> str:
        return f"{self.community} · {self.get_kind_display()}"


class InspectionQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> InspectionQuerySet:
        """Who may read an inspection's record: its team, the commission and departments (the whole city), and the
        staff of the community's district or street."""
        scope = scope_of(user)
        if scope.sees_whole_city:
            return self.all()
        member = Q(assignment__in=Assignment.objects.for_member(user))
        if scope.street_id:
            return self.filter(Q(community__street_id=scope.street_id) | member)
        if scope.district_id:
            return self.filter(Q(district_id=scope.district_id) | member)
        return self.filter(member)


class Inspection(models.Model):
    """One inspection of one community: answers for the round standard's items, then a signature.

    A signed inspection is an official record and never changes (the database refuses it too); a correction is a
    new inspection. A community meets the standard when its latest signed inspection passes every applicable item
    and, where the round has a notice period, the notice has ended without an upheld objection.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("being inspected")
        SIGNED = "signed", _("signed")

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("assignment")
    )
    round = models.ForeignKey(
        AcceptanceRound, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("round")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("community")
    )
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed by"),
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    notice_ends_on = models.DateField(_("public notice ends on"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True, max_length=5000)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-started_at"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(status="open"), name="one_open_inspection_per_assignment"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(signed_at__isnull=False) & Q(passed__isnull=False)),
                name="signed_inspection_is_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "status", "signed_at"]),
            models.Index(fields=["district", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.community} · {self.round} · {self.get_status_display()}"

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    @property
    def kind_label(self) -> Any:
        """What the visit was: a re-check round's first visit is a re-check (复查), not a first acceptance; otherwise
        its assignment's kind. Reads the round and the assignment: list pages select them with the inspection."""
        if self.round.kind == AcceptanceRound.Kind.RECHECK and self.assignment.kind == Assignment.Kind.FIRST:
            return _("re-check")
        return self.assignment.get_kind_display()


class InspectionAnswer(models.Model):
    """The inspector's finding on one item. Saved as it is entered; frozen once the inspection is signed."""

    class Result(models.TextChoices):
        MEETS = "meets", _("meets")
        FAILS = "fails", _("does not meet")
        NOT_APPLICABLE = "not_applicable", _("not applicable")

    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="answers", verbose_name=_("inspection")
    )
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))

    class SubCheck(models.TextChoices):
        MET = "met", pgettext_lazy("sub-check", "met")
        NOT_MET = "not_met", pgettext_lazy("sub-check", "not met")

    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    # The district's approved sub-indicators the inspector checked with the item, {refinement id: SubCheck}; one
    # not checked is absent. Guidance only: the item's result stays `result`. Nullable without a default, so adding
    # the column on SQLite is an ALTER TABLE that keeps the table's immutability triggers (a rebuild would drop them).
    sub_checks = models.JSONField(_("sub-indicator checks"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), auto_now=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("answered by")
    )

    class Meta:
        ordering = ["item__number"]
        verbose_name = _("inspection answer")
        verbose_name_plural = _("inspection answers")
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="one_answer_per_item")]

    def __str__(self) -> str:
        return f"{self.item.number}: {self.get_result_display()}"


class RectificationQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> RectificationQuerySet:
        """The city's readers, the staff of the community's district or street, and the inspectors assigned to the
        community (its acceptance record shows them what was put right before they inspect again)."""
        scope = scope_of(user)
        if scope.sees_whole_city:
            return self.all()
        if scope.street_id:
            return self.filter(community__street_id=scope.street_id)
        if scope.district_id:
            return self.filter(district_id=scope.district_id)
        return self.filter(community__in=Assignment.objects.for_member(user).values("community"))


class Rectification(models.Model):
    """A failed item the district must put right (整改), then ask to be inspected again."""

    class Status(models.TextChoices):
        OPEN = "open", _("to rectify")
        DONE = "done", _("rectified")
        REINSPECTION_REQUESTED = "requested", _("re-inspection requested")
        CLOSED = "closed", _("closed by re-inspection")

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="rectifications")
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="rectifications", verbose_name=_("community")
    )
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    finding = models.TextField(_("finding"), max_length=2000)
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    done_note = models.TextField(_("what was done"), blank=True, max_length=2000)
    done_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("re-inspection requested at"), null=True, blank=True)
    closed_by_inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, null=True, blank=True, related_name="closed_rectifications"
    )

    objects = RectificationQuerySet.as_manager()

    # Set by the pages that list rectifications, for their templates.
    files: list[Evidence]
    round_closed: bool

    class Meta:
        ordering = ["due_on", "community__code", "item__number"]
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="one_rectification_per_failed_item")]
        indexes = [models.Index(fields=["district", "status"])]

    def __str__(self) -> str:
        return f"{self.community} · {self.item.number}"


class Objection(models.Model):
    """An objection raised during a passing community's public notice (公示), decided by the commission."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("pending")
        UPHELD = "upheld", _("upheld")
        DISMISSED = "dismissed", _("dismissed")

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="objections")
    received_on = models.DateField(_("received on"))
    raised_by = models.CharField(_("raised by"), max_length=100, blank=True)
    text = models.TextField(_("objection"), max_length=5000)
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices, default=Decision.PENDING)
    decision_note = models.TextField(_("reason for the decision"), blank=True, max_length=5000)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.inspection.community} · {self.received_on}"


# --- districts' refinements of the standard (细化指标) -------------------------------------------------------------


class RefinementQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> RefinementQuerySet:
        """A district's own staff (and its streets') read all its refinements, drafts too; the city's readers read
        what has been put to the commission (a draft is the district's own until it is submitted)."""
        scope = scope_of(user)
        if scope.sees_whole_city:
            return self.exclude(status=Refinement.Status.DRAFT)
        if scope.district_id:
            return self.filter(district_id=scope.district_id)
        return self.none()

    def approved(self) -> RefinementQuerySet:
        return self.filter(status=Refinement.Status.APPROVED)


class Refinement(models.Model):
    """A district's sub-indicator under one item of the standard (细化指标), approved by the commission.

    It guides the district's self-assessment and the inspector's check of the district's communities; it never
    replaces the item, whose result stays the item's. An approved refinement is read-only: a change is a new
    refinement, and one no longer wanted is withdrawn (it then guides nothing, and stays on record).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        RETURNED = "returned", _("returned")
        WITHDRAWN = "withdrawn", pgettext_lazy("refinement", "withdrawn")

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="refinements", verbose_name=_("district")
    )
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, related_name="refinements", verbose_name=_("item"))
    text = models.CharField(_("sub-indicator"), max_length=200)
    guidance = models.TextField(_("guidance"), blank=True, max_length=2000)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    return_reason = models.TextField(_("reason for returning"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = RefinementQuerySet.as_manager()

    class Meta:
        ordering = ["item__number", "district__code", "order", "pk"]
        verbose_name = _("refinement")
        verbose_name_plural = _("refinements")
        indexes = [models.Index(fields=["district", "status"]), models.Index(fields=["status", "item"])]

    def __str__(self) -> str:
        return f"{self.district.name} · {self.item.number}. {self.text}"

    def get_absolute_url(self) -> str:
        return reverse("refinement_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.RETURNED}


# --- standing management: re-checks and revocations -----------------------------------------------------------


class RecheckQuota(models.Model):
    """How many of a district's communities that met a re-check round draws: a share (percent) or a number."""

    round = models.ForeignKey(AcceptanceRound, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("round"))
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    share = models.DecimalField(
        _("share (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    number = models.PositiveIntegerField(_("number to draw"), null=True, blank=True)
    candidates = models.PositiveIntegerField(_("communities that met"), default=0)

    class Meta:
        ordering = ["round", "district__code"]
        verbose_name = _("re-check quota")
        verbose_name_plural = _("re-check quotas")
        constraints = [
            models.UniqueConstraint(fields=["round", "district"], name="one_recheck_quota_per_district"),
            models.CheckConstraint(
                condition=(Q(share__isnull=True) & Q(number__isnull=False))
                | (Q(share__isnull=False) & Q(number__isnull=True)),
                name="recheck_quota_share_or_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.district}"


class RecheckSelection(models.Model):
    """A community a re-check round re-checks: drawn from the stored seed, or added by the commission by name."""

    class Reason(models.TextChoices):
        DRAWN = "drawn", _("drawn at random")
        NAMED = "named", _("added by name")

    round = models.ForeignKey(
        AcceptanceRound, on_delete=models.CASCADE, related_name="selections", verbose_name=_("round")
    )
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community"))
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    reason = models.CharField(_("reason"), max_length=8, choices=Reason.choices)

    class Meta:
        ordering = ["round", "district__code", "community__code"]
        verbose_name = _("community to re-check")
        verbose_name_plural = _("communities to re-check")
        constraints = [models.UniqueConstraint(fields=["round", "community"], name="one_selection_per_round")]

    def __str__(self) -> str:
        return f"{self.round} · {self.community}"


class Revocation(models.Model):
    """The title withdrawn (摘牌) from a date: the community no longer meets the standard from `revoked_on` until an
    acceptance inspection signed on or after that day passes again (re-acceptance)."""

    class Cause(models.TextChoices):
        MISSED_DEADLINE = "deadline", _("rectification not completed by its deadline")
        FAILED_AGAIN = "failed_again", _("failed the re-check again")
        BY_HAND = "by_hand", _("revoked by the commission")

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="revocations", verbose_name=_("community")
    )
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    revoked_on = models.DateField(_("revoked from"))
    cause = models.CharField(_("cause"), max_length=12, choices=Cause.choices)
    reason = models.TextField(_("reason"), max_length=2000)
    inspection = models.ForeignKey(
        Inspection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revocations",
        verbose_name=_("re-check inspection"),
    )
    revoked_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["revoked_on", "pk"]
        verbose_name = _("revocation")
        verbose_name_plural = _("revocations")
        indexes = [models.Index(fields=["community", "revoked_on"]), models.Index(fields=["district", "revoked_on"])]

    def __str__(self) -> str:
        return f"{self.community} · {self.revoked_on}"
