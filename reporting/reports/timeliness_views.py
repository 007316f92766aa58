"""The reporting rate and timeliness page: every visible district's monthly reports, as rates and as a matrix."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from districts.models import District
from districts.scope import scope_of
from greencommunity.dates import as_of
from greencommunity.paging import paged
from reporting.campaigns.selectors import selected_campaign
from reporting.figures.timeliness import Cell, CellState, RateRow, rates_by_district, rates_city_total, reporting_matrix

# (state, what it means, the short mark shown in the matrix, CSS class)
LEGEND = [
    (CellState.NOT_DUE, _("Not due yet"), "·", "cell-not-due"),
    (
        CellState.MISSING,
        _("Missing: due day passed, not submitted"),
        pgettext_lazy("reporting matrix", "M"),
        "cell-missing",
    ),
    (CellState.DRAFT, _("Draft, not submitted"), pgettext_lazy("reporting matrix", "D"), "cell-draft"),
    (
        CellState.SUBMITTED_ON_TIME,
        _("Submitted on time, waiting for review"),
        pgettext_lazy("reporting matrix", "W"),
        "cell-waiting",
    ),
    (
        CellState.SUBMITTED_LATE,
        _("Submitted late, waiting for review"),
        pgettext_lazy("reporting matrix", "W·L"),
        "cell-waiting cell-late",
    ),
    (CellState.RETURNED, _("Returned for changes"), pgettext_lazy("reporting matrix", "R"), "cell-returned"),
    (
        CellState.ACCEPTED_ON_TIME,
        _("Accepted, submitted on time"),
        "✓",
        "cell-accepted",
    ),
    (
        CellState.ACCEPTED_LATE,
        _("Accepted, submitted late"),
        pgettext_lazy("reporting matrix", "✓·L"),
        "cell-accepted cell-late",
    ),
]
LEGEND_BY_STATE = {state: (label, mark, css) for state, label, mark, css in LEGEND}
# A matrix row is 36 months of cells (≈ 10 KB of HTML): 20 of them keep a page under 300 KB; Tianjin's 16 fit on one.
RATES_PER_PAGE, MATRIX_PER_PAGE = 50, 20


@dataclass(frozen=True)
class MatrixCell:
    mark: str
    css: str
    title: str  # month · state · due day · first submission, as the cell's tooltip
    link: str  # the report's page, or "" for the reader who may not open it
    link_label: str


def _matrix_rows(matrix: list[tuple[District, list[Cell]]], *, links: bool) -> list[tuple[District, list[MatrixCell]]]:
    """The matrix's cells with their texts made here rather than in the template: a page has hundreds of cells and
    the same few dates, so each date is formatted once."""
    dates: dict[tuple[datetime.date, str], str] = {}

    def formatted(day: datetime.date, format_name: str) -> str:
        if (day, format_name) not in dates:
            dates[day, format_name] = date_format(day, format_name)
        return dates[day, format_name]

    rows = []
    for district, cells in matrix:
        row = []
        for cell in cells:
            label, mark, css = LEGEND_BY_STATE[cell.state]
            period = formatted(cell.period, "YEAR_MONTH_FORMAT")
            parts = [period, str(label), _("due %(due)s") % {"due": formatted(cell.due_on, "DATE_FORMAT")}]
            if cell.first_submitted_on:
                parts.append(_("first submitted %(day)s") % {"day": formatted(cell.first_submitted_on, "DATE_FORMAT")})
            linked = links and cell.report_id
            row.append(
                MatrixCell(
                    mark=str(mark),
                    css=css,
                    title=" · ".join(parts),
                    link=reverse("report_detail", args=[cell.report_id]) if linked else "",
                    link_label=f"{district.name} {period} {label}" if linked else "",
                )
            )
        rows.append((district, row))
    return rows


@login_required
def reporting_timeliness(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not (scope.sees_whole_city or scope.district_id):
        raise Http404
    campaign = selected_campaign(request)
    if campaign is None:
        raise Http404("no campaign is set up")
    on, given = as_of(request)
    districts = District.objects.visible_to(request.user)
    expected, ranked = rates_by_district(campaign=campaign, on=on, districts=districts)
    district_count = districts.count()
    rates_pager = paged(request, ranked, per_page=RATES_PER_PAGE, count=district_count)
    rates = [
        RateRow(district=district, expected=expected, submitted=district.submitted, timely=district.timely)
        for district in rates_pager.rows
    ]
    # The matrix runs by code, not by rate: it has its own pages, and a page reads only its districts' reports.
    matrix_pager = paged(
        request,
        districts.order_by("code").only("pk"),
        per_page=MATRIX_PER_PAGE,
        param="matrix_page",
        count=district_count,
    )
    on_page = District.objects.filter(pk__in=[district.pk for district in matrix_pager.rows])
    months, matrix = reporting_matrix(campaign=campaign, on=on, districts=on_page)
    # Report pages are the district's and the commission's; a department's staff may not open them.
    links = scope.is_commission or bool(scope.district_id)
    rows = _matrix_rows(matrix, links=links)
    years = [(year, len(list(group))) for year, group in groupby(months, key=lambda month: month.year)]
    return render(
        request,
        "reporting/timeliness.html",
        {
            "on": on,
            "on_given": given,
            "campaign": campaign,
            "rates": rates,
            "rates_pager": rates_pager,
            "total": rates_city_total(campaign=campaign, on=on, districts=districts) if scope.sees_whole_city else None,
            "expected": expected,
            "months": months,
            "years": years,
            "matrix": rows,
            "matrix_pager": matrix_pager,
            "legend": LEGEND,
            "links": links,
        },
    )
