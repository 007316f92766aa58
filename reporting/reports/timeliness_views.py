"""The reporting rate and timeliness page: every visible district's monthly reports, as rates and as a matrix."""

from __future__ import annotations

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from districts.models import District
from districts.scope import scope_of
from greencommunity.dates import as_of
from reporting.figures.timeliness import CellState, rates_total, reporting_matrix, reporting_rates
from reporting.models import Campaign

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


@login_required
def reporting_timeliness(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not (scope.sees_whole_city or scope.district_id):
        raise Http404
    campaign = Campaign.objects.current()
    if campaign is None:
        raise Http404("no campaign is set up")
    on, given = as_of(request)
    districts = District.objects.visible_to(request.user)
    rates = reporting_rates(campaign=campaign, on=on, districts=districts)
    months, matrix = reporting_matrix(campaign=campaign, on=on, districts=districts)
    # Report pages are the district's and the commission's; a department's staff may not open them.
    links = scope.is_commission or bool(scope.district_id)
    rows = [(district, [(cell, *LEGEND_BY_STATE[cell.state]) for cell in cells]) for district, cells in matrix]
    years = [(year, len(list(group))) for year, group in groupby(months, key=lambda month: month.year)]
    return render(
        request,
        "reporting/timeliness.html",
        {
            "on": on,
            "on_given": given,
            "campaign": campaign,
            "rates": rates,
            "total": rates_total(rates) if scope.sees_whole_city else None,
            "expected": rates[0].expected if rates else 0,
            "months": months,
            "years": years,
            "matrix": rows,
            "legend": LEGEND,
            "links": links,
        },
    )
