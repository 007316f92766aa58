"""Telling the other side of a case's review step: the commission of a submission, the district of a decision."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _

from districts.models import Role
from reporting.notifications.services import commission_users, notify

from .models import ExperienceCaseStep

Action = ExperienceCaseStep.Action


@shared_task(acks_late=True)
def case_step_notify(step_id: int) -> int:
    """Notify once per step (the key is the step's): safe to run twice."""
    step = ExperienceCaseStep.objects.select_related("case__district").filter(pk=step_id).first()
    if step is None:
        return 0
    case = step.case
    district_staff = get_user_model().objects.filter(
        is_active=True, membership__role=Role.DISTRICT_STAFF, membership__district_id=case.district_id
    )
    with translation.override(settings.LANGUAGE_CODE):
        names = {"district": case.district.name, "title": case.title, "comment": step.comment}
        if step.action == Action.SUBMITTED:
            users, message = commission_users(), _("%(district)s submitted the case “%(title)s” for review.") % names
        elif step.action == Action.RETURNED:
            users, message = district_staff, _("The case “%(title)s” was returned: %(comment)s") % names
        elif step.action == Action.PUBLISHED:
            users, message = district_staff, _("The case “%(title)s” has been published.") % names
        else:
            return 0
        return notify(users, key=f"experience-step:{step.pk}", message=message, url=case.get_absolute_url())
