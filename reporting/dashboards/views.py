"""Dashboards of the campaign: the city (commission, departments), a district, a department's items; Excel exports.

Every figure comes from `ProgressSnapshot` rows written by the rollup job, so a page costs the same few queries
however large the city is. Charts are drawn in the browser by ECharts from one JSON block; the tables beside them
show the same numbers for readers who cannot see the charts.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
import json
import math
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from districts.access import district_for
from districts.models import Department, District, DivisionChange
from districts.releases.history import names_as_of
from districts.resources import neutralise_formula
from districts.scope import scope_of
from greencommunity.dates import as_of
from reporting.campaigns.selectors import campaign_items, selected_campaign
from reporting.figures.progress import item_failures
from reporting.figures.rollups import rollup_dates
from reporting.figures.timeliness import percent
from reporting.funds.selectors import funds_panel
from reporting.models import Campaign, Milestone, ProgressSnapshot, Report, ReportEvent
from reporting.supervision.selectors import overdue_flags as supervision_overdue
from standards.models import StandardItem
from standards.recheck import standing_figures

LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)
MAP_FILE = Path(__file__).resolve().parent.parent / "data" / "tianjin-districts.geojson"
FLAG_LIMIT = 20
Level = ProgressSnapshot.Level
Status = ProgressSnapshot.Status
# Worst first, so an ascending sort by status puts the districts that need attention at the top.
STATUS_ORDER = {Status.BEHIND: 0, Status.AT_RISK: 1, Status.ON_TRACK: 2, Status.NONE: 3}
STATUS_CSS: dict[str, str] = {Status.BEHIND: "bad", Status.AT_RISK: "warn", Status.ON_TRACK: "", Status.NONE: "neutral"}


@overload
def _share_percent(share: Decimal) -> Decimal: ...
@overload
def _share_percent(share: Decimal | None) -> Decimal | None: ...
def _share_percent(share: Decimal | None) -> Decimal | None:
    return None if share is None else (Decimal(share) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Unit:
    """One row of a dashboard table: a snapshot's figures and the rates derived from them."""

    snapshot: ProgressSnapshot
    url: str = ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.snapshot, name)

    @property
    def has_roster(self) -> bool:
        """Whether the unit has urban communities at all: without any, a share met is no figure, and pages say so."""
        return self.snapshot.roster > 0

    @property
    def met_percent(self) -> Decimal | None:
        return _share_percent(self.snapshot.met_share) if self.has_roster else None

    @property
    def target_percent(self) -> Decimal | None:
        return _share_percent(self.snapshot.target_share)

    @property
    def projected_percent(self) -> Decimal | None:
        """The projection at the target date; none once that date has come (the share itself is judged then)."""
        s = self.snapshot
        if s.projected_share is None or s.target_due_on is None or s.target_due_on <= s.on:
            return None
        return _share_percent(s.projected_share)

    @property
    def of_target(self) -> Decimal | None:
        """Met share as a percentage of the target share: what the map's colour shows."""
        target = self.snapshot.target_share
        return percent_of(self.snapshot.met_share, target) if target and self.has_roster else None

    @property
    def pilot_coverage(self) -> Decimal | None:
        return percent(self.snapshot.streets_with_pilot, self.snapshot.streets)

    @property
    def participating_percent(self) -> Decimal | None:
        return percent(self.snapshot.participating, self.snapshot.roster)

    @property
    def reporting_rate(self) -> Decimal | None:
        return percent(self.snapshot.reports_submitted, self.snapshot.reports_expected)

    @property
    def timeliness(self) -> Decimal | None:
        return percent(self.snapshot.reports_timely, self.snapshot.reports_expected)

    @property
    def reports_missing(self) -> int:
        return max(self.snapshot.reports_expected - self.snapshot.reports_submitted, 0)

    @property
    def status_label(self) -> str:
        return self.snapshot.get_status_display() if self.has_roster else _("No urban communities")

    @property
    def status_css(self) -> str:
        return STATUS_CSS.get(self.snapshot.status, "neutral") if self.has_roster else "neutral"


def percent_of(part: Decimal, whole: Decimal) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _rate(part: str, whole: str) -> Case:
    """`percent(part, whole)` in tenths of a percent, rounded half up in integers as the page shows it (so ties,
    ordered by code, are the ones a reader sees); none when nothing is expected."""
    tenths = (F(part) * 2000 + F(whole)) / (F(whole) * 2)
    return Case(When(**{f"{whole}__gt": 0}, then=tenths), default=None, output_field=IntegerField())


