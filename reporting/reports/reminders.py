"""Who is reminded of which report on a given day, and which returned reports the commission should hear about.

Pure reads: each function answers with a queryset or a short list; sending is `reporting.tasks`' job. A filer's
report counts as submitted once it has left `draft`; a returned report is the commission's concern (see
`stale_returned_reports`), not a reminder's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.auth import get_user_model
from django.db.models import DateTimeField, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from districts.models import Department, District, Role
from reporting.figures.selectors import annual_years, campaign_months
from reporting.models import DEADLINE_OF, Campaign, Deadline, Report, ReportEvent

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class LastReturn(TypedDict):
    returned_event_id: int
    returned_at: datetime.datetime


REPORT_KIND_OF = {deadline: report for report, deadline in DEADLINE_OF.items()}
# Departments file the annual report only; every district files every kind.
DEPARTMENTS_FILE = {Report.Kind.ANNUAL}


@dataclass(frozen=True)
class DueReport:
    """One report period that is due in `days` days (or overdue by `days` days) as of the day asked about."""

    deadline: Deadline
    period: datetime.date
    due_on: datetime.date
    days: int
    overdue: bool

    @property
    def kind(self) -> str:
        return REPORT_KIND_OF[self.deadline.kind]

    @property
    def offset(self) -> str:
        """`before3` or `after1`: part of the notification key, so each reminder is sent once."""
        return f"{'after' if self.overdue else 'before'}{self.days}"


def _whole_days(values: Any) -> list[int]:
    """The valid entries of a remind-days list edited in the admin: whole, non-negative days, once each."""
    if not isinstance(values, list):
        return []
    return sorted({v for v in values if isinstance(v, int) and not isinstance(v, bool) and v >= 0})


def report_periods(*, campaign: Campaign, deadline: Deadline) -> list[datetime.date]:
    """Every period the campaign expects a report of this deadline's kind for."""
    if deadline.kind == Deadline.Kind.MONTHLY_REPORT:
        return campaign_months(campaign)
    if deadline.kind == Deadline.Kind.ANNUAL_REPORT:
        return [datetime.date(year, 1, 1) for year in annual_years(campaign)]
    return [campaign.starts_on]


def periods_due_on(*, campaign: Campaign, deadline: Deadline, due_on: datetime.date) -> list[datetime.date]:
    return [p for p in report_periods(campaign=campaign, deadline=deadline) if deadline.due_for(p) == due_on]


def reports_due(*, campaign: Campaign, today: datetime.date) -> list[DueReport]:
    """The report periods whose due date is `today + d` (d in remind_days_before) or `today - d` (remind_days_after)."""
    found = []
    for deadline in campaign.deadlines.all():
        offsets = [(d, False) for d in _whole_days(deadline.remind_days_before)]
        offsets += [(d, True) for d in _whole_days(deadline.remind_days_after) if d > 0]
        for days, overdue in offsets:
            due_on = today - datetime.timedelta(days=days) if overdue else today + datetime.timedelta(days=days)
            for period in periods_due_on(campaign=campaign, deadline=deadline, due_on=due_on):
                found.append(DueReport(deadline=deadline, period=period, due_on=due_on, days=days, overdue=overdue))
    return found


def _submitted(*, campaign: Campaign, kind: str, period: datetime.date, filer_field: str) -> Exists:
    return Exists(
        Report.objects.filter(campaign=campaign, kind=kind, period=period, **{filer_field: OuterRef("pk")}).exclude(
            status=Report.Status.DRAFT
        )
    )


def unsubmitted_districts(*, campaign: Campaign, kind: str, period: datetime.date) -> QuerySet[District]:
    """Districts with no report for the period, or only a draft."""
    return District.objects.filter(~_submitted(campaign=campaign, kind=kind, period=period, filer_field="district"))


def unsubmitted_departments(*, campaign: Campaign, kind: str, period: datetime.date) -> QuerySet[Department]:
    if kind not in DEPARTMENTS_FILE:
        return Department.objects.none()
    return Department.objects.filter(~_submitted(campaign=campaign, kind=kind, period=period, filer_field="department"))


def reminder_recipients(*, campaign: Campaign, kind: str, period: datetime.date) -> QuerySet:
    """The active staff of every filer that has not submitted: district staff and, for annual reports, department
    staff. One query; each user comes with its membership's district or department."""
    districts = unsubmitted_districts(campaign=campaign, kind=kind, period=period)
    departments = unsubmitted_departments(campaign=campaign, kind=kind, period=period)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(membership__role=Role.DISTRICT_STAFF, membership__district__in=districts)
            | Q(membership__role=Role.DEPARTMENT_STAFF, membership__department__in=departments)
        )
        .select_related("membership__district", "membership__department")
        .order_by("membership__district__code", "membership__department__code", "pk")
    )


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def stale_returned_reports(
    *, campaign: Campaign, today: datetime.date
) -> QuerySet[WithAnnotations[Report, LastReturn]]:
    """Reports still returned whose last return (or unlock) happened `returned_alert_days` or more days before
    `today`, each annotated with that event's id and time."""
    last_return = ReportEvent.objects.filter(
        report=OuterRef("pk"), action__in=[ReportEvent.Action.RETURNED, ReportEvent.Action.UNLOCKED]
    ).order_by("-at", "-id")
    cutoff = _start_of_day(today - datetime.timedelta(days=campaign.returned_alert_days - 1))
    return (
        Report.objects.filter(campaign=campaign, status=Report.Status.RETURNED)
        .annotate(
            returned_event_id=Subquery(last_return.values("pk")[:1], output_field=IntegerField()),
            returned_at=Subquery(last_return.values("at")[:1], output_field=DateTimeField()),
        )
        .filter(returned_at__lt=cutoff)
        .select_related("district", "department", "campaign")
        .order_by("returned_at", "pk")
    )
