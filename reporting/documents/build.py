"""The campaign's PDF documents: the city's monthly bulletin (通报), a district's monthly report, the annual
compilation and a community's acceptance record.

Each kind is a template under templates/documents/ printed by WeasyPrint in the look of an official document
(red issuing body, for the bulletin its document number and main recipients, title, date, page numbers "— 1 —").
Charts are SVG drawn here, so they stay vectors in the PDF. A document is an official paper: it is always written
in the portal's own language, whoever asks for it.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from districts.models import Community, Department, District
from reporting.commendations.selectors import approved_by_kind
from reporting.experience.selectors import cases_published_in
from reporting.figures import rollups, selectors
from reporting.figures.selectors import annual_years, campaign_months, month_end, previous_month, report_figures
from reporting.figures.timeliness import percent
from reporting.funds.selectors import funds_by_district, funds_by_source
from reporting.models import DEADLINE_OF, Campaign, GeneratedDocument, Milestone, ProgressSnapshot, Report
from reporting.reports.narrative import NARRATIVE_FIELDS
from reporting.supervision.selectors import bulletin_supervision
from standards.acceptance import met_inspections
from standards.models import Inspection, InspectionAnswer, Rectification, Revocation, SelfAssessment
from standards.recheck import StandingFigures, standing_figures, standing_figures_by_district
from standards.selectors import standard_items

Kind = GeneratedDocument.Kind
Level = ProgressSnapshot.Level
Status = ProgressSnapshot.Status
# WeasyPrint logs every layout step at INFO; a worker's log should name the documents, not their pages.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


class DocumentError(Exception):
    """The document cannot be made as asked; the message is for the user."""


@dataclass(frozen=True)
class DocumentSpec:
    """A validated request for one document: what it is, for when and for whom."""

    kind: str
    period: str  # "2022-06" for the monthly kinds, "2021" for the annual compilation, "" for an acceptance record
    scope_code: str  # a district's or a community's code; "" for the city
    campaign: Campaign
    month: datetime.date | None = None
    year: int | None = None
    district: District | None = None
    community: Community | None = None

    @property
    def storage_name(self) -> str:
        """Where the file is kept: one name per (campaign, kind, period, scope), so making it again replaces it."""
        folder = f"documents/{self.campaign.pk}/{self.kind}"
        folder = f"{folder}/{self.period}" if self.period else folder
        return f"{folder}/{self.scope_code or 'city'}.pdf"

    @property
    def title(self) -> str:
        if self.kind == Kind.CITY_BULLETIN:
            return _("Tianjin green community campaign: progress bulletin")
        if self.kind == Kind.DISTRICT_MONTHLY:
            assert self.district is not None  # every district monthly names its district
            return _("%(district)s green community campaign: monthly report") % {"district": self.district.name}
        if self.kind == Kind.ANNUAL:
            return _("Tianjin green community campaign: the annual reports compiled")
        community = self.community
        assert community is not None  # an acceptance record is a community's
        return _("%(place)s green community acceptance record") % {
            "place": f"{community.district.name}{community.street.name}{community.name}"
        }

    @property
    def issued_on(self) -> datetime.date | None:
        """The date the document carries, where it does not depend on when it is made: a bulletin states the
        figures as of its month's last day and is dated that day, so making it again years later prints the same
        paper. Other kinds are dated the day they are made."""
        if self.kind == Kind.CITY_BULLETIN:
            assert self.month is not None  # a bulletin is a month's
            return month_end(self.month)
        return None

    @property
    def is_numbered(self) -> bool:
        """Whether the document is issued under a document number (发文字号): the commission's bulletin."""
        return self.kind == Kind.CITY_BULLETIN

    @property
    def period_label(self) -> str:
        if self.month is not None:
            return formats.date_format(self.month, "YEAR_MONTH_FORMAT")
        if self.year is not None:
            return _("year %(year)s") % {"year": self.year}
        return ""

    @property
    def filename(self) -> str:
        label = self.period_label
        name = _("%(title)s (%(period)s)") % {"title": self.title, "period": label} if label else self.title
        return f"{name}.pdf"


# --- validating a request -------------------------------------------------------------------------------------