# What each sortable column orders by, in the database; empty values go last either way, ties by code.
SORTS: dict[str, Any] = {
    "name": F("unit_code"),
    "met_share": F("met_share"),
    "status": Case(
        *(When(status=status, then=Value(rank)) for status, rank in STATUS_ORDER.items()),
        default=Value(9),
        output_field=IntegerField(),
    ),
    "pilot_coverage": _rate("streets_with_pilot", "streets"),
    "reporting_rate": _rate("reports_submitted", "reports_expected"),
    "timeliness": _rate("reports_timely", "reports_expected"),
}
# Columns whose first click sorts ascending (names A→Z, status worst first); the others start with the highest.
ASCENDING_FIRST = {"name", "status"}
PAGE_SIZE = 50
# Filters of a unit table that the red flags link to: the full list behind a flag's first few names.
ONLY = {
    "behind": Q(status=Status.BEHIND),
    "overdue": Q(reports_expected__gt=F("reports_submitted")),
    "no_pilot": Q(streets__gt=F("streets_with_pilot")),
}


@dataclass(frozen=True)
class TableQuery:
    """What the reader asked of a unit table: the column and direction to sort by, the page, a filter."""

    sort: str
    descending: bool
    page: int
    only: str
    kept: dict[str, str]  # the other parameters every link of the table keeps (the date, the filter)

    def link(self, **changes: Any) -> str:
        params = {"sort": self.sort, "order": "desc" if self.descending else "asc", **self.kept, **changes}
        return "?" + urlencode({key: value for key, value in params.items() if value})


def _table_query(request: HttpRequest, *, on_param: dict[str, str], onlies: tuple[str, ...]) -> TableQuery:
    """Read ?sort=<column>&order=asc|desc&page=N&only=<filter>; anything unknown gives the default (the highest share
    met first, page 1). `sort=-column` (the links before paging) still means descending."""
    sort = request.GET.get("sort", "")
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    order = request.GET.get("order", "")
    if sort not in SORTS:
        sort, descending = "met_share", True
    elif order in ("asc", "desc"):
        descending = order == "desc"
    only = request.GET.get("only", "")
    if only not in onlies:
        only = ""
    return TableQuery(
        sort=sort, descending=descending, page=_page_number(request), only=only, kept={**on_param, "only": only}
    )


def _page_number(request: HttpRequest) -> int:
    """?page=N; anything but a whole number from 1 gives the first page."""
    page = request.GET.get("page", "")
    return int(page) if re.fullmatch(r"[1-9][0-9]{0,5}", page) else 1


def _ordered(rows: QuerySet, query: TableQuery) -> QuerySet:
    value = F("sort_value")
    first = value.desc(nulls_last=True) if query.descending else value.asc(nulls_last=True)
    return rows.annotate(sort_value=SORTS[query.sort]).order_by(first, "unit_code")


def _page(rows: QuerySet, *, total: int, query: TableQuery) -> tuple[list[ProgressSnapshot], dict[str, Any] | None]:
    """One page of `rows` (already ordered) and its pager; a page past the last gives the first. No pager when every
    row fits on one page."""
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    number = query.page if query.page <= pages else 1
    start = (number - 1) * PAGE_SIZE
    page = list(rows[start : start + PAGE_SIZE])
    if pages == 1:
        return page, None
    return page, {
        "number": number,
        "pages": pages,
        "previous": query.link(page=number - 1) if number > 1 else "",
        "next": query.link(page=number + 1) if number < pages else "",
    }


def _sort_links(query: TableQuery) -> dict[str, dict[str, str]]:
    """For each sortable column: the link that sorts by it (toggling the direction) and its aria-sort value. A new
    sort starts at page 1 and keeps the date and the filter."""
    links = {}
    for key in SORTS:
        if query.sort == key:
            descending = not query.descending
            aria, arrow = ("descending", "↓") if query.descending else ("ascending", "↑")
        else:
            descending = key not in ASCENDING_FIRST
            aria, arrow = "none", ""
        href = query.link(sort=key, order="desc" if descending else "asc")
        links[key] = {"href": href, "aria": aria, "arrow": arrow}
    return links


# --- reads ----------------------------------------------------------------------------------------------------


def _campaign(request: HttpRequest) -> Campaign:
    campaign = selected_campaign(request)
    if campaign is None:
        raise Http404("no campaign is set up")
    return campaign


def _latest(*, campaign: Campaign, on: datetime.date, level: str, code: str = "") -> ProgressSnapshot | None:
    """The unit's latest snapshot on or before `on` (the city's when no code is given): its date is the page's."""
    rows = ProgressSnapshot.objects.filter(campaign=campaign, level=level, on__lte=on)
    if code:
        rows = rows.filter(unit_code=code)
    return rows.order_by("-on").first()


def _snapshot_on(*, campaign: Campaign, on: datetime.date, level: str, code: str = "") -> datetime.date | None:
    """The latest date on or before `on` with a snapshot of the unit (the city when no code is given)."""
    rows = ProgressSnapshot.objects.filter(campaign=campaign, level=level, on__lte=on)
    if code:
        rows = rows.filter(unit_code=code)
    return rows.aggregate(latest=Max("on"))["latest"]


