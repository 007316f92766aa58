"""Celery jobs of the reporting app. Every task is idempotent: a retried or repeated run sends nothing twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Report, ReportEvent
from .notifications import commission_users, filer_users, notify


@shared_task(acks_late=True)
def report_transition_notify(report_id: int, action: str) -> int:
    """Tell the other side of a workflow step: the commission of a submission, the filer of a decision."""
    report = Report.objects.select_related("district", "department", "campaign").get(pk=report_id)
    event = report.events.filter(action=action).order_by("-at", "-id").first()
    if event is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        title = str(report)
        if action in (ReportEvent.Action.SUBMITTED, ReportEvent.Action.RESUBMITTED):
            users, message = commission_users(), _("%(report)s is waiting for review.") % {"report": title}
        elif action == ReportEvent.Action.RETURNED:
            users = filer_users(report)
            message = _("%(report)s was returned: %(comment)s") % {"report": title, "comment": event.comment}
        elif action == ReportEvent.Action.ACCEPTED:
            users, message = filer_users(report), _("%(report)s was accepted.") % {"report": title}
        elif action == ReportEvent.Action.UNLOCKED:
            users = filer_users(report)
            message = _("%(report)s was unlocked for changes: %(comment)s") % {
                "report": title,
                "comment": event.comment,
            }
        else:
            return 0
        return notify(users, key=f"report-event:{event.pk}", message=message, url=report.get_absolute_url())
