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
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET

from districts.access import district_for
from districts.models import Department, District, Street
from districts.resources import neutralise_formula
from districts.scope import Scope, scope_of
from greencommunity.dates import as_of
from standards.models import StandardItem

from .models import Campaign, Milestone, ProgressSnapshot, Report, ReportEvent
from .selectors import campaign_months, month_end
from .timeliness import percent

LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)
MAP_FILE = Path(__file__).resolve().parent / "data" / "tianjin-districts.geojson"
FLAG_LIMIT = 20
Level = ProgressSnapshot.Level
Status = ProgressSnapshot.Status
# Worst first, so an ascending sort by status puts the districts that need attention at the top.
STATUS_ORDER = {Status.BEHIND: 0, Status.AT_RISK: 1, Status.ON_TRACK: 2, Status.NONE: 3}
STATUS_CSS = {Status.BEHIND: "bad", Status.AT_RISK: "warn", Status.ON_TRACK: "", Status.NONE: "neutral"}


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
    def met_percent(self) -> Decimal | None:
        return _share_percent(self.snapshot.met_share)

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
        return percent_of(self.snapshot.met_share, target) if target else None

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
        return self.snapshot.get_status_display()

    @property
    def status_css(self) -> str:
        return STATUS_CSS.get(self.snapshot.status, "neutral")


def percent_of(part: Decimal, whole: Decimal) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


SORTS: dict[str, Any] = {
    "name": lambda u: u.unit_code,
    "met_share": lambda u: u.met_share,
    "status": lambda u: STATUS_ORDER.get(u.status, 9),
    "pilot_coverage": lambda u: u.pilot_coverage,
    "reporting_rate": lambda u: u.reporting_rate,
    "timeliness": lambda u: u.timeliness,
}


def _sorted(units: list[Unit], sort: str) -> tuple[list[Unit], str]:
    """Sort by `sort` (a SORTS key, "-" for descending); empty values go last either way; ties by code."""
    key = sort.lstrip("-")
    if key not in SORTS:
        sort, key = "-met_share", "met_share"
    descending = sort.startswith("-")
    known = [u for u in units if SORTS[key](u) is not None]
    known.sort(key=lambda u: u.unit_code)
    known.sort(key=SORTS[key], reverse=descending)
    return known + [u for u in units if SORTS[key](u) is None], sort


# Columns whose first click sorts ascending (names A→Z, status worst first); the others start with the highest.
ASCENDING_FIRST = {"name", "status"}