def _latest_with_trend(
    *, campaign: Campaign, on: datetime.date, level: str, code: str = ""
) -> tuple[ProgressSnapshot | None, list[list[Any]]]:
    """The unit's latest snapshot on or before `on` (as `_latest`) and its trend (met share, percent, at each
    month's end up to that snapshot's date and at that date), in one query: the rows of `on`'s rollup dates and the
    latest one. No row lies after the latest, so the rows read are exactly the trend's, the latest last.

    The rollup computes days up to today, so the dates listed stop there: a far `on` (9999-12-31) lists no more."""
    rows = ProgressSnapshot.objects.filter(campaign=campaign, level=level)
    if code:
        rows = rows.filter(unit_code=code)
    latest_on = rows.filter(on__lte=on).order_by("-on").values("on")[:1]
    dates = rollup_dates(campaign, min(on, timezone.localdate()))
    read = list(
        rows.filter(Q(on__in=dates) | Q(on=Subquery(latest_on)))
        .defer("item_results")  # the dashboards show no item's figures (the department's page reads them)
        .order_by("on")
    )
    trend = [[row.on.isoformat(), float(_share_percent(row.met_share))] for row in read]
    return (read[-1] if read else None), trend


def _returned_reports(*, user: Any, campaign: Campaign, on: datetime.date, district: District | None) -> list[Report]:
    """Reports sent back to their filer on or before `on` and not resubmitted by then, oldest return first."""
    end = datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min, tzinfo=LOCAL)
    returned = ReportEvent.objects.filter(to_status=Report.Status.RETURNED, at__lt=end)
    resubmitted = ReportEvent.objects.filter(
        report=OuterRef("pk"), action=ReportEvent.Action.RESUBMITTED, at__gt=OuterRef("returned_at"), at__lt=end
    )
    # Only the reports ever returned (read through the events' (to_status, at) index), not every report of the
    # campaign each with a subquery: that was a quarter of a second with a hundred thousand reports.
    reports = Report.objects.visible_to(user).filter(campaign=campaign, pk__in=returned.values("report_id"))
    if district is not None:
        reports = reports.filter(district=district)
    reports = (
        reports.annotate(returned_at=Subquery(returned.filter(report=OuterRef("pk")).order_by("-at").values("at")[:1]))
        .filter(~Exists(resubmitted))
        .select_related("district", "department", "campaign")  # the period's label reads the campaign
        .order_by("returned_at")
    )
    rows = list(reports[: FLAG_LIMIT + 1])
    for report in rows:
        report.days_waiting = (on - timezone.localdate(report.returned_at, LOCAL)).days
        report.overdue = report.days_waiting >= campaign.returned_alert_days  # as the alert job counts
    return rows


def _pilot_milestone(milestones: list[Milestone], on: datetime.date) -> Milestone | None:
    """The pilots-in-every-street milestone whose deadline has passed by `on`, if any."""
    passed = [m for m in milestones if m.kind == Milestone.Kind.PILOTS_PER_STREET and m.due_on < on]
    return passed[-1] if passed else None


def _targets(campaign: Campaign, milestones: list[Milestone]) -> list[list[Any]]:
    return [
        [m.due_on.isoformat(), float(_share_percent(m.target_share))]
        for m in milestones
        if m.kind == Milestone.Kind.MET_SHARE and m.target_share is not None
    ]


def _on_query(on: datetime.date, given: bool) -> str:
    return f"&on={on.isoformat()}" if given else ""


def _projection(unit: Unit) -> list[list[Any]]:
    if unit.projected_percent is None or unit.met_percent is None:
        return []
    return [
        [unit.on.isoformat(), float(unit.met_percent)],
        [unit.target_due_on.isoformat(), float(unit.projected_percent)],
    ]


def _chart_labels() -> dict[str, str]:
    return {
        "met_share": _("Share met"),
        "target": _("Target"),
        "projection": _("Projection"),
        "met": _("Met the standard"),
        "roster": _("Urban communities"),
        "status": _("Status"),
        "of_target": _("Of target"),
        "no_data": _("No figures"),
        "reached": _("Target reached"),
        "pass_rate": _("Pass rate"),
        "no_roster": _("No urban communities"),
        "colon": pgettext("between a label and its value", ": "),
    }


def _base_context(request: HttpRequest, campaign: Campaign, on: datetime.date, given: bool, snap_on: Any) -> dict:
    return {
        "campaign": campaign,
        "on": on,
        "on_given": given,
        "snapshot_on": snap_on,
        "on_query": _on_query(on, given),
        "on_param": f"?on={on.isoformat()}" if given else "",
        "scope": scope_of(request.user),
    }


def _as_given(on: datetime.date, given: bool) -> dict[str, str]:
    return {"on": on.isoformat()} if given else {}


def _with_query(url: str, params: dict[str, str]) -> str:
    """`url` with the parameters that have a value, and no bare "?" when none has."""
    query = urlencode({key: value for key, value in params.items() if value})
    return f"{url}?{query}" if query else url


