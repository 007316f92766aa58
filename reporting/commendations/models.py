"""A proposal to commend an outstanding unit, individual or practice for a year, and the commission's decision.

Proposed → approved or declined; only `services` changes the status. An approved commendation is read by everyone
signed in with a role; a proposal by its proposing unit's staff and the commission.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from districts.models import Department, District
from districts.scope import scope_of


class CommendationQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> CommendationQuerySet:
        scope = scope_of(user)
        if scope.role is None:
            return self.none()
        if scope.is_commission:
            return self.all()
        approved = Q(status=Commendation.Status.APPROVED)
        if scope.is_district_staff:
            return self.filter(approved | Q(district_id=scope.district_id))
        if scope.role == "department_staff":
            return self.filter(approved | Q(department_id=scope.department_id))
        return self.filter(approved)

    def approved(self) -> CommendationQuerySet:
        return self.filter(status=Commendation.Status.APPROVED)


class Commendation(models.Model):
    class Kind(models.TextChoices):
        UNIT = "unit", _("outstanding unit")
        INDIVIDUAL = "individual", _("outstanding individual")
        PRACTICE = "practice", _("outstanding practice")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("waiting for decision")
        APPROVED = "approved", _("approved")
        DECLINED = "declined", _("declined")

    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    affiliation = models.CharField(_("unit or community"), max_length=200, blank=True)
    reason = models.TextField(_("reason"), max_length=5000)
    # The proposing unit: a district or a municipal department.
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    decision_reason = models.TextField(_("reason for the decision"), max_length=5000, blank=True)
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("proposed by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    objects = CommendationQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "kind", "id"]
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")
        indexes = [models.Index(fields=["status", "year"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(district__isnull=False, department__isnull=True)
                | Q(district__isnull=True, department__isnull=False),
                name="commendation_proposed_by_one_unit",
            ),
            models.CheckConstraint(
                condition=Q(status="proposed") | Q(decided_at__isnull=False),
                name="commendation_decision_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_kind_display()} {self.name}"

    @property
    def proposer(self) -> District | Department | None:
        return self.district or self.department
