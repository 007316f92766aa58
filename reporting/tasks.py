"""Celery jobs of the reporting app. Every task is idempotent: a retried or repeated run sends nothing twice."""

from __future__ import annotations

import datetime
import logging
from itertools import groupby
from typing import Any

from celery import shared_task
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from greencommunity.dates import how_long
from reporting.models import Campaign, Deadline, GeneratedDocument, Report, ReportEvent
from reporting.notifications.services import commission_users, district_staff, filer_users, notify
from reporting.reports import reminders

logger = logging.getLogger(__name__)


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


def _day(today: str | None) -> datetime.date:
    """The day a job runs for: an ISO date when given (tests, a catch-up run), else today in Asia/Shanghai."""
    return datetime.date.fromisoformat(today) if today else timezone.localdate()


def _long_date(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _report_title(due: reminders.DueReport) -> str:
    name = due.deadline.name
    if due.kind == Report.Kind.MONTHLY:
        return _("%(name)s for %(year)s-%(month)s") % {"name": name, "year": due.period.year, "month": due.period.month}
    if due.kind == Report.Kind.ANNUAL:
        return _("%(name)s for %(year)s") % {"name": name, "year": due.period.year}
    return name


def _reminder_message(due: reminders.DueReport) -> str:
    values = {"report": _report_title(due), "due": _long_date(due.due_on)}
    if due.overdue:
        late = how_long(due.due_on, due.due_on + datetime.timedelta(days=due.days))
        return _("%(report)s was due on %(due)s and is %(late)s overdue; please submit it as soon as possible.") % {
            **values,
            "late": late,
        }
    return _("%(report)s is due on %(due)s; please submit it in time.") % values


def _filer_of(user: Any) -> tuple[str, str]:
    membership = user.membership
    if membership.district_id:
        return "district", membership.district.code
    return "department", membership.department.code


def _remind(campaign: Campaign, due: reminders.DueReport) -> int:
    """Notify every filer who has not submitted `due`'s report; keys name the report, the filer and the offset."""
    recipients = reminders.reminder_recipients(campaign=campaign, kind=due.kind, period=due.period)
    message = _reminder_message(due)
    subject = _("Reminder: %(report)s") % {"report": _report_title(due)}
    # The filer's list of reports shows the one due and lets them start or continue it.
    url = reverse("report_list")
    sent = 0
    for (filer_type, code), users in groupby(recipients, key=_filer_of):
        key = f"reminder:{due.kind}:{due.period:%Y-%m-%d}:{filer_type}:{code}:{due.offset}"
        sent += notify(users, key=key, message=message, url=url, subject=subject)
    return sent


@shared_task(acks_late=True)
def send_report_reminders(today: str | None = None) -> int:
    """Remind the staff of every district and department that has not submitted a report due soon or overdue.

    Returns how many people were newly notified. Keys name the report, the filer and the offset, so a repeated
    or retried run for the same day (or a later run) never sends the same reminder twice.
    """
    day = _day(today)
    campaign = Campaign.objects.current()
    if campaign is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        return sum(_remind(campaign, due) for due in reminders.reports_due(campaign=campaign, today=day))


@shared_task(acks_late=True)
def send_annual_report_reminders(today: str | None = None) -> int:
    """The 1 November reminder (beat): every district and department that has not yet submitted this year's annual
    report is reminded of its due day, whatever days before it the deadline's daily reminders use."""
    day = _day(today)
    campaign = Campaign.objects.current()
    if campaign is None:
        return 0
    deadline = campaign.deadlines.filter(kind=Deadline.Kind.ANNUAL_REPORT).first()
    period = datetime.date(day.year, 1, 1)
    if deadline is None or period not in reminders.report_periods(campaign=campaign, deadline=deadline):
        return 0
    due_on = deadline.due_for(period)
    if due_on < day:
        return 0
    due = reminders.DueReport(deadline=deadline, period=period, due_on=due_on, days=(due_on - day).days, overdue=False)
    with translation.override(settings.LANGUAGE_CODE):
        return _remind(campaign, due)


def _request_document(kind: str, period: str) -> str:
    """Queue a commission document as the system (replacing the file of an earlier run); '' when the campaign has
    no such period (logged, not raised)."""
    from reporting.documents.build import DocumentError
    from reporting.documents.tasks import document_request

    with translation.override(settings.LANGUAGE_CODE):
        try:
            document = document_request(kind=kind, period=period, scope_code="", by=None)
        except DocumentError as error:
            logger.info("No %s for %s: %s", kind, period, error)
            return ""
    return str(document)


@shared_task(acks_late=True)
def make_monthly_bulletin(today: str | None = None) -> str:
    """The city bulletin of the previous month (beat, the 10th, after the 5th's monthly reports are in)."""
    previous = _day(today).replace(day=1) - datetime.timedelta(days=1)
    return _request_document(GeneratedDocument.Kind.CITY_BULLETIN, f"{previous:%Y-%m}")


@shared_task(acks_late=True)
def make_annual_compilation(today: str | None = None) -> str:
    """The year's compilation of annual reports (beat, 16 November, the day after they are due)."""
    return _request_document(GeneratedDocument.Kind.ANNUAL, f"{_day(today).year}")


@shared_task(acks_late=True)
def alert_stale_returned_reports(today: str | None = None) -> int:
    """Tell the commission, once per return, of each report still not resubmitted `returned_alert_days` after it
    was returned or unlocked. Returns how many people were newly notified."""
    day = _day(today)
    campaign = Campaign.objects.current()
    if campaign is None:
        return 0
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        users = list(commission_users())
        for report in reminders.stale_returned_reports(campaign=campaign, today=day):
            returned_on = timezone.localdate(report.returned_at)
            message = _("%(report)s was returned on %(date)s and has not been resubmitted for %(waited)s.") % {
                "report": str(report),
                "date": _long_date(returned_on),
                "waited": how_long(returned_on, day),
            }
            subject = _("Returned report not resubmitted: %(report)s") % {"report": str(report)}
            sent += notify(
                users,
                key=f"returned-stale:{report.returned_event_id}",
                message=message,
                url=report.get_absolute_url(),
                subject=subject,
            )
    return sent


@shared_task(acks_late=True)
def rollup_nightly(today: str | None = None) -> int:
    """Recompute every begun campaign's progress snapshots for every month's end and today (beat, 02:00): an ended
    campaign's figures go on changing with titles revoked, roster changes and late reports.

    Returns how many snapshot rows the campaigns hold; a repeated run rewrites nothing.
    """
    from reporting.figures.rollups import rollup_all

    day = _day(today)
    return sum(rollup_all(campaign=campaign, today=day) for campaign in Campaign.objects.started(day))


@shared_task(acks_late=True)
def rollup_today() -> int:
    """Recompute today's snapshots after events that changed the figures (see `rollups.rollup_request`)."""
    from reporting.figures.rollups import rollup_latest, rollup_request_taken

    rollup_request_taken()
    day = timezone.localdate()
    return sum(rollup_latest(campaign=campaign, today=day) for campaign in Campaign.objects.started(day))


@shared_task(acks_late=True)
def revocations_daily(today: str | None = None) -> int:
    """Revoke the titles whose re-check rectification missed its deadline (beat, daily 01:00); each revocation
    tells its district (`revocation_notify`). Returns how many were revoked; a repeated run revokes nothing more."""
    from standards.recheck import revocations_due

    return len(revocations_due(today=_day(today)))


@shared_task(acks_late=True)
def revocation_notify(revocation_id: int) -> int:
    """Tell the community's district staff, once, that its title was revoked, from when and why."""
    from standards.models import Revocation

    revocation = Revocation.objects.select_related("community").get(pk=revocation_id)
    users = district_staff(revocation.district_id)
    with translation.override(settings.LANGUAGE_CODE):
        message = _("The title of %(community)s is revoked from %(date)s: %(reason)s") % {
            "community": revocation.community.name,
            "date": _long_date(revocation.revoked_on),
            "reason": revocation.reason,
        }
        return notify(
            users,
            key=f"revocation:{revocation.pk}",
            message=message,
            url=reverse("acceptance_record", args=[revocation.community.code]),
            subject=_("Title revoked: %(community)s") % {"community": revocation.community.name},
        )