# --- pages ----------------------------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not scope.sees_whole_city:
        if scope.district_id:
            url = reverse("dashboard_district", args=[scope.district_code])
            return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
        raise Http404
    campaign = _campaign(request)
    on, given = as_of(request)
    city_row, trend = _latest_with_trend(campaign=campaign, on=on, level=Level.CITY)
    context = _base_context(request, campaign, on, given, city_row.on if city_row else None)
    if city_row is None:
        return render(request, "reporting/dashboard.html", context)
    snap_on = city_row.on
    city = Unit(city_row)
    # Every figure of the page but the table's page comes from the city row, counts, or a few named districts:
    # with thousands of districts the page still reads a fixed, small number of rows.
    districts = ProgressSnapshot.objects.filter(campaign=campaign, on=snap_on, level=Level.DISTRICT).defer(
        "item_results"
    )
    counts = districts.aggregate(
        all=Count("pk"), **{name: Count("pk", filter=condition) for name, condition in ONLY.items()}
    )
    query = _table_query(request, on_param=_as_given(on, given), onlies=tuple(ONLY))
    table_rows = districts.filter(ONLY[query.only]) if query.only else districts
    page, pager = _page(_ordered(table_rows, query), total=counts[query.only or "all"], query=query)

    def district_unit(snapshot: ProgressSnapshot) -> Unit:
        return Unit(snapshot, url=reverse("dashboard_district", args=[snapshot.unit_code]) + context["on_param"])

    prefetch_related_objects([campaign], "milestones")  # also answers campaign.asks_for_pilots in the page
    milestones = list(campaign.milestones.all())
    behind, overdue, mapped = _named_districts(districts)
    funds = funds_panel(on_year=snap_on.year)
    context.update(
        funds=funds,
        funds_url=reverse("funds_home") + f"?year={funds.year}",
        city=city,
        ranking=[district_unit(s) for s in page],
        pager=pager,
        only=query.only,
        show_all=query.link(only="") + "#ranking-heading",
        sort_links=_sort_links(query),
        flags=_flags(
            request,
            campaign=campaign,
            on=snap_on,
            milestones=milestones,
            unit=city,
            district=None,
            behind=[district_unit(s) for s in behind],
            behind_count=counts["behind"],
            overdue=[district_unit(s) for s in overdue],
            overdue_count=counts["overdue"],
            districts_lacking_pilot=counts["no_pilot"],
            table_query=query,
        ),
        data={
            "labels": _chart_labels(),
            "map_url": reverse("dashboard_map"),
            "map": [_map_item(district_unit(s)) for s in mapped],
            "trend": trend,
            "targets": _targets(campaign, milestones),
            "projection": _projection(city),
        },
        standing=standing_figures(on=on),
    )
    return render(request, "reporting/dashboard.html", context)


def _missing(rows: QuerySet) -> QuerySet:
    return rows.annotate(missing=F("reports_expected") - F("reports_submitted"))


def _named_districts(
    districts: QuerySet,
) -> tuple[list[ProgressSnapshot], list[ProgressSnapshot], list[ProgressSnapshot]]:
    """The districts the red flags name (the first FLAG_LIMIT behind by code, the FLAG_LIMIT with the most reports
    missing) and those the map colours, read in one query. Each list's true first FLAG_LIMIT are among the rows read
    and come first in its order, so sorting what was read and cutting gives exactly them."""
    behind_first = districts.filter(ONLY["behind"]).order_by("unit_code").values("unit_code")[:FLAG_LIMIT]
    overdue_first = (
        _missing(districts.filter(ONLY["overdue"])).order_by("-missing", "unit_code").values("unit_code")[:FLAG_LIMIT]
    )
    rows = list(
        _missing(districts)
        .filter(
            Q(unit_name__in=_map_names())
            | Q(unit_code__in=Subquery(behind_first))
            | Q(unit_code__in=Subquery(overdue_first))
        )
        .order_by("unit_code")
    )
    behind = [s for s in rows if s.status == Status.BEHIND][:FLAG_LIMIT]
    overdue = sorted((s for s in rows if s.missing > 0), key=lambda s: (-s.missing, s.unit_code))[:FLAG_LIMIT]
    # One row a name: were two districts of the database to share a map name, the first by code is drawn.
    mapped: dict[str, ProgressSnapshot] = {}
    for s in rows:
        if s.unit_name in _map_names():
            mapped.setdefault(s.unit_name, s)
    return behind, overdue, list(mapped.values())


def _map_item(unit: Unit) -> dict[str, Any]:
    of_target = unit.of_target
    return {
        "name": unit.unit_name,  # the map's feature name
        "code": unit.unit_code,
        "label": unit.unit_name,
        "value": None if of_target is None else float(min(of_target, Decimal(100))),
        "of_target": None if of_target is None else float(of_target),
        "met": unit.met,
        "roster": unit.roster,
        "share": None if unit.met_percent is None else float(unit.met_percent),
        "no_roster": not unit.has_roster,
        "target": None if unit.target_percent is None else float(unit.target_percent),
        "status": unit.status_label,
        "url": unit.url,
    }


