"""Telling a proposing district or department what the commission decided."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from districts.models import Role
from reporting.notifications.services import notify

from .models import Commendation


@shared_task(acks_late=True)
def commendation_decided_notify(commendation_id: int) -> int:
    """Notify the proposing unit's staff once (the key is the proposal's): safe to run twice."""
    commendation = Commendation.objects.filter(pk=commendation_id).first()
    if commendation is None or commendation.status == Commendation.Status.PROPOSED:
        return 0
    users = get_user_model().objects.filter(is_active=True)
    if commendation.district_id:
        users = users.filter(membership__role=Role.DISTRICT_STAFF, membership__district_id=commendation.district_id)
    else:
        users = users.filter(
            membership__role=Role.DEPARTMENT_STAFF, membership__department_id=commendation.department_id
        )
    with translation.override(settings.LANGUAGE_CODE):
        names = {"name": commendation.name, "year": commendation.year, "reason": commendation.decision_reason}
        if commendation.status == Commendation.Status.APPROVED:
            message = _("The commendation of %(name)s for %(year)s was approved.") % names
        else:
            message = _("The commendation of %(name)s for %(year)s was declined: %(reason)s") % names
        return notify(
            users,
            key=f"commendation-decided:{commendation.pk}",
            message=message,
            url=reverse("commendation_proposals"),
        )
