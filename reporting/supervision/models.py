"""Supervision (督导): the commission or a municipal department visits districts — a thematic survey (专题调研), an
on-site check (现场检查) or a directive (督办) — records what it found on the standard's items, and sets required
actions with deadlines that the district answers and the opener closes or sends back.

Only `reporting.supervision.services` changes these rows; every change is audited and each step of a required
action is kept as a `RequiredActionStep`.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from districts.models import Community, Department, District
from standards.models import StandardItem

from .querysets import FindingQuerySet, RequiredActionQuerySet, SupervisionQuerySet


class Supervision(models.Model):
    class Kind(models.TextChoices):
        SURVEY = "survey", _("thematic survey (专题调研)")
        SITE_CHECK = "site_check", _("on-site check (现场检查)")
        DIRECTIVE = "directive", _("directive (督办)")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("subject"), max_length=120)
    held_on = models.DateField(_("date"))
    participants = models.TextField(_("participants"), max_length=1000, blank=True)
    summary = models.TextField(pgettext_lazy("supervision", "summary"), max_length=5000, blank=True)
    districts = models.ManyToManyField(District, related_name="+", verbose_name=_("target districts"))
    communities = models.ManyToManyField(Community, blank=True, related_name="+", verbose_name=_("communities"))
    items = models.ManyToManyField(StandardItem, blank=True, related_name="+", verbose_name=_("standard items"))
    # Who opened it: a department's staff for their department; empty for the commission.
    opened_by_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("opened by")
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SupervisionQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("supervision")
        verbose_name_plural = _("supervision")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("supervision_detail", args=[self.pk])

    @property
    def opener_label(self) -> str:
        return self.opened_by_department.name if self.opened_by_department else str(_("the commission"))


class Finding(models.Model):
    """What the visit found on one item, optionally for one district or community; photos are Evidence owned by it."""

    supervision = models.ForeignKey(Supervision, on_delete=models.PROTECT, related_name="findings")
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("community")
    )
    text = models.TextField(pgettext_lazy("supervision", "finding"), max_length=2000)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["item__number", "id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"{self.supervision.title} · {self.item.number}"


class RequiredAction(models.Model):
    """What one district must do by a date. The district answers; the opener closes it or sends it back."""

    class Status(models.TextChoices):
        OPEN = "open", _("to be done")
        ANSWERED = "answered", _("answered, awaiting closure")
        RETURNED = "returned", _("sent back")
        CLOSED = "closed", pgettext_lazy("supervision", "closed")

    supervision = models.ForeignKey(Supervision, on_delete=models.PROTECT, related_name="required_actions")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("community")
    )
    item = models.ForeignKey(
        StandardItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("item")
    )
    text = models.TextField(_("required action"), max_length=2000)
    set_on = models.DateField(_("set on"))
    due_on = models.DateField(pgettext_lazy("supervision", "deadline"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(pgettext_lazy("supervision", "what was done"), max_length=2000, blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    return_reason = models.TextField(_("reason for sending back"), max_length=2000, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = RequiredActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("required action")
        verbose_name_plural = _("required actions")
        indexes = [models.Index(fields=["district", "status", "due_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(due_on__gte=F("set_on")), name="required_action_due_after_set"),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_on__isnull=False), name="required_action_closed_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district.name} · {self.text[:40]}"

    def is_overdue_on(self, day: datetime.date) -> bool:
        return self.due_on < day and (self.closed_on is None or self.closed_on > day) and self.set_on <= day

    @property
    def awaits_district(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.RETURNED)


class RequiredActionStep(models.Model):
    """One step of a required action: answered, sent back or closed, with its text, as the page's history shows."""

    class Kind(models.TextChoices):
        ANSWERED = "answered", _("answered")
        RETURNED = "returned", _("sent back")
        CLOSED = "closed", pgettext_lazy("supervision", "closed")

    required_action = models.ForeignKey(RequiredAction, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(_("step"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("text"), max_length=2000, blank=True)
    on = models.DateField(_("date"))
    at = models.DateTimeField(_("time"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("step of a required action")
        verbose_name_plural = _("steps of required actions")

    def __str__(self) -> str:
        return f"{self.required_action} · {self.get_kind_display()}"