def _sort_links(sort: str, on_query: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the link that sorts by it (toggling the direction) and its aria-sort value."""
    links = {}
    for key in SORTS:
        if sort.lstrip("-") == key:
            descending = sort.startswith("-")
            following = key if descending else f"-{key}"
            aria, arrow = ("descending", "↓") if descending else ("ascending", "↑")
        else:
            following = key if key in ASCENDING_FIRST else f"-{key}"
            aria, arrow = "none", ""
        links[key] = {"href": f"?sort={following}{on_query}", "aria": aria, "arrow": arrow}
    return links


# --- reads ----------------------------------------------------------------------------------------------------


def _campaign() -> Campaign:
    campaign = Campaign.objects.current()
    if campaign is None:
        raise Http404("no campaign is set up")
    return campaign


def _snapshot_on(*, campaign: Campaign, on: datetime.date, level: str, code: str = "") -> datetime.date | None:
    """The latest date on or before `on` with a snapshot of the unit (the city when no code is given)."""
    rows = ProgressSnapshot.objects.filter(campaign=campaign, level=level, on__lte=on)
    if code:
        rows = rows.filter(unit_code=code)
    return rows.aggregate(latest=Max("on"))["latest"]


def _trend(*, campaign: Campaign, until: datetime.date, level: str, code: str = "") -> list[list[Any]]:
    """Met share (percent) at each month's end up to `until`, and at `until` itself: one query."""
    days = [month_end(month) for month in campaign_months(campaign, until=until) if month_end(month) < until]
    rows = ProgressSnapshot.objects.filter(campaign=campaign, level=level, on__in=[*days, until])
    if code:
        rows = rows.filter(unit_code=code)
    return [
        [day.isoformat(), float(_share_percent(share))]
        for day, share in rows.order_by("on").values_list("on", "met_share")
    ]


def _returned_reports(*, user: Any, campaign: Campaign, on: datetime.date, district: District | None) -> list[Report]:
    """Reports sent back to their filer on or before `on` and not resubmitted by then, oldest return first."""
    end = datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min, tzinfo=LOCAL)
    returned = ReportEvent.objects.filter(report=OuterRef("pk"), to_status=Report.Status.RETURNED, at__lt=end)
    resubmitted = ReportEvent.objects.filter(
        report=OuterRef("pk"), action=ReportEvent.Action.RESUBMITTED, at__gt=OuterRef("returned_at"), at__lt=end
    )
    reports = Report.objects.visible_to(user).filter(campaign=campaign)
    if district is not None:
        reports = reports.filter(district=district)
    reports = (
        reports.annotate(returned_at=Subquery(returned.order_by("-at").values("at")[:1]))
        .filter(returned_at__isnull=False)
        .filter(~Exists(resubmitted))
        .select_related("district", "department")
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
    if unit.projected_percent is None:
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
    campaign = _campaign()
    on, given = as_of(request)
    snap_on = _snapshot_on(campaign=campaign, on=on, level=Level.CITY)
    context = _base_context(request, campaign, on, given, snap_on)
    if snap_on is None:
        return render(request, "reporting/dashboard.html", context)
    snapshots = list(
        ProgressSnapshot.objects.filter(campaign=campaign, on=snap_on, level__in=[Level.CITY, Level.DISTRICT])
    )
    city = Unit(next(s for s in snapshots if s.level == Level.CITY))
    districts = [
        Unit(s, url=reverse("dashboard_district", args=[s.unit_code]) + context["on_param"])
        for s in snapshots
        if s.level == Level.DISTRICT
    ]
    ranking, sort = _sorted(districts, request.GET.get("sort", ""))
    milestones = list(campaign.milestones.all())
    names = {d.unit_code: d.unit_name for d in districts}
    context.update(
        city=city,
        ranking=ranking,
        sort_links=_sort_links(sort, context["on_query"]),
        flags=_flags(
            request,
            campaign=campaign,
            on=snap_on,
            milestones=milestones,
            units=districts,
            street_filter=Q(),
            names=names,
            district=None,
        ),
        data={
            "labels": _chart_labels(),
            "map_url": reverse("dashboard_map"),
            "map": [_map_item(d) for d in districts],
            "trend": _trend(campaign=campaign, until=snap_on, level=Level.CITY),
            "targets": _targets(campaign, milestones),
            "projection": _projection(city),
        },
    )
    return render(request, "reporting/dashboard.html", context)


def _map_item(unit: Unit) -> dict[str, Any]:
    of_target = unit.of_target
    return {
        "name": unit.unit_code,
        "label": unit.unit_name,
        "value": None if of_target is None else float(min(of_target, Decimal(100))),
        "of_target": None if of_target is None else float(of_target),
        "met": unit.met,
        "roster": unit.roster,
        "share": float(unit.met_percent),
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
    units: list[Unit],
    street_filter: Q,
    names: dict[str, str],
    district: District | None,
) -> dict[str, Any]:
    """Red flags: 街道 without a pilot past the pilot deadline, units behind, reports overdue or sent back."""
    pilot_milestone = _pilot_milestone(milestones, on)
    lacking: list[ProgressSnapshot] = []
    lacking_count = 0
    if pilot_milestone is not None:
        # A street-level row counts 1 in `streets` when it is a 街道 (other kinds are shown, not counted).
        street_rows = ProgressSnapshot.objects.filter(
            street_filter, campaign=campaign, on=on, level=Level.STREET, streets__gt=0, streets_with_pilot=0
        ).order_by("parent_code", "unit_code")
        lacking = list(street_rows[:FLAG_LIMIT])
        lacking_count = len(lacking) if len(lacking) < FLAG_LIMIT else street_rows.count()
        for row in lacking:
            row.district_name = names.get(row.parent_code, "")
    return {
        "pilot_milestone": pilot_milestone,
        "streets_lacking_pilot": lacking,
        "streets_lacking_pilot_count": lacking_count,
        "behind": [u for u in units if u.status == Status.BEHIND],
        "overdue_reports": sorted(
            (u for u in units if u.reports_missing), key=lambda u: (-u.reports_missing, u.unit_code)
        ),
        "returned": _returned_reports(user=request.user, campaign=campaign, on=on, district=district),
        "flag_limit": FLAG_LIMIT,
    }


@login_required
@require_GET
def dashboard_district(request: HttpRequest, code: str) -> HttpResponse:
    district = district_for(request.user, code)
    scope = scope_of(request.user)
    campaign = _campaign()
    on, given = as_of(request)
    snap_on = _snapshot_on(campaign=campaign, on=on, level=Level.DISTRICT, code=district.code)
    context = _base_context(request, campaign, on, given, snap_on)
    context["district"] = district
    if snap_on is None:
        return render(request, "reporting/dashboard_district.html", context)
    snapshots = list(
        ProgressSnapshot.objects.filter(campaign=campaign, on=snap_on).filter(
            Q(level=Level.DISTRICT, unit_code=district.code) | Q(level=Level.STREET, parent_code=district.code)
        )
    )
    unit = Unit(next(s for s in snapshots if s.level == Level.DISTRICT))
    # Street staff see their district's figures but may open only their own street's roster.
    own_street = _own_street_code(scope)

    def roster_url(code: str) -> str:
        return reverse("roster_street", args=[code]) + context["on_param"] if own_street in {"", code} else ""

    streets = [Unit(s, url=roster_url(s.unit_code)) for s in snapshots if s.level == Level.STREET]
    rows, sort = _sorted(streets, request.GET.get("sort", ""))
    milestones = list(campaign.milestones.all())
    context.update(
        unit=unit,
        streets=rows,
        sort_links=_sort_links(sort, context["on_query"]),
        can_see_city=scope.sees_whole_city,
        flags=_flags(
            request,
            campaign=campaign,
            on=snap_on,
            milestones=milestones,
            units=[unit],
            street_filter=Q(parent_code=district.code),
            names={district.code: district.name},
            district=district,
        ),
        data={
            "labels": _chart_labels(),
            "bars": [
                {"name": s.unit_name, "value": float(s.met_percent), "met": s.met, "roster": s.roster, "url": s.url}
                for s in sorted(streets, key=lambda s: s.unit_code)
            ],
            "bar_target": None if unit.target_percent is None else float(unit.target_percent),
            "trend": _trend(campaign=campaign, until=snap_on, level=Level.DISTRICT, code=district.code),
            "targets": _targets(campaign, milestones),
            "projection": _projection(unit),
        },
    )
    return render(request, "reporting/dashboard_district.html", context)


def _own_street_code(scope: Scope) -> str:
    if not scope.street_id:
        return ""
    return Street.objects.values_list("code", flat=True).get(pk=scope.street_id)


def _department_items(request: HttpRequest) -> tuple[Department | None, list[StandardItem], list[Department]]:
    """The department whose items are shown and those items; 404 for anyone who is neither it nor the commission."""
    scope = scope_of(request.user)
    if scope.role == "department_staff":
        department = Department.objects.get(pk=scope.department_id)
        choices: list[Department] = []
    elif scope.is_commission:
        choices = list(Department.objects.order_by("code"))
        department = next((d for d in choices if d.code == request.GET.get("department")), None)
    else:
        raise Http404
    items = StandardItem.objects.select_related("category").order_by("number")
    if department is not None:
        items = items.filter(category__departments=department).distinct()
    return department, list(items), choices


def _item_rate(results: dict, number: int) -> tuple[int, int, Decimal | None]:
    meets, answered = (results or {}).get(str(number), [0, 0])
    return meets, answered, percent(meets, answered)


@login_required
@require_GET
def dashboard_department(request: HttpRequest) -> HttpResponse:
    department, items, choices = _department_items(request)
    campaign = _campaign()
    on, given = as_of(request)
    snap_on = _snapshot_on(campaign=campaign, on=on, level=Level.CITY)
    context = _base_context(request, campaign, on, given, snap_on)
    context.update(department=department, departments=choices, items=items)
    if snap_on is None:
        return render(request, "reporting/dashboard_department.html", context)
    snapshots = list(
        ProgressSnapshot.objects.filter(campaign=campaign, on=snap_on, level__in=[Level.CITY, Level.DISTRICT])
    )
    city = Unit(next(s for s in snapshots if s.level == Level.CITY))
    districts = sorted((s for s in snapshots if s.level == Level.DISTRICT), key=lambda s: s.unit_code)
    context.update(
        city=city,
        item_rows=[(item, *_item_rate(city.item_results, item.number)) for item in items],
        matrix=[(d, [_item_rate(d.item_results, item.number) for item in items]) for d in districts],
        data={
            "labels": _chart_labels(),
            "items": [
                {
                    "name": _("Item %(n)s") % {"n": item.number},
                    "text": item.text,
                    "value": None if rate is None else float(rate),
                }
                for item, _meets, _answered, rate in (
                    (item, *_item_rate(city.item_results, item.number)) for item in items
                )
            ],
        },
    )
    return render(request, "reporting/dashboard_department.html", context)


# --- the map's boundaries -------------------------------------------------------------------------------------


@functools.cache
def _map_file() -> tuple[bytes, str]:
    content = MAP_FILE.read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:16]


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
    campaign = _campaign()
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
) -> tuple[dict[str, Any], list[list[Any]]]:
    snap_on = _snapshot_on(
        campaign=campaign,
        on=on,
        level=Level.CITY if district is None else Level.DISTRICT,
        code=district.code if district else "",
    )
    snapshots = ProgressSnapshot.objects.filter(campaign=campaign, on=snap_on, level=level)
    if district is not None:
        snapshots = snapshots.filter(parent_code=district.code)
    units, _sort = _sorted([Unit(s) for s in snapshots], "-met_share")
    title = _("District ranking") if district is None else _("%(district)s by street") % {"district": district.name}
    rows = [[str(header) for header, _value in UNIT_COLUMNS]]
    rows += [[value(u) for _header, value in UNIT_COLUMNS] for u in units]
    return {"title": title, "on": snap_on}, rows