def _flags(
    request: HttpRequest,
    *,
    campaign: Campaign,
    on: datetime.date,
    milestones: list[Milestone],
    unit: Unit,
    district: District | None,
    behind: list[Unit],
    behind_count: int,
    overdue: list[Unit],
    overdue_count: int,
    districts_lacking_pilot: int,
    table_query: TableQuery,
) -> dict[str, Any]:
    """Red flags: 街道 without a pilot past the pilot deadline, units behind, reports overdue or sent back. Each list
    of units names the first FLAG_LIMIT and links to the table filtered to all of them."""
    pilot_milestone = _pilot_milestone(milestones, on)
    lacking: list[ProgressSnapshot] = []
    # A 街道's row counts 1 in `streets`, and 1 in `streets_with_pilot` once it has a pilot; the unit's row sums them.
    lacking_count = max(unit.streets - unit.streets_with_pilot, 0) if pilot_milestone is not None else 0
    if lacking_count:
        # Street-level rows, by their parent district below (as for the district's table: no `level`, for the index).
        streets = ProgressSnapshot.objects.filter(campaign=campaign, on=on, streets__gt=0, streets_with_pilot=0)
        if district is None:
            # The first streets in code order lie in the first districts lacking a pilot: reading those districts'
            # streets (by the parent_code index) spares a scan of every street in the country.
            concerned = ProgressSnapshot.objects.filter(
                ONLY["no_pilot"], campaign=campaign, on=on, level=Level.DISTRICT
            ).order_by("unit_code")
            streets = streets.filter(parent_code__in=Subquery(concerned.values("unit_code")[:FLAG_LIMIT]))
        else:
            streets = streets.filter(parent_code=district.code)
        district_name = ProgressSnapshot.objects.filter(
            campaign=campaign, on=on, level=Level.DISTRICT, unit_code=OuterRef("parent_code")
        ).values("unit_name")[:1]
        lacking = list(
            streets.annotate(district_name=Subquery(district_name))
            .defer("item_results")
            .order_by("parent_code", "unit_code")[:FLAG_LIMIT]
        )
    anchor = "#ranking-heading" if district is None else "#streets-heading"
    return {
        "pilot_milestone": pilot_milestone,
        "streets_lacking_pilot": lacking,
        "streets_lacking_pilot_count": lacking_count,
        "lacking_link": table_query.link(only="no_pilot", page="") + anchor,
        "districts_lacking_pilot": districts_lacking_pilot,
        "behind": behind,
        "behind_count": behind_count,
        "behind_link": table_query.link(only="behind", page="") + anchor,
        "overdue_reports": overdue,
        "overdue_count": overdue_count,
        "overdue_link": table_query.link(only="overdue", page="") + anchor,
        "returned": _returned_reports(user=request.user, campaign=campaign, on=on, district=district),
        "supervision_overdue": supervision_overdue(user=request.user, on=on, district=district),
        "flag_limit": FLAG_LIMIT,
    }


