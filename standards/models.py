"""What is measured: the standard's categories and items (天津市绿色社区创建标准（试行）), loaded as data."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from districts.models import Community, Department, District
from districts.scope import scope_of


class StandardCategory(models.Model):
    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    name = models.CharField(_("name"), max_length=64)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="standard_categories", verbose_name=_("responsible departments")
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("standard category")
        verbose_name_plural = _("standard categories")

    def __str__(self) -> str:
        return self.name


class StandardItem(models.Model):
    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    category = models.ForeignKey(
        StandardCategory, on_delete=models.PROTECT, related_name="items", verbose_name=_("category")
    )
    text = models.CharField(_("standard"), max_length=200)
    allows_not_applicable = models.BooleanField(_("may be not applicable"), default=False)

    class Meta:
        ordering = ["number"]
        verbose_name = _("standard item")
        verbose_name_plural = _("standard items")

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"


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
    """A community's own assessment for one month: its creation stage and the state of each of the 16 items.

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
        IN_PROGRESS = "in_progress", _("in progress")
        MEETS = "meets", _("meets")
        NOT_APPLICABLE = "not_applicable", _("not applicable")

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="self_assessments", verbose_name=_("community")
    )
    # A copy of the community's district, so scope filters and district totals need no join.
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    period = models.DateField(_("month"))
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.NOT_STARTED)
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

    def counts(self) -> dict[str, int]:
        """How many of the 16 items are in each state."""
        result = dict.fromkeys(self.ItemStatus.values, 0)
        for number in range(1, ITEM_COUNT + 1):
            result[self.item_status(number)] += 1
        return result


ITEM_COUNT = 16


def evidence_path(instance: Evidence, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    unit = (
        instance.district.code
        if instance.district_id
        else (instance.department.code if instance.department_id else "city")
    )
    return f"evidence/{unit}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


def thumbnail_path(instance: Evidence, filename: str) -> str:
    return f"evidence/thumbnails/{uuid.uuid4().hex}.webp"


class EvidenceQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> EvidenceQuerySet:
        scope = scope_of(user)
        if scope.is_commission:
            return self
        if scope.role == "department_staff":
            # Departments see their own files and every district's (they review progress on their items).
            return self
        if scope.street_id:
            return self.filter(community__street_id=scope.street_id)
        if scope.district_id:
            return self.filter(district_id=scope.district_id)
        return self.none()

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
