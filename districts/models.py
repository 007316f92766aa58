"""Who and where: the administrative divisions, municipal departments, people's roles and the audit trail.

Divisions are keyed by their NBS statistical code (`code`): names repeat across China and within a district.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from greencommunity.people import person_name

from .querysets import CommunityQuerySet, DistrictQuerySet, StreetQuerySet


class District(models.Model):
    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, default="区")

    objects = DistrictQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Street(models.Model):
    class Kind(models.TextChoices):
        SUBDISTRICT = "街道", _("subdistrict (街道)")
        TOWN = "镇", _("town (镇)")
        TOWNSHIP = "乡", _("township (乡)")
        OTHER = "类似乡级单位", _("unit like a township (类似乡级单位)")

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets", verbose_name=_("district"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SUBDISTRICT)
    # Set by a roster release that no longer lists the unit (its communities close the same day).
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    objects = StreetQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("street-level unit")
        verbose_name_plural = _("street-level units")

    def __str__(self) -> str:
        return self.name

    @property
    def is_subdistrict(self) -> bool:
        return self.kind == self.Kind.SUBDISTRICT


class Community(models.Model):
    class Kind(models.TextChoices):
        RESIDENTS_COMMITTEE = "居委会", _("residents' committee (居委会)")
        LIKE_COMMITTEE = "类似居委会", _("unit like a residents' committee (类似居委会)")

    class Renovation(models.TextChoices):
        NOT_PLANNED = "not_planned", _("not planned")
        PLANNED = "planned", _("planned")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("street"))
    # Copied from the street so scope filters and district rollups need no join; kept in step by the services.
    # No index of its own: the (district, street) index below starts with it and answers every lookup by district
    # (one index fewer to keep up as a release writes a national roster).
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="communities", verbose_name=_("district"), db_index=False
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.RESIDENTS_COMMITTEE)

    # The roster over time: a community is on the roster from `established_on` (empty: since before records)
    # until the day before `closed_on` (empty: still open).
    established_on = models.DateField(_("established on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    # Survey attributes (调查摸底), all optional.
    build_year = models.PositiveSmallIntegerField(
        _("year built"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    build_era = models.CharField(_("build era"), max_length=32, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    buildings = models.PositiveIntegerField(_("buildings"), null=True, blank=True)
    is_old_estate = models.BooleanField(_("old residential estate (老旧小区)"), null=True, blank=True)
    renovation = models.CharField(_("renovation state"), max_length=16, choices=Renovation.choices, blank=True)
    property_management_share = models.PositiveSmallIntegerField(
        _("property management coverage (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    address = models.CharField(_("address"), max_length=200, blank=True)

    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        indexes = [models.Index(fields=["district", "street"]), models.Index(fields=["name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(property_management_share__lte=100), name="community_property_share_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True)
                | Q(established_on__isnull=True)
                | Q(closed_on__gt=models.F("established_on")),
                name="community_closes_after_it_opens",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_on_roster(self, on: datetime.date) -> bool:
        opened = self.established_on is None or self.established_on <= on
        return opened and (self.closed_on is None or self.closed_on > on)


class RosterChange(models.Model):
    """One dated change to the roster; the dates on Community are what queries use, this is the history."""

    class Kind(models.TextChoices):
        ADDED = "added", _("added")
        CLOSED = "closed", _("closed")
        MERGED = "merged", _("merged into another")
        SPLIT = "split", _("split")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    effective_on = models.DateField(_("effective on"))
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="roster_changes", verbose_name=_("community")
    )
    # For a merge: the community it went into. For a split: the new communities it became.
    successors = models.ManyToManyField(
        Community, blank=True, related_name="predecessor_changes", verbose_name=_("successors")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "id"]
        verbose_name = _("roster change")
        verbose_name_plural = _("roster changes")

    def __str__(self) -> str:
        return f"{self.community} {self.get_kind_display()} {self.effective_on}"


class RosterRelease(models.Model):
    """A division list applied (or about to be) to the roster: the file, for which districts, from which date."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("awaiting confirmation")
        APPLYING = "applying", _("being applied")
        APPLIED = "applied", _("applied")
        UNCHANGED = "unchanged", _("applied again: nothing changed")
        FAILED = "failed", _("failed")
        DISCARDED = "discarded", _("discarded")

    file = models.FileField(_("file"), upload_to="roster-releases/", max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    effective_on = models.DateField(_("effective on"))
    # The district codes the release is authoritative for.
    scope = models.JSONField(_("districts covered"), default=list)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PREVIEW)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("roster release")
        verbose_name_plural = _("roster releases")

    def __str__(self) -> str:
        return f"{self.filename} ({self.effective_on})"