@login_required
@require_GET
def dashboard_district(request: HttpRequest, code: str) -> HttpResponse:
    district = district_for(request.user, code)
    scope = scope_of(request.user)
    campaign = _campaign(request)
    on, given = as_of(request)
    district_row, trend = _latest_with_trend(campaign=campaign, on=on, level=Level.DISTRICT, code=district.code)
    context = _base_context(request, campaign, on, given, district_row.on if district_row else None)
    context["district"] = district
    if district_row is None:
        return render(request, "reporting/dashboard_district.html", context)
    snap_on = district_row.on
    unit = Unit(district_row)
    # Street staff see their district's figures but may open only their own street's progress.
    own_street = scope.street_code

    def street_url(code: str) -> str:
        return reverse("dashboard_street", args=[code]) + context["on_param"] if own_street in {"", code} else ""

    # Only street-level rows have a district as parent; leaving `level` out keeps the planner on the
    # (campaign, parent_code, on) index (with `level` it may walk every street of the date by the unique index).
    streets = ProgressSnapshot.objects.filter(campaign=campaign, on=snap_on, parent_code=district.code).defer(
        "item_results"
    )
    # The chart shows every street of the district (a district has tens, not thousands); the table a page of them.
    # Each street says whether it was renamed after the date, so the names' history costs a query only when one was.
    renamed_later = DivisionChange.objects.filter(
        level=DivisionChange.Level.STREET, code=OuterRef("unit_code"), field=DivisionChange.Field.NAME
    ).filter(effective_on__gt=snap_on)
    bars = list(
        streets.order_by("unit_code")
        .annotate(renamed_later=Exists(renamed_later))
        .values(
            "unit_code", "unit_name", "met", "roster", "met_share", "streets", "streets_with_pilot", "renamed_later"
        )
    )
    query = _table_query(request, on_param=_as_given(on, given), onlies=("no_pilot",))
    table_rows = streets.filter(ONLY[query.only]) if query.only else streets
    total = sum(1 for s in bars if s["streets"] > s["streets_with_pilot"]) if query.only else len(bars)
    page, pager = _page(_ordered(table_rows, query), total=total, query=query)
    prefetch_related_objects([campaign], "milestones")  # also answers campaign.asks_for_pilots in the page
    milestones = list(campaign.milestones.all())
    funds = funds_panel(on_year=snap_on.year, district=district)
    # The streets' names of that date: snapshots computed again after a later rename carry the new name.
    renamed = [bar for bar in bars if bar["renamed_later"]]
    if renamed:
        names_as_of(renamed, level="street", on=snap_on, code="unit_code", name="unit_name")
    name_of = {bar["unit_code"]: bar["unit_name"] for bar in bars}
    page_rows = list(page)
    for row in page_rows:
        row.unit_name = name_of.get(row.unit_code, row.unit_name)
    context.update(
        funds=funds,
        funds_url=reverse("funds_district", args=[district.code]) + f"?year={funds.year}",
        unit=unit,
        own_street=own_street,
        streets=[Unit(s, url=street_url(s.unit_code)) for s in page_rows],
        pager=pager,
        only=query.only,
        show_all=query.link(only="") + "#streets-heading",
        sort_links=_sort_links(query),
        can_see_city=scope.sees_whole_city,
        flags=_flags(
            request,
            campaign=campaign,
            on=snap_on,
            milestones=milestones,
            unit=unit,
            district=district,
            behind=[unit] if unit.status == Status.BEHIND else [],
            behind_count=int(unit.status == Status.BEHIND),
            overdue=[unit] if unit.reports_missing else [],
            overdue_count=int(bool(unit.reports_missing)),
            districts_lacking_pilot=0,
            table_query=query,
        ),
        data={
            "labels": _chart_labels(),
            "bars": [
                {
                    "name": s["unit_name"],
                    "value": float(_share_percent(s["met_share"])),
                    "met": s["met"],
                    "roster": s["roster"],
                    "no_roster": s["roster"] == 0,
                    "url": street_url(s["unit_code"]),
                }
                for s in bars
            ],
            "bar_target": None if unit.target_percent is None else float(unit.target_percent),
            "trend": trend,
            "targets": _targets(campaign, milestones),
            "projection": _projection(unit),
        },
        standing=standing_figures(on=on, district_id=district.pk),
    )
    return render(request, "reporting/dashboard_district.html", context)


def _department_items(
    request: HttpRequest, campaign: Campaign
) -> tuple[Department | None, list[StandardItem], list[Department]]:
    """The department whose items are shown and those items; 404 for anyone who is neither it nor the commission."""
    scope = scope_of(request.user)
    if scope.role == "department_staff" and scope.department_id:
        department: Department | None = Department.objects.get(pk=scope.department_id)
        choices: list[Department] = []
    elif scope.is_commission:
        choices = list(Department.objects.order_by("code"))
        department = next((d for d in choices if d.code == request.GET.get("department")), None)
    else:
        raise Http404
    items = campaign_items(campaign)
    if department is not None:
        items = items.filter(category__departments=department).distinct()
    return department, list(items), choices


def _item_rate(results: dict, number: int) -> tuple[int, int, Decimal | None]:
    meets, answered = (results or {}).get(str(number), [0, 0])
    return meets, answered, percent(meets, answered)