def document_spec(
    *,
    kind: str,
    period: str = "",
    scope_code: str = "",
    campaign: Campaign | None = None,
    today: datetime.date | None = None,
) -> DocumentSpec:
    """Check what is asked for and find what it covers, in `campaign` (the reader's pick; by default the current
    one); DocumentError in plain words when it cannot be made."""
    campaign = campaign or Campaign.objects.current()
    if campaign is None:
        raise DocumentError(_("No campaign is set up, so there is nothing to put in a document."))
    period, scope_code = (period or "").strip(), (scope_code or "").strip()
    today = today or timezone.localdate()
    if kind not in Kind.values:
        raise DocumentError(
            _(
                "Choose what to make: the city bulletin, a district's monthly report, the annual compilation or an "
                "acceptance record."
            )
        )
    if kind == Kind.ACCEPTANCE_RECORD:
        if period:
            raise DocumentError(_("An acceptance record covers every inspection to date; leave the period empty."))
        community = _community(scope_code)
        return DocumentSpec(kind, "", scope_code, campaign, district=community.district, community=community)
    if kind in (Kind.CITY_BULLETIN, Kind.ANNUAL) and scope_code:
        raise DocumentError(_("This document covers the whole city; leave the district and community empty."))
    if kind == Kind.ANNUAL:
        year = _year(period, campaign)
        return DocumentSpec(kind, period, "", campaign, year=year)
    month = _month(period, campaign)
    if kind == Kind.CITY_BULLETIN:
        if month_end(month) >= today:
            raise DocumentError(
                _("The bulletin for %(month)s can be made once the month is over.")
                % {"month": formats.date_format(month, "YEAR_MONTH_FORMAT")}
            )
        return DocumentSpec(kind, period, "", campaign, month=month)
    district = _district(scope_code)
    if not Report.objects.filter(campaign=campaign, kind=Report.Kind.MONTHLY, district=district, period=month).exists():
        raise DocumentError(
            _("%(district)s has not started its monthly report for %(month)s, so there is nothing to print.")
            % {"district": district.name, "month": formats.date_format(month, "YEAR_MONTH_FORMAT")}
        )
    return DocumentSpec(kind, period, scope_code, campaign, month=month, district=district)


def _month(period: str, campaign: Campaign) -> datetime.date:
    match = re.fullmatch(r"(\d{4})-(\d{2})", period)
    if not match or not 1 <= int(match[2]) <= 12:
        raise DocumentError(_("Give the month as YYYY-MM, for example 2022-06."))
    month = datetime.date(int(match[1]), int(match[2]), 1)
    if month not in campaign_months(campaign):
        raise DocumentError(
            _("%(month)s is outside the campaign, which runs from %(start)s to %(end)s.")
            % {
                "month": formats.date_format(month, "YEAR_MONTH_FORMAT"),
                "start": formats.date_format(campaign.starts_on),
                "end": formats.date_format(campaign.ends_on),
            }
        )
    return month


def _year(period: str, campaign: Campaign) -> int:
    if not re.fullmatch(r"\d{4}", period):
        raise DocumentError(_("Give the year as YYYY, for example 2021."))
    years = annual_years(campaign)
    if int(period) not in years:
        raise DocumentError(
            _("There are no annual reports for %(year)s; the campaign's annual reports cover %(years)s.")
            % {"year": period, "years": "、".join(str(y) for y in years)}
        )
    return int(period)


def _district(code: str) -> District:
    if not code:
        raise DocumentError(_("Choose the district."))
    district = District.objects.filter(code=code).first()
    if district is None:
        raise DocumentError(_("There is no district with the code %(code)s.") % {"code": code})
    return district


def _community(code: str) -> Community:
    if not code:
        raise DocumentError(_("Give the community's division code (12 digits)."))
    community = Community.objects.select_related("district", "street").filter(code=code).first()
    if community is None:
        raise DocumentError(_("There is no community with the code %(code)s.") % {"code": code})
    return community


# --- figures for the bulletin and the compilation -------------------------------------------------------------


@dataclass(frozen=True)
class BulletinFigures:
    on: datetime.date
    city: ProgressSnapshot
    districts: list[ProgressSnapshot]  # the best met share first
    series: list[tuple[datetime.date, Decimal]]  # the city's met share at each campaign month's end, up to `on`
    milestone: Milestone | None