def _items_sheet(
    request: HttpRequest, *, campaign: Campaign, on: datetime.date
) -> tuple[dict[str, Any], list[list[Any]]]:
    department, items, _choices = _department_items(request)
    snap_on = _snapshot_on(campaign=campaign, on=on, level=Level.CITY)
    snapshots = sorted(
        ProgressSnapshot.objects.filter(campaign=campaign, on=snap_on, level__in=[Level.CITY, Level.DISTRICT]),
        key=lambda s: (s.level != Level.CITY, s.unit_code),
    )
    rows = [
        [_("Item"), _("Category"), _("Standard"), _("Area"), _("Meet the item"), _("Inspected"), _("Pass rate (%)")]
    ]
    for item in items:
        for snapshot in snapshots:
            meets, answered, rate = _item_rate(snapshot.item_results, item.number)
            area = _("Whole city") if snapshot.level == Level.CITY else snapshot.unit_name
            rows.append([item.number, item.category.name, item.text, area, meets, answered, rate])
    title = _("Items of %(department)s") % {"department": department.name} if department else _("Items of the standard")
    return {"title": title, "on": snap_on}, rows


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise_formula(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _workbook(sheet: dict[str, Any], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    data = book.active
    data.title = "数据"
    for row in rows:
        data.append([_cell(value) for value in row])
    for cell in data[1]:
        cell.font = Font(bold=True)
    data.freeze_panes = "A2"
    for column in data.columns:
        data.column_dimensions[column[0].column_letter].width = 14
    about = book.create_sheet("说明")
    snap_on = sheet["on"]
    about.append([_("Table"), _cell(sheet["title"])])
    about.append([_("Figures as of"), date_format(snap_on, "Y年n月j日") if snap_on else _("No figures")])
    about.append([_("Exported at"), date_format(timezone.localtime(), "Y年n月j日 H:i")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
