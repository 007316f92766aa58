"""Cases of good practice a district puts forward (经验做法), and the meetings that spread them (现场会, 经验交流会).

A case goes draft → submitted → (returned → submitted) → published; only `services` changes its status. Drafts,
submitted and returned cases are read by their district's staff and the commission; a published case by everyone
signed in with a role.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from districts.models import Community, District
from districts.scope import scope_of
from standards.models import StandardItem


class ExchangeEvent(models.Model):
    """A meeting where cases are shown to others: a 现场会 on site or an 经验交流会."""

    class Kind(models.TextChoices):
        ONSITE = "onsite", _("on-site meeting (现场会)")
        EXCHANGE = "exchange", _("experience exchange meeting (经验交流会)")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("held on"))
    host = models.CharField(_("host"), max_length=200)
    communities = models.ManyToManyField(Community, blank=True, related_name="+", verbose_name=_("communities visited"))
    attendees = models.TextField(_("attendees"), max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("experience meeting")
        verbose_name_plural = _("experience meetings")

    def __str__(self) -> str:
        return self.title


class ExperienceCaseQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ExperienceCaseQuerySet:
        """Published cases to everyone with a role; the others to their district's staff and the commission."""
        scope = scope_of(user)
        if scope.role is None:
            return self.none()
        if scope.is_commission:
            return self.all()
        published = Q(status=ExperienceCase.Status.PUBLISHED)
        if scope.is_district_staff:
            return self.filter(published | Q(district_id=scope.district_id))
        return self.filter(published)

    def published(self) -> ExperienceCaseQuerySet:
        return self.filter(status=ExperienceCase.Status.PUBLISHED)


class ExperienceCase(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("waiting for review")
        RETURNED = "returned", _("returned for changes")
        PUBLISHED = "published", _("published")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    title = models.CharField(_("title"), max_length=200)
    communities = models.ManyToManyField(Community, related_name="+", verbose_name=_("communities"))
    items = models.ManyToManyField(StandardItem, related_name="+", verbose_name=_("standard items addressed"))
    measures = models.TextField(_("main measures"), max_length=10000)
    results = models.TextField(_("results"), max_length=10000, blank=True)
    cost = models.DecimalField(
        _("cost (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    replicable = models.BooleanField(_("replicable and worth spreading (可复制可推广)"), default=False)
    event = models.ForeignKey(
        ExchangeEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("shown at"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ExperienceCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("experience case")
        verbose_name_plural = _("experience cases")
        indexes = [models.Index(fields=["status", "-published_at"]), models.Index(fields=["district", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0), name="experience_cost_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="experience_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("experience_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class ExperienceCaseStep(models.Model):
    """One step of a case's review, with the reviewer's comments: the history the case page shows."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned with comments")
        PUBLISHED = "published", _("published")

    case = models.ForeignKey(ExperienceCase, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    comment = models.TextField(_("comments"), max_length=5000, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("by")
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("review step")
        verbose_name_plural = _("review steps")

    def __str__(self) -> str:
        return f"{self.case} {self.get_action_display()}"


def case_files_readable(user: Any) -> Q:
    """Which files of cases `user` may read (a filter on Evidence): those of the cases they may read."""
    return Q(
        owner_type=ContentType.objects.get_for_model(ExperienceCase),
        owner_id__in=ExperienceCase.objects.visible_to(user).values("pk"),
    )