def current_milestone(campaign: Campaign, on: datetime.date) -> Milestone | None:
    """The met-share milestone the snapshots of `on` are judged against (as `rollups.target_for` chooses it)."""
    milestones = campaign.milestones.filter(kind=Milestone.Kind.MET_SHARE, target_share__isnull=False)
    return milestones.filter(due_on__gte=on).order_by("due_on").first() or milestones.order_by("-due_on").first()


def bulletin_figures(campaign: Campaign, month_end: datetime.date) -> BulletinFigures:
    """The city's and every district's snapshot as of `month_end`, and the city's met share at each month's end.

    Read from the rollup job's ProgressSnapshot rows, as the dashboards read them. A month's end the job has not
    computed yet is computed here first.
    """
    on = month_end
    dates = [min(selectors.month_end(month), on) for month in campaign_months(campaign, until=on)]
    snapshots = ProgressSnapshot.objects.filter(campaign=campaign)
    stored = set(snapshots.filter(level=Level.CITY, on__in=dates).values_list("on", flat=True))
    missing = [day for day in dates if day not in stored]
    if missing:
        rollups.rollup_days(campaign=campaign, days=missing)
    rows = list(snapshots.filter(on=on, level__in=[Level.CITY, Level.DISTRICT]))
    city = next(row for row in rows if row.level == Level.CITY)
    districts = sorted(
        (row for row in rows if row.level == Level.DISTRICT), key=lambda s: (-s.met_share, -s.met, s.unit_code)
    )
    series = list(snapshots.filter(level=Level.CITY, on__in=dates).order_by("on").values_list("on", "met_share"))
    return BulletinFigures(
        on=on, city=city, districts=districts, series=series, milestone=current_milestone(campaign, on)
    )


# --- charts ---------------------------------------------------------------------------------------------------

CHART_FONT = 'font-family="Noto Sans CJK SC, Source Han Sans SC, sans-serif"'
CHART_WIDTH_MM = 156