@login_required
@require_GET
def dashboard_department(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    department, items, choices = _department_items(request, campaign)
    on, given = as_of(request)
    city_row = _latest(campaign=campaign, on=on, level=Level.CITY)
    context = _base_context(request, campaign, on, given, city_row.on if city_row else None)
    context.update(department=department, departments=choices, items=items)
    if city_row is None:
        return render(request, "reporting/dashboard_department.html", context)
    city = Unit(city_row)
    districts = ProgressSnapshot.objects.filter(campaign=campaign, on=city_row.on, level=Level.DISTRICT)
    # The matrix keeps its order by code; its pages keep the date and the department chosen.
    kept = {**_as_given(on, given), "department": department.code if department and choices else ""}
    query = TableQuery(sort="name", descending=False, page=_page_number(request), only="", kept=kept)
    page, pager = _page(districts.order_by("unit_code"), total=districts.count(), query=query)

    def failures_url(number: int, district_code: str = "") -> str:
        """The communities behind a count that failed the item: the whole city's, or one district's."""
        params = {**kept, "district": district_code}
        return _with_query(reverse("dashboard_item_failures", args=[number]), params)

    def rate_cell(results: dict, number: int, district_code: str = "") -> tuple[int, int, Decimal | None, int, str]:
        meets, answered, rate = _item_rate(results, number)
        failed = answered - meets
        return meets, answered, rate, failed, failures_url(number, district_code) if failed else ""

    item_rows = [(item, *rate_cell(city.item_results, item.number)) for item in items]
    context.update(
        city=city,
        item_rows=item_rows,
        matrix=[(d, [rate_cell(d.item_results, item.number, d.unit_code) for item in items]) for d in page],
        pager=pager,
        data={
            "labels": _chart_labels(),
            "items": [
                {
                    "name": _("Item %(n)s") % {"n": item.number},
                    "text": item.text,
                    "value": None if rate is None else float(rate),
                    "url": url,
                }
                for item, _meets, _answered, rate, _failed, url in item_rows
            ],
        },
    )
    return render(request, "reporting/dashboard_department.html", context)


@login_required
@require_GET
def dashboard_item_failures(request: HttpRequest, number: int) -> HttpResponse:
    """The communities behind a pass rate's failures: those whose latest signed inspection, on the date the
    department dashboard shows, does not meet the item. Scoped as that dashboard: a department only its own items."""
    campaign = _campaign(request)
    department, items, choices = _department_items(request, campaign)
    item = next((i for i in items if i.number == number), None)
    if item is None:
        raise Http404
    on, given = as_of(request)
    code = request.GET.get("district", "")
    district = district_for(request.user, code) if code else None
    city_row = _latest(campaign=campaign, on=on, level=Level.CITY)
    context = _base_context(request, campaign, on, given, city_row.on if city_row else None)
    department_param = department.code if department and choices else ""
    back = {**_as_given(on, given), "department": department_param}
    context.update(
        city=city_row,
        item=item,
        department=department,
        district=district,
        back_url=_with_query(reverse("dashboard_department"), back),
    )
    if city_row is not None:
        rows = item_failures(campaign=campaign, number=number, on=city_row.on, district=district)
        kept = {**back, "district": district.code if district else ""}
        query = TableQuery(sort="name", descending=False, page=_page_number(request), only="", kept=kept)
        total = rows.count()
        page, pager = _page(rows, total=total, query=query)
        context.update(
            failures=page,
            failure_total=total,
            pager=pager,
            all_districts_url=_with_query(request.path, back) if district else "",
        )
    return render(request, "reporting/dashboard_item_failures.html", context)


# --- the map's boundaries -------------------------------------------------------------------------------------


@functools.cache
def _map_file() -> tuple[bytes, str]:
    content = MAP_FILE.read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:16]


@functools.cache
def _map_names() -> frozenset[str]:
    """The districts the map draws (Tianjin's 16), by name: the schematic map's features carry no division code, so
    a district's figures find their shape by its name, as ECharts matches them."""
    return frozenset(str(feature["properties"]["name"]) for feature in json.loads(_map_file()[0])["features"])


