"""Reporting rate and timeliness of the districts' monthly reports, as DHIS2 defines them.

Reporting rate = reports submitted ÷ reports expected; timeliness = reports submitted by their due day ÷ reports
expected. A month is expected once its due day has passed (on or before the as-of date). A report counts as
submitted from its first submission, whatever happened to it later (returned, resubmitted, accepted), and only
if that first submission was made on or before the as-of date. Days are Asia/Shanghai calendar days.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from districts.models import District

from .models import DEADLINE_OF, Campaign, Deadline, Report
from .selectors import campaign_months

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class FirstSubmitted(TypedDict):
    first_submitted_on: datetime.date | None


LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)


class CellState:
    NOT_DUE = "not_due"
    MISSING = "missing"
    DRAFT = "draft"
    SUBMITTED_ON_TIME = "submitted_on_time"
    SUBMITTED_LATE = "submitted_late"
    RETURNED = "returned"
    ACCEPTED_ON_TIME = "accepted_on_time"
    ACCEPTED_LATE = "accepted_late"


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in percent with one decimal (half up), or None when nothing is expected."""
    if not whole:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RateRow:
    district: District | None  # None for the city total
    expected: int
    submitted: int
    timely: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.submitted, self.expected)

    @property
    def timeliness(self) -> Decimal | None:
        return percent(self.timely, self.expected)


@dataclass(frozen=True)
class Cell:
    period: datetime.date
    due_on: datetime.date
    state: str
    report_id: int | None = None
    first_submitted_on: datetime.date | None = None


def _monthly_deadline(campaign: Campaign) -> Deadline | None:
    return campaign.deadlines.filter(kind=DEADLINE_OF[Report.Kind.MONTHLY]).first()


def expected_months(*, campaign: Campaign, on: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """(period, due_on) of every campaign month whose monthly report was due on or before `on`."""
    deadline = _monthly_deadline(campaign)
    if deadline is None:
        return []
    return [(month, deadline.due_for(month)) for month in campaign_months(campaign) if deadline.due_for(month) <= on]


def _monthly_reports(
    *, campaign: Campaign, districts: QuerySet[District], periods: list[datetime.date]
) -> QuerySet[WithAnnotations[Report, FirstSubmitted]]:
    return Report.objects.filter(
        campaign=campaign, kind=Report.Kind.MONTHLY, district__in=districts, period__in=periods
    ).annotate(first_submitted_on=TruncDate("first_submitted_at", tzinfo=LOCAL))


def reporting_rates(*, campaign: Campaign, on: datetime.date, districts: QuerySet[District]) -> list[RateRow]:
    """Expected, submitted and timely monthly reports of each district as of `on`, the worst first.

    `districts` is already narrowed to what the reader may see. Two queries whatever the number of reports.
    """
    periods = [period for period, _due in expected_months(campaign=campaign, on=on)]
    counts = {
        row["district_id"]: row
        for row in _monthly_reports(campaign=campaign, districts=districts, periods=periods)
        .filter(first_submitted_on__lte=on)
        .order_by()
        .values("district_id")
        .annotate(submitted=Count("pk"), timely=Count("pk", filter=Q(first_submitted_on__lte=F("due_on"))))
    }
    rows = [
        RateRow(
            district=district,
            expected=len(periods),
            submitted=counts.get(district.pk, {}).get("submitted", 0),
            timely=counts.get(district.pk, {}).get("timely", 0),
        )
        for district in districts.order_by("code")
    ]
    return sorted(rows, key=lambda row: (row.rate or 0, row.timeliness or 0, row.district.code if row.district else ""))


def rates_total(rows: list[RateRow]) -> RateRow:
    """The sum of `rows`: the city's figures when every district is shown."""
    return RateRow(
        district=None,
        expected=sum(row.expected for row in rows),
        submitted=sum(row.submitted for row in rows),
        timely=sum(row.timely for row in rows),
    )


def _cell_state(
    report: WithAnnotations[Report, FirstSubmitted] | None, *, due_on: datetime.date, on: datetime.date
) -> str:
    """The state of one district's report for one month, as it stood on `on` as far as the report tells."""
    if report is None or timezone.localdate(report.created_at, LOCAL) > on:
        return CellState.MISSING if due_on <= on else CellState.NOT_DUE
    if report.first_submitted_on is None or report.first_submitted_on > on:
        return CellState.DRAFT
    late = report.first_submitted_on > report.due_on
    accepted_by_then = report.accepted_at is None or timezone.localdate(report.accepted_at, LOCAL) <= on
    if report.status == Report.Status.ACCEPTED and accepted_by_then:
        return CellState.ACCEPTED_LATE if late else CellState.ACCEPTED_ON_TIME
    if report.status == Report.Status.RETURNED:
        return CellState.RETURNED
    return CellState.SUBMITTED_LATE if late else CellState.SUBMITTED_ON_TIME


def reporting_matrix(
    *, campaign: Campaign, on: datetime.date, districts: QuerySet[District]
) -> tuple[list[datetime.date], list[tuple[District, list[Cell]]]]:
    """Every visible district × every campaign month begun by `on`: the state of that month's report.

    Three queries (deadline, districts, reports) whatever the number of districts and months.
    """
    deadline = _monthly_deadline(campaign)
    months = campaign_months(campaign, until=on) if deadline is not None and on >= campaign.starts_on else []
    due = {month: deadline.due_for(month) for month in months} if deadline is not None else {}
    district_list = list(districts.order_by("code"))
    reports = {
        (report.district_id, report.period): report
        for report in _monthly_reports(campaign=campaign, districts=districts, periods=months).only(
            "id", "district_id", "period", "status", "due_on", "created_at", "accepted_at", "first_submitted_at"
        )
    }
    rows = []
    for district in district_list:
        cells = []
        for month in months:
            report = reports.get((district.pk, month))
            cells.append(
                Cell(
                    period=month,
                    due_on=report.due_on if report else due[month],
                    state=_cell_state(report, due_on=due[month], on=on),
                    report_id=report.pk if report else None,
                    first_submitted_on=report.first_submitted_on if report else None,
                )
            )
        rows.append((district, cells))
    return months, rows