def percent_label(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{(Decimal(value) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def _axis_top(values: list[Decimal]) -> Decimal:
    """The chart's top: the next 10 % step above the highest value, at least 10 %."""
    highest = max(values, default=Decimal(0))
    steps = int((highest * 10).to_integral_value(rounding="ROUND_CEILING"))
    return Decimal(min(max(steps, 1), 10)) / 10


def _svg(width: int, height: int, body: list[str], label: str) -> SafeString:
    height_mm = CHART_WIDTH_MM * height / width
    return mark_safe(  # noqa: S308 — every text in `body` is escaped where it is put in
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{CHART_WIDTH_MM}mm" '
        f'height="{height_mm:.1f}mm" role="img" aria-label={quoteattr(label)}>' + "".join(body) + "</svg>"
    )


def bar_chart_svg(rows: list[tuple[str, Decimal]], *, target: Decimal | None, label: str) -> SafeString:
    """Horizontal bars of each district's met share, with the target as a dashed line."""
    width, left, right, top, bar, gap = 620, 84, 54, 20, 16, 5
    plot = width - left - right
    height = top + len(rows) * (bar + gap) + 26
    axis = _axis_top([value for _name, value in rows] + ([target] if target else []))
    body: list[str] = []
    for step in range(0, int(axis * 10) + 1):
        x = left + plot * step / (axis * 10)
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 22}" stroke="#ccc" stroke-width="0.6"/>')
        body.append(
            f'<text x="{x:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" {CHART_FONT}>{step * 10}%</text>'
        )
    for index, (name, value) in enumerate(rows):
        y = top + index * (bar + gap)
        length = plot * float(value / axis) if axis else 0
        colour = "#8c1c13" if target is not None and value < target else "#2f5d8a"
        body.append(
            f'<text x="{left - 6}" y="{y + bar - 3}" font-size="11" text-anchor="end" {CHART_FONT}>{escape(name)}</text>'
        )
        body.append(f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar}" fill="{colour}"/>')
        body.append(
            f'<text x="{left + length + 4:.1f}" y="{y + bar - 3}" font-size="11" {CHART_FONT}>'
            f"{percent_label(value)}</text>"
        )
    if target is not None:
        target_x = left + plot * float(target / axis)
        body.append(
            f'<line x1="{target_x:.1f}" y1="{top}" x2="{target_x:.1f}" y2="{height - 22}" stroke="#000" stroke-width="1.2" '
            'stroke-dasharray="5 3"/>'
        )
        body.append(
            f'<text x="{target_x:.1f}" y="{top + 2}" font-size="11" text-anchor="middle" {CHART_FONT}>'
            f"{escape(_('target'))} {percent_label(target)}</text>"
        )
    return _svg(width, height, body, label)


def _month_ticks(months: list[datetime.date], min_gap: int = 3) -> list[int]:
    """Which months get a label: the first, the last, and every January and July not crowding them."""
    if not months:
        return []
    wanted = [0, len(months) - 1] + [i for i, month in enumerate(months) if month.month in (1, 7)]
    ticks: list[int] = []
    for index in wanted:
        if all(abs(index - tick) >= min_gap for tick in ticks):
            ticks.append(index)
    return sorted(ticks)


def line_chart_svg(points: list[tuple[datetime.date, Decimal]], *, target: Decimal | None, label: str) -> SafeString:
    """The city's met share at each month's end, with the target as a dashed line."""
    width, height, left, right, top, bottom = 620, 240, 44, 56, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    axis = _axis_top([value for _month, value in points] + ([target] if target else []))
    body: list[str] = []

    def y_of(value: Decimal) -> float:
        return top + plot_h * (1 - float(value / axis))

    def x_of(index: int) -> float:
        return left + (plot_w * index / (len(points) - 1) if len(points) > 1 else plot_w / 2)

    for step in range(0, int(axis * 10) + 1):
        y = y_of(Decimal(step) / 10)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ccc" stroke-width="0.6"/>'
        )
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" {CHART_FONT}>{step * 10}%</text>'
        )
    for index in _month_ticks([month for month, _value in points]):
        month = points[index][0]
        body.append(
            f'<text x="{x_of(index):.1f}" y="{height - 10}" font-size="11" text-anchor="middle" {CHART_FONT}>'
            f"{month.year}.{month.month}</text>"
        )
    if target is not None:
        y = y_of(target)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#000" stroke-width="1.2" '
            'stroke-dasharray="5 3"/>'
        )
        body.append(
            f'<text x="{width - right + 4}" y="{y + 4:.1f}" font-size="11" {CHART_FONT}>{percent_label(target)}</text>'
        )
    if points:
        line = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, (_m, v) in enumerate(points))
        body.append(f'<polyline points="{line}" fill="none" stroke="#8c1c13" stroke-width="2"/>')
        body += [
            f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="2.2" fill="#8c1c13"/>'
            for i, (_m, v) in enumerate(points)
        ]
        last = len(points) - 1
        body.append(
            f'<text x="{x_of(last):.1f}" y="{y_of(points[last][1]) - 7:.1f}" font-size="11" text-anchor="end" '
            f"{CHART_FONT}>{percent_label(points[last][1])}</text>"
        )
    return _svg(width, height, body, label)


# --- each kind's content --------------------------------------------------------------------------------------


def _labels(snapshot: ProgressSnapshot) -> dict[str, Any]:
    """A snapshot with its shares written out, as the tables print them."""
    expected = snapshot.reports_expected
    return {
        "s": snapshot,
        # Counts become percentages the way the dashboard and the timeliness page do it (rounded once).
        "participating_share": _percent_of(snapshot.participating, snapshot.roster),
        "met_share": percent_label(snapshot.met_share),
        "target": percent_label(snapshot.target_share) if snapshot.target_share is not None else "—",
        "coverage": _percent_of(snapshot.streets_with_pilot, snapshot.streets),
        "rate": _percent_of(snapshot.reports_submitted, expected),
        "timeliness": _percent_of(snapshot.reports_timely, expected),
    }


def _percent_of(part: int, whole: int) -> str:
    value = percent(part, whole)
    return "—" if value is None else f"{value}%"


def _names(names: Iterable[str]) -> str:
    return pgettext("list separator", ", ").join(names)