@login_required
@require_GET
def dashboard_map(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not (scope.sees_whole_city or scope.district_id):
        raise Http404
    content, digest = _map_file()
    etag = f'"{digest}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=86400"
    return response


# --- Excel ----------------------------------------------------------------------------------------------------

UNIT_COLUMNS = [
    (_lazy("Code"), lambda u: u.unit_code),
    (_lazy("Name"), lambda u: u.unit_name),
    (_lazy("Urban communities"), lambda u: u.roster),
    (_lazy("Participating"), lambda u: u.participating),
    (_lazy("Pilots"), lambda u: u.pilots),
    (_lazy("Met the standard"), lambda u: u.met),
    (_lazy("Share met (%)"), lambda u: u.met_percent),
    (_lazy("Target (%)"), lambda u: u.target_percent),
    (_lazy("Target due on"), lambda u: u.target_due_on),
    (_lazy("Projected share at the target date (%)"), lambda u: u.projected_percent),
    (_lazy("Status"), lambda u: u.status_label),
    (_lazy("Subdistricts"), lambda u: u.streets),
    (_lazy("Subdistricts with a pilot"), lambda u: u.streets_with_pilot),
    (_lazy("Pilot coverage (%)"), lambda u: u.pilot_coverage),
    (_lazy("Self-assessed as meeting"), lambda u: u.self_assessed),
    (_lazy("Reports due"), lambda u: u.reports_expected),
    (_lazy("Reports submitted"), lambda u: u.reports_submitted),
    (_lazy("Submitted by the due day"), lambda u: u.reports_timely),
    (_lazy("Reporting rate (%)"), lambda u: u.reporting_rate),
    (_lazy("Timeliness (%)"), lambda u: u.timeliness),
]
EXPORT_TABLES = ("ranking", "streets", "items")


@login_required
@require_GET
def dashboard_export(request: HttpRequest) -> HttpResponse:
    table = request.GET.get("table", "")
    if table not in EXPORT_TABLES:
        return render(
            request,
            "reporting/dashboard_error.html",
            {"message": _("Choose which table to export: the district ranking, a district's streets or the items.")},
            status=400,
        )
    campaign = _campaign(request)
    on, _given = as_of(request)
    scope = scope_of(request.user)
    # Column headers and labels are Chinese whatever the reader's language: the workbook circulates as a document.
    with translation.override("zh-hans"):
        if table == "items":
            sheet, rows = _items_sheet(request, campaign=campaign, on=on)
        elif table == "ranking":
            if not scope.sees_whole_city:
                raise Http404
            sheet, rows = _units_sheet(campaign=campaign, on=on, level=Level.DISTRICT, district=None)
        else:
            code = request.GET.get("district", "") or scope.district_code
            if not code:
                return render(
                    request,
                    "reporting/dashboard_error.html",
                    {"message": _("Choose the district whose streets to export.")},
                    status=400,
                )
            district = district_for(request.user, code)
            sheet, rows = _units_sheet(campaign=campaign, on=on, level=Level.STREET, district=district)
        content = _workbook(sheet, rows)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    suffix = request.GET.get("district", "") if table == "streets" else ""
    name = "-".join(
        part for part in ("dashboard", table, suffix if suffix.isdigit() else "", on.strftime("%Y%m%d")) if part
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _units_sheet(
    *, campaign: Campaign, on: datetime.date, level: str, district: District | None
) -> tuple[dict[str, Any], Iterator[list[Any]]]:
    """Every unit, not a page: the highest share met first, as the table starts. Rows are read as they are written."""
    snap_on = _snapshot_on(
        campaign=campaign,
        on=on,
        level=Level.CITY if district is None else Level.DISTRICT,
        code=district.code if district else "",
    )
    # No snapshot yet: the sheet has its headers and no rows.
    snapshots = (
        ProgressSnapshot.objects.none()
        if snap_on is None
        else ProgressSnapshot.objects.filter(campaign=campaign, on=snap_on, level=level).defer("item_results")
    )
    if district is not None:
        snapshots = snapshots.filter(parent_code=district.code)
    ordered = _ordered(snapshots, TableQuery(sort="met_share", descending=True, page=1, only="", kept={}))
    title = _("District ranking") if district is None else _("%(district)s by street") % {"district": district.name}

    def rows() -> Iterator[list[Any]]:
        yield [str(header) for header, _value in UNIT_COLUMNS]
        for snapshot in ordered.iterator(chunk_size=2000):
            unit = Unit(snapshot)
            yield [value(unit) for _header, value in UNIT_COLUMNS]

    return {"title": title, "on": snap_on}, rows()


def _items_sheet(
    request: HttpRequest, *, campaign: Campaign, on: datetime.date
) -> tuple[dict[str, Any], Iterator[list[Any]]]:
    department, items, _choices = _department_items(request, campaign)
    snap_on = _snapshot_on(campaign=campaign, on=on, level=Level.CITY)
    # Item-major rows need every area once per item: read the areas' names and results once (a few small values a
    # district), not whole snapshots, and not once per item.
    areas = (
        []
        if snap_on is None
        else list(
            ProgressSnapshot.objects.filter(campaign=campaign, on=snap_on, level__in=[Level.CITY, Level.DISTRICT])
            .order_by(Case(When(level=Level.CITY, then=Value(0)), default=Value(1)), "unit_code")
            .values_list("level", "unit_name", "item_results")
        )
    )

    def rows() -> Iterator[list[Any]]:
        yield [
            _("Item"),
            _("Category"),
            _("Standard"),
            _("Area"),
            _("Meet the item"),
            _("Inspected"),
            _("Pass rate (%)"),
        ]
        for item in items:
            for level, name, results in areas:
                meets, answered, rate = _item_rate(results, item.number)
                area = _("Whole city") if level == Level.CITY else name
                yield [item.number, item.category.name, item.text, area, meets, answered, rate]

    title = _("Items of %(department)s") % {"department": department.name} if department else _("Items of the standard")
    return {"title": title, "on": snap_on}, rows()


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise_formula(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _workbook(sheet: dict[str, Any], rows: Iterator[list[Any]]) -> bytes:
    """The workbook, written row by row (openpyxl's write-only mode keeps no cell objects for the rows written)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    data = book.create_sheet("数据")
    headers = next(rows)
    # A write-only sheet takes its layout before its first row.
    for index in range(1, len(headers) + 1):
        data.column_dimensions[get_column_letter(index)].width = 14
    data.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(data, value=_cell(header))
        cell.font = bold
        header_cells.append(cell)
    data.append(header_cells)
    for row in rows:
        data.append([_cell(value) for value in row])
    about = book.create_sheet("说明")
    snap_on = sheet["on"]
    about.append([_("Table"), _cell(sheet["title"])])
    about.append([_("Figures as of"), date_format(snap_on, "Y年n月j日") if snap_on else _("No figures")])
    about.append([_("Exported at"), date_format(timezone.localtime(), "Y年n月j日 H:i")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
