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
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.conf import settings
from django.db import connection
from django.db.models import Count, DateTimeField, F, Func, Q, QuerySet
from django.db.models.functions import TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from districts.models import District
from reporting.figures.selectors import campaign_months
from reporting.models import DEADLINE_OF, Campaign, Deadline, Report

if TYPE_CHECKING:
    pass


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class Rates(TypedDict):
    submitted: int
    timely: int


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
    *, campaign: Campaign, districts: QuerySet[District] | None, periods: list[datetime.date]
) -> QuerySet:
    """The campaign's monthly reports of `periods`, of `districts` (None: of any, for a query correlated to one)."""
    reports = Report.objects.filter(campaign=campaign, kind=Report.Kind.MONTHLY, period__in=periods)
    if districts is not None:
        reports = reports.filter(district__in=districts)
    return reports.annotate(first_submitted_on=TruncDate("first_submitted_at", tzinfo=LOCAL))


class StartOfNextLocalDay(Func):
    """The instant the local day after a date column begins, in SQL: "first submitted by the due day" compares the
    stored instant with it, a third cheaper per report than converting each instant to a local day."""

    output_field = DateTimeField()

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[str | int, ...]]:
        sql, params = super().as_sql(
            compiler, connection, template="((%(expressions)s + 1)::timestamp AT TIME ZONE %%s)", **extra_context
        )
        return sql, (*params, settings.TIME_ZONE)


def _submitted_by_due_day(prefix: str) -> Q:
    """First submitted on or before its due day, Tianjin time. On PostgreSQL the stored instant is compared with
    the start of the next local day (`StartOfNextLocalDay`); elsewhere (SQLite, the embedded default) the instant's
    local day is compared with the due day, the same rule."""
    if connection.vendor == "postgresql":
        return Q(**{f"{prefix}first_submitted_at__lt": StartOfNextLocalDay(F(f"{prefix}due_on"))})
    return Q(LessThanOrEqual(TruncDate(f"{prefix}first_submitted_at", tzinfo=LOCAL), F(f"{prefix}due_on")))


def _start_of_day_after(on: datetime.date) -> datetime.datetime:
    """The instant the local day after `on` begins: "first submitted on or before `on`" as a plain comparison of
    the stored instant, which costs the database half what converting each report's instant to a local day does."""
    if on >= datetime.date.max:  # a date as far as it goes: every submission was before it
        return datetime.datetime.max.replace(tzinfo=LOCAL)
    return datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time(), tzinfo=LOCAL)


def rates_by_district(
    *, campaign: Campaign, on: datetime.date, districts: QuerySet[District]
) -> tuple[int, QuerySet[WithAnnotations[District, Rates]]]:
    """(monthly reports expected of each district as of `on`, `districts` annotated with `submitted` and `timely`,
    the worst first).

    Every district is expected the same months, so the worst rate is the fewest submitted: the order is SQL's and a
    page of a national roster's 3,000 districts leaves the database as its own rows only.
    """
    periods = [period for period, _due in expected_months(campaign=campaign, on=on)]
    # One join and GROUP BY rather than two subqueries a district: the database counts 100,000 reports once.
    counted = Q(
        reports__campaign=campaign,
        reports__kind=Report.Kind.MONTHLY,
        reports__period__in=periods,
        reports__first_submitted_at__lt=_start_of_day_after(on),
    )
    on_time = _submitted_by_due_day("reports__")
    ranked = districts.annotate(
        submitted=Count("reports", filter=counted), timely=Count("reports", filter=counted & on_time)
    ).order_by("submitted", "timely", "code")
    return len(periods), cast("QuerySet[WithAnnotations[District, Rates]]", ranked)


def reporting_rates(*, campaign: Campaign, on: datetime.date, districts: QuerySet[District]) -> list[RateRow]:
    """Expected, submitted and timely monthly reports of each district as of `on`, the worst first.

    `districts` is already narrowed to what the reader may see. Two queries whatever the number of reports.
    """
    expected, ranked = rates_by_district(campaign=campaign, on=on, districts=districts)
    return [
        RateRow(district=district, expected=expected, submitted=district.submitted, timely=district.timely)
        for district in ranked
    ]


def rates_total(rows: list[RateRow]) -> RateRow:
    """The sum of `rows`: the city's figures when every district is shown."""
    return RateRow(
        district=None,
        expected=sum(row.expected for row in rows),
        submitted=sum(row.submitted for row in rows),
        timely=sum(row.timely for row in rows),
    )


def rates_city_total(*, campaign: Campaign, on: datetime.date, districts: QuerySet[District]) -> RateRow:
    """The figures of all `districts` together, summed in SQL: the total row of a page that shows only some."""
    periods = [period for period, _due in expected_months(campaign=campaign, on=on)]
    figures = (
        _monthly_reports(campaign=campaign, districts=districts, periods=periods)
        .filter(first_submitted_at__lt=_start_of_day_after(on))
        .aggregate(submitted=Count("pk"), timely=Count("pk", filter=_submitted_by_due_day("")))
    )
    return RateRow(
        district=None,
        expected=len(periods) * districts.count(),
        submitted=figures["submitted"],
        timely=figures["timely"],
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