class DivisionChange(models.Model):
    """A dated change of a unit's name, parent or kind: the value before `effective_on` is `old_value`.

    A unit's name (parent, kind) as of a date is its current one unless a change took effect after that date; then
    it is the `old_value` of the earliest such change."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("district")
        STREET = "street", _("street-level unit")
        COMMUNITY = "community", _("community")

    class Field(models.TextChoices):
        NAME = "name", _("name")
        PARENT = "parent", _("parent")
        KIND = "kind", _("kind")

    level = models.CharField(_("division level"), max_length=10, choices=Level.choices)
    code = models.CharField(_("division code"), max_length=12)
    field = models.CharField(_("field"), max_length=8, choices=Field.choices)
    old_value = models.CharField(_("before"), max_length=64)
    new_value = models.CharField(_("after"), max_length=64)
    effective_on = models.DateField(_("effective on"))
    release = models.ForeignKey(RosterRelease, on_delete=models.PROTECT, null=True, blank=True, related_name="changes")

    class Meta:
        ordering = ["effective_on", "id"]
        verbose_name = _("division change")
        verbose_name_plural = _("division changes")
        indexes = [models.Index(fields=["level", "field", "effective_on"])]

    def __str__(self) -> str:
        return f"{self.code} {self.field} {self.old_value} → {self.new_value} {self.effective_on}"


class Department(models.Model):
    """A municipal department named in the policy (市住房城乡建设委 and the others)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    is_lead = models.BooleanField(_("leads the campaign"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("municipal department")
        verbose_name_plural = _("municipal departments")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    COMMISSION_ADMIN = "commission_admin", _("commission administrator")
    COMMISSION_REVIEWER = "commission_reviewer", _("commission reviewer")
    DISTRICT_STAFF = "district_staff", _("district staff")
    STREET_STAFF = "street_staff", _("street staff")
    DEPARTMENT_STAFF = "department_staff", _("department staff")
    INSPECTOR = "inspector", _("inspector")


class Membership(models.Model):
    """A user's role and the one unit it is scoped to. Every portal user has exactly one."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("district"))
    street = models.ForeignKey(Street, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("street"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("department")
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.DISTRICT_STAFF) | Q(district__isnull=False),
                name="membership_district_staff_has_district",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.STREET_STAFF) | Q(street__isnull=False),
                name="membership_street_staff_has_street",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.DEPARTMENT_STAFF) | Q(department__isnull=False),
                name="membership_department_staff_has_department",
            ),
        ]

    def __str__(self) -> str:
        unit = self.district or self.street or self.department
        return f"{person_name(self.user)} · {self.get_role_display()}" + (f" · {unit}" if unit else "")

    @property
    def scope_label(self) -> str:
        if self.role == Role.STREET_STAFF and self.street:
            return f"{self.street.district.name} {self.street.name}"
        unit = self.district or self.department
        return str(unit) if unit else str(_("Tianjin (whole city)"))


class AuditEntry(models.Model):
    """Who changed what, when. Written by services, the admin and imports; never edited."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")
        IMPORT = "import", _("imported")
        TRANSITION = "transition", _("state change")
        LOGIN_FAILED = "login_failed", _("failed login")
        DENIED = "denied", _("access denied")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    # The district the change belongs to, so district staff see their own scope of the trail.
    district = models.ForeignKey(District, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("district"))
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=16, default="web")
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["content_type", "object_id"]), models.Index(fields=["district", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {person_name(self.actor)} {self.get_action_display()} {self.object_repr}"

    @property
    def readable_changes(self) -> list[tuple[str, object, object]]:
        """(label, old, new) in words, for people rather than programmers (see `districts.audit.readable_changes`)."""
        from .audit import readable_changes

        return readable_changes(self)


class ResponsibleOfficial(models.Model):
    """A unit's official answerable for the campaign: the policy asks each department for "1名局级干部、1名责任处室
    处级干部", and the districts name theirs the same way. One per level per unit (a district or a department)."""

    class Level(models.TextChoices):
        BUREAU = "bureau", _("bureau level (局级)")
        DIVISION = "division", _("division level (处级)")

    district = models.ForeignKey(
        District, on_delete=models.CASCADE, null=True, blank=True, related_name="officials", verbose_name=_("district")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="officials",
        verbose_name=_("department"),
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    name = models.CharField(_("full name"), max_length=32)
    title = models.CharField(_("job title"), max_length=64)
    phone = models.CharField(_("phone"), max_length=32)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["district__code", "department__order", "level"]
        verbose_name = _("responsible official")
        verbose_name_plural = _("responsible officials")
        constraints = [
            models.CheckConstraint(
                condition=Q(district__isnull=False, department__isnull=True)
                | Q(district__isnull=True, department__isnull=False),
                name="official_of_one_unit",
            ),
            models.UniqueConstraint(
                fields=["district", "level"],
                condition=Q(district__isnull=False),
                name="official_one_per_district_level",
            ),
            models.UniqueConstraint(
                fields=["department", "level"],
                condition=Q(department__isnull=False),
                name="official_one_per_department_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district or self.department} {self.get_level_display()} {self.name}"
