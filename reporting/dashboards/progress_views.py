"""The drill-down below a district's dashboard: a street's communities and where each stands, then one community's
campaign story (enrolment, self-assessment by item, inspections, rectifications, objections, whether and since when it
met), as of the dashboard's date and under its breadcrumbs.

Scoped as the dashboards are: whoever reads a district's dashboard reads its streets and communities, street staff
only their own street's; anything else is a 404.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from districts.access import community_for, street_for
from districts.models import District, Street
from districts.releases.history import names_as_of_levels
from districts.scope import scope_of
from greencommunity.dates import as_of
from reporting.campaigns.selectors import selected_campaign
from reporting.figures.progress import community_story, street_progress
from reporting.models import Campaign


def _campaign(request: HttpRequest) -> Campaign:
    """The campaign the reader chose (`?campaign=`, kept in the session), else the current one."""
    campaign = selected_campaign(request)
    if campaign is None:
        raise Http404("no campaign is set up")
    return campaign


def _require_dashboard_reader(user: Any) -> None:
    """Only those who read a dashboard drill down from one (inspectors read their assignments, not the campaign's)."""
    scope = scope_of(user)
    if not (scope.sees_whole_city or scope.district_id):
        raise Http404


def _crumbs(user: Any, *, on_param: str, district: District, street: Street | None = None) -> list[tuple[str, str]]:
    """city → district → street, each a link keeping the date; the city only for those who read it."""
    crumbs = []
    if scope_of(user).sees_whole_city:
        crumbs.append((_("Campaign dashboard"), reverse("dashboard") + on_param))
    crumbs.append((district.name, reverse("dashboard_district", args=[district.code]) + on_param))
    if street is not None:
        crumbs.append((street.name, reverse("dashboard_street", args=[street.code]) + on_param))
    return crumbs


def _dates(request: HttpRequest) -> tuple[datetime.date, bool, str]:
    on, given = as_of(request)
    return on, given, f"?on={on.isoformat()}" if given else ""


@login_required
@require_GET
def dashboard_street(request: HttpRequest, code: str) -> HttpResponse:
    _require_dashboard_reader(request.user)
    street = street_for(request.user, code)
    campaign = _campaign(request)
    on, given, on_param = _dates(request)
    rows, summary = street_progress(campaign=campaign, street=street, on=on)
    # The names of that date: a later roster release may have renamed the street or its communities.
    names_as_of_levels([([street], "street"), ([row.community for row in rows], "community")], on=on)
    return render(
        request,
        "reporting/dashboard_street.html",
        {
            "campaign": campaign,
            "street": street,
            "district": street.district,
            "on": on,
            "on_given": given,
            "on_param": on_param,
            "crumbs": _crumbs(request.user, on_param=on_param, district=street.district),
            "rows": rows,
            "summary": summary,
        },
    )


@login_required
@require_GET
def dashboard_community(request: HttpRequest, code: str) -> HttpResponse:
    _require_dashboard_reader(request.user)
    community = community_for(request.user, code)
    campaign = _campaign(request)
    on, given, on_param = _dates(request)
    story = community_story(campaign=campaign, community=community, on=on)
    names_as_of_levels([([community], "community"), ([community.street], "street")], on=on)
    return render(
        request,
        "reporting/dashboard_community.html",
        {
            "campaign": campaign,
            "community": community,
            "on": on,
            "on_given": given,
            "on_param": on_param,
            "on_roster": community.is_on_roster(on),
            "crumbs": _crumbs(request.user, on_param=on_param, district=community.district, street=community.street),
            "story": story,
        },
    )