def _bulletin_context(spec: DocumentSpec) -> dict[str, Any]:
    assert spec.month is not None  # a bulletin is a month's
    figures = bulletin_figures(spec.campaign, month_end(spec.month))
    target = figures.milestone.target_share if figures.milestone else None
    districts = figures.districts
    return {
        "figures": figures,
        "city": _labels(figures.city),
        "rows": [_labels(s) for s in districts],
        "behind": _names(s.unit_name for s in districts if s.status == Status.BEHIND),
        "at_risk": _names(s.unit_name for s in districts if s.status == Status.AT_RISK),
        "without_pilots": _names(
            ngettext("%(name)s (%(n)d subdistrict)", "%(name)s (%(n)d subdistricts)", missing)
            % {"name": s.unit_name, "n": missing}
            for s in districts
            if (missing := s.streets - s.streets_with_pilot) > 0
        ),
        "bar_chart": bar_chart_svg(
            [(s.unit_name, s.met_share) for s in districts],
            target=target,
            label=_("Share of each district's urban communities that met the standard"),
        ),
        "line_chart": line_chart_svg(
            figures.series, target=target, label=_("The city's share of communities that met the standard, by month")
        ),
        "supervision": bulletin_supervision(month=spec.month, month_end=month_end(spec.month)),
        # The experience the commission published this month, cited so the districts can learn from it.
        "experience_cases": cases_published_in(spec.month.year, spec.month.month),
    }


def _district_monthly_context(spec: DocumentSpec) -> dict[str, Any]:
    report = Report.objects.select_related("campaign", "district").get(
        campaign=spec.campaign, kind=Report.Kind.MONTHLY, district=spec.district, period=spec.month
    )
    items = list(standard_items(standard=report.campaign.standard_id))
    numbers = [item.number for item in items]
    rows = (
        SelfAssessment.objects.filter(district_id=report.district_id, period=report.period)
        .select_related("community__street")
        .order_by("community__street__code", "community__code")
    )
    return {
        "report": report,
        "figures": report_figures(report),
        "narrative": [(label, getattr(report, name)) for name, label in NARRATIVE_FIELDS[report.kind]],
        "rows": [{"row": row, "cells": [row.item_status(n) for n in numbers]} for row in rows],
        "items": items,
    }


def _annual_context(spec: DocumentSpec) -> dict[str, Any]:
    assert spec.year is not None  # the annual compilation is a year's
    year_start = datetime.date(spec.year, 1, 1)
    deadline = spec.campaign.deadlines.filter(kind=DEADLINE_OF[Report.Kind.ANNUAL]).first()
    due = deadline.due_for(year_start) if deadline else datetime.date(spec.year, 12, 31)
    # The reports describe the year up to the month before they are due; the summary stands on the same day.
    on = min(month_end(previous_month(due.replace(day=1))), timezone.localdate())
    figures = bulletin_figures(spec.campaign, on)
    reports = Report.objects.filter(
        campaign=spec.campaign, kind=Report.Kind.ANNUAL, period=year_start, first_submitted_at__isnull=False
    )
    by_district = {r.district_id: r for r in reports if r.district_id}
    by_department = {r.department_id: r for r in reports if r.department_id}
    snapshots = {s.unit_code: s for s in figures.districts}
    fields = NARRATIVE_FIELDS[Report.Kind.ANNUAL]

    def section(filer: District | Department, report: Report | None, snapshot: ProgressSnapshot | None) -> dict:
        narrative = [(label, getattr(report, name)) for name, label in fields] if report else []
        return {
            "filer": filer,
            "report": report,
            "snapshot": snapshot,
            "met_share": percent_label(snapshot.met_share) if snapshot else "—",
            "narrative": narrative,
        }

    districts = [section(d, by_district.get(d.pk), snapshots.get(d.code)) for d in District.objects.order_by("code")]
    departments = [section(d, by_department.get(d.pk), None) for d in Department.objects.order_by("order", "code")]
    return {
        "figures": figures,
        "city": _labels(figures.city),
        "due": due,
        "district_sections": districts,
        "department_sections": departments,
        "districts_reported": sum(1 for s in districts if s["report"]),
        "departments_reported": sum(1 for s in departments if s["report"]),
        "funds_by_source": funds_by_source(year=spec.year),
        "funds_by_district": funds_by_district(year=spec.year),
        **_annual_experience_context(spec.year),
        **_annual_standing_context(on, districts=[s["filer"] for s in districts]),
    }


def _annual_standing_context(on: datetime.date, *, districts: list[District]) -> dict[str, Any]:
    """Standing management (长效管理) in the year up to the summary's day: re-checks and the titles revoked, for the
    city and for each of `districts` (every one, those with nothing to count at 0)."""
    by_district = standing_figures_by_district(on=on)
    none = StandingFigures(year=on.year, rechecked=0, passed=0, failed=0, rectifying=0, revoked=0, revoked_standing=0)
    return {
        "standing": standing_figures(on=on),
        "standing_by_district": [(district, by_district.get(district.pk, none)) for district in districts],
        "standing_revocations": list(
            Revocation.objects.filter(revoked_on__year=on.year, revoked_on__lte=on)
            .select_related("community", "district")
            .order_by("district__code", "revoked_on", "community__code")
        ),
    }


def _annual_experience_context(year: int) -> dict[str, Any]:
    """The cases published in the year (经验做法) and the year's commendations (表扬名单)."""
    cases = cases_published_in(year)
    return {
        "experience_cases": cases,
        "experience_replicable": sum(1 for case in cases if case.replicable),
        "commendation_groups": approved_by_kind(year),
    }


def _acceptance_context(spec: DocumentSpec) -> dict[str, Any]:
    community = spec.community
    inspections = (
        Inspection.objects.filter(community=community, status=Inspection.Status.SIGNED)
        .select_related("round", "assignment__team", "signed_by")
        .prefetch_related(
            Prefetch("answers", queryset=InspectionAnswer.objects.select_related("item").order_by("item__number")),
            Prefetch("rectifications", queryset=Rectification.objects.select_related("item", "done_by")),
            "objections__decided_by",
            # Every member of the team signs the printed record.
            Prefetch("assignment__team__members", queryset=get_user_model().objects.order_by("username")),
        )
        .order_by("signed_at", "pk")
    )
    today = timezone.localdate()
    return {
        "community": community,
        "inspections": inspections,
        "open_inspections": Inspection.objects.filter(community=community, status=Inspection.Status.OPEN).count(),
        "meets_now": met_inspections(today).filter(community=community).exists(),
        "today": today,
    }


CONTEXT: dict[str, tuple[Callable[[DocumentSpec], dict[str, Any]], str]] = {
    Kind.CITY_BULLETIN: (_bulletin_context, "documents/city_bulletin.html"),
    Kind.DISTRICT_MONTHLY: (_district_monthly_context, "documents/district_monthly.html"),
    Kind.ANNUAL: (_annual_context, "documents/annual.html"),
    Kind.ACCEPTANCE_RECORD: (_acceptance_context, "documents/acceptance_record.html"),
}


def document_number_of(spec: DocumentSpec) -> str:
    """The number the document was given when it was first made ("" before that, or for kinds without one)."""
    if not spec.is_numbered:
        return ""
    stored = GeneratedDocument.objects.filter(
        campaign=spec.campaign, kind=spec.kind, period=spec.period, scope_code=spec.scope_code
    )
    return stored.values_list("document_number", flat=True).first() or ""


def document_html(spec: DocumentSpec, *, generated_on: datetime.date | None = None) -> str:
    """The document as HTML, in the portal's own language, dated with its own issue date or, for a kind without
    one, the day it is made (`generated_on`, default today), which is printed apart when it differs."""
    build, template = CONTEXT[spec.kind]
    generated_on = generated_on or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "spec": spec,
            "issuer": spec.district.name
            if spec.district and spec.kind == Kind.DISTRICT_MONTHLY
            else spec.campaign.issued_by,
            "issued_on": spec.issued_on or generated_on,
            "generated_on": generated_on,
            "document_number": document_number_of(spec),
            "main_recipients": spec.campaign.main_recipients if spec.is_numbered else "",
            **build(spec),
        }
        return render_to_string(template, context)


def document_pdf_bytes(html: str) -> bytes:
    """Print the HTML with WeasyPrint. Documents fetch nothing from outside: only data: URLs are allowed."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def document_pdf(spec: DocumentSpec, *, generated_on: datetime.date | None = None) -> bytes:
    return document_pdf_bytes(document_html(spec, generated_on=generated_on))
