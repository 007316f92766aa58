"""Campaign pages: the home page per role, the roster browser with enrolment, and enrolment by districts."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Window
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from districts.access import community_for, district_for, street_for
from districts.models import Community, District, Street
from districts.releases.history import names_as_of_levels
from districts.scope import scope_of
from greencommunity.dates import as_of
from greencommunity.paging import Pager, paged
from reporting.access import can_start_reports
from reporting.campaigns.selectors import campaign_categories, selected_campaign
from reporting.figures import selectors
from reporting.forms import EnrolForm, WithdrawForm
from reporting.models import Campaign, Enrolment, Report
from reporting.services import EnrolmentError, enrolment_enrol, enrolment_withdraw
from reporting.supervision import selectors as supervision_selectors
from standards.models import Assignment, Inspection

PAGE_SIZE = 100
# Districts per page of the roster and the home page: Tianjin's 16 fit on one, a national roster's 3,000 take 60.
DISTRICTS_PER_PAGE = 50


def _campaign(request: HttpRequest) -> Campaign:
    """The campaign the reader chose (`?campaign=`, kept in the session), else the current one."""
    campaign = selected_campaign(request)
    if campaign is None:
        raise Http404("no campaign is set up")
    return campaign


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    on, _given = as_of(request)
    campaign = _campaign(request)
    context: dict = {
        "on": on,
        "campaign": campaign,
        "phase": selectors.current_phase(campaign=campaign, on=on),
        "milestone": selectors.next_milestone(campaign=campaign, on=on),
        "deadlines": selectors.next_deadlines(campaign=campaign, on=on),
        "scope": scope,
    }
    if (scope.sees_whole_city or scope.district_id) and campaign.asks_for_pilots:
        # The first 20 and how many in all from one query: the gaps' filter is the costly part (12,000 街道 at
        # national size), so it is not run twice.
        gaps = list(
            selectors.pilot_gaps(user=request.user, campaign=campaign, on=on).annotate(gap_count=Window(Count("pk")))[
                :20
            ]
        )
        context["pilot_gaps"] = gaps
        context["pilot_gap_count"] = gaps[0].gap_count if gaps else 0
    if scope.sees_whole_city or scope.district_id:
        context["survey_gap_count"] = selectors.survey_gaps(user=request.user, campaign=campaign, on=on)
        context["districts"], context["districts_pager"] = _districts_page(request, campaign=campaign, on=on)
    if scope.role == "department_staff":
        context["categories"] = campaign_categories(campaign).filter(departments=scope.department_id)
    # The same list `/reports/` shows, reduced to what is still to be filed: the page never says less is due.
    todos = selectors.report_todos(user=request.user, campaign=campaign, on=on)
    if todos is not None:
        context["filer"], context["todos"] = todos.filer, todos.rows
        context["overdue_count"] = sum(1 for r in todos.rows if r.due_on and r.due_on < on)
        context["can_start"] = can_start_reports(scope)
    # Supervision's required actions past their deadline on `on`: a list of their own beside the reports to file.
    context["supervision_overdue"] = supervision_selectors.overdue_flags(user=request.user, on=on)
    if scope.is_commission:
        context["waiting_for_review"] = Report.objects.waiting_for_review().count()  # as the review queue counts
    if scope.role == "inspector":
        context["inspections_to_sign"] = (
            Assignment.objects.for_member(request.user)
            .filter(cancelled_at__isnull=True)
            .exclude(inspections__status=Inspection.Status.SIGNED)
            .count()
        )
    return render(request, "reporting/home.html", context)


def _districts_page(request: HttpRequest, *, campaign: Campaign, on: datetime.date) -> tuple[list, Pager]:
    """One page of the visible districts with their figures. The page is chosen on the bare districts and only its
    rows are counted: the figures' subqueries would otherwise run for every district before the page's offset."""
    pager = paged(
        request, District.objects.visible_to(request.user).order_by("code").only("pk"), per_page=DISTRICTS_PER_PAGE
    )
    on_page = District.objects.filter(pk__in=[district.pk for district in pager.rows])
    return list(selectors.with_district_figures(on_page, campaign=campaign, on=on).order_by("code")), pager


@login_required
def roster_districts(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not scope.sees_whole_city:
        if scope.street_id:
            return redirect("roster_street", code=Street.objects.values_list("code", flat=True).get(pk=scope.street_id))
        if scope.district_id:
            return redirect("roster_district", code=scope.district_code)
        raise Http404
    on, given = as_of(request)
    campaign = _campaign(request)
    rows, districts = _districts_page(request, campaign=campaign, on=on)
    return render(
        request,
        "reporting/roster_districts.html",
        {"districts": rows, "pager": districts, "on": on, "on_given": given},
    )


@login_required
def roster_district(request: HttpRequest, code: str) -> HttpResponse:
    district = district_for(request.user, code)
    on, given = as_of(request)
    campaign = _campaign(request)
    streets = list(selectors.streets_overview(user=request.user, district=district, campaign=campaign, on=on))
    names_as_of_levels([(streets, "street"), ([district], "district")], on=on)
    return render(
        request,
        "reporting/roster_district.html",
        {
            "district": district,
            "streets": streets,
            "on": on,
            "on_given": given,
            "can_edit": scope_of(request.user).can_edit_district(district.id),
        },
    )


@login_required
def roster_street(request: HttpRequest, code: str) -> HttpResponse:
    street = street_for(request.user, code)
    return _community_page(request, street=street, district=street.district)


@login_required
def community_search(request: HttpRequest) -> HttpResponse:
    district = None
    if request.GET.get("district"):
        district = district_for(request.user, request.GET["district"])
    return _community_page(request, district=district, street=None)


def _community_page(request: HttpRequest, *, district: District | None, street: Street | None) -> HttpResponse:
    on, given = as_of(request)
    campaign = _campaign(request)
    filters = {
        "q": request.GET.get("q", "")[:50],
        "kind": request.GET.get("kind", "") if request.GET.get("kind") in Community.Kind.values else "",
        "enrolment": request.GET.get("enrolment", "")
        if request.GET.get("enrolment") in selectors.ENROLMENT_FILTERS
        else "",
    }
    rows = selectors.community_list(
        user=request.user,
        campaign=campaign,
        on=on,
        district=district,
        street=street,
        text=filters["q"],
        kind=filters["kind"],
        enrolment=filters["enrolment"],
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # The names of that date: a later roster release may have renamed the street or these communities.
    names_as_of_levels(
        [(page.object_list, "community"), ([street, *(c.street for c in page.object_list)], "street")], on=on
    )
    context = {
        "district": district,
        "street": street,
        "page": page,
        "filters": filters,
        "on": on,
        "on_given": given,
        "kinds": Community.Kind.choices,
        "enrolment_choices": _enrolment_choices(),
        "query_without_page": _query_without(request, "page"),
    }
    template = (
        "reporting/partials/_community_rows.html"
        if request.headers.get("HX-Request")
        else "reporting/community_list.html"
    )
    return render(request, template, context)


def _enrolment_choices() -> list[tuple[str, str]]:
    return [
        ("enrolled", _("enrolled")),
        ("pilot", _("pilot")),
        ("batch", _("later batch")),
        ("not_enrolled", _("not enrolled")),
        ("withdrawn", _("withdrawn")),
    ]


def _query_without(request: HttpRequest, name: str) -> str:
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()


@login_required
def community_detail(request: HttpRequest, code: str) -> HttpResponse:
    community = community_for(request.user, code)
    campaign = _campaign(request)
    on, _given = as_of(request)
    enrolments = Enrolment.objects.filter(community=community).select_related("campaign", "created_by")
    names_as_of_levels([([community], "community"), ([community.street], "street")], on=on)
    changes = community.roster_changes.prefetch_related(
        Prefetch("successors", queryset=Community.objects.only("code", "name"))
    )
    return render(
        request,
        "reporting/community_detail.html",
        {
            "community": community,
            "on": on,
            "on_roster": community.is_on_roster(on),
            "enrolments": enrolments,
            "active": next((e for e in enrolments if e.campaign_id == campaign.id and e.withdrawn_on is None), None),
            "roster_changes": changes,
            "can_edit": scope_of(request.user).can_edit_district(community.district_id),
        },
    )


@login_required
def enrolment(request: HttpRequest, code: str) -> HttpResponse:
    district = district_for(request.user, code)
    scope = scope_of(request.user)
    if not (scope.can_edit_district(district.id) or scope.is_commission):
        raise PermissionDenied
    on, _given = as_of(request)
    campaign = _campaign(request)
    streets = selectors.streets_overview(user=request.user, district=district, campaign=campaign, on=on).order_by(
        "-kind", "code"
    )
    street = None
    if request.GET.get("street"):
        street = get_object_or_404(Street, district=district, code=request.GET["street"])
    candidates = selectors.community_list(
        user=request.user, campaign=campaign, on=on, district=district, street=street, enrolment="not_enrolled"
    )
    active = (
        Enrolment.objects.filter(campaign=campaign, community__district=district)
        .active_on(on)
        .select_related("community__street")
        .order_by("community__code")
    )
    if street is not None:
        active = active.filter(community__street=street)
    return render(
        request,
        "reporting/enrolment.html",
        {
            "district": district,
            "streets": streets,
            "street": street,
            "candidates": candidates,
            "active": active,
            "on": on,
            "form": EnrolForm(initial={"joined_on": on, "kind": Enrolment.Kind.PILOT}),
            "withdraw_form": WithdrawForm(initial={"withdrawn_on": on}, auto_id=False),
            "can_edit": scope.can_edit_district(district.id),
            "lacking": [s for s in streets if s.kind == Street.Kind.SUBDISTRICT and not s.has_pilot],
        },
    )


@login_required
@require_POST
def enrolment_enrol_view(request: HttpRequest, code: str) -> HttpResponse:
    district = district_for(request.user, code, write=True)
    campaign = _campaign(request)
    form = EnrolForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("enrolment", code=district.code)
    codes = request.POST.getlist("community")
    communities = list(Community.objects.visible_to(request.user).filter(district=district, code__in=codes))
    if len(communities) != len(set(codes)):
        messages.error(request, _("Some of the chosen communities are not in this district."))
        return redirect("enrolment", code=district.code)
    try:
        created = enrolment_enrol(
            campaign=campaign,
            communities=communities,
            kind=form.cleaned_data["kind"],
            joined_on=form.cleaned_data["joined_on"],
            by=request.user,
        )
    except EnrolmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(count)d communities enrolled.") % {"count": len(created)})
    return redirect(_enrolment_url(district.code, request.POST.get("street", "")))


def _enrolment_url(district_code: str, street_code: str) -> str:
    url = reverse("enrolment", args=[district_code])
    return f"{url}?{urlencode({'street': street_code})}" if street_code.isdigit() else url


@login_required
@require_POST
def enrolment_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment_row = get_object_or_404(
        Enrolment.objects.filter(community__in=Community.objects.visible_to(request.user)).select_related(
            "community__district"
        ),
        pk=pk,
    )
    district = enrolment_row.community.district
    if not scope_of(request.user).can_edit_district(district.id):
        raise PermissionDenied
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            enrolment_withdraw(
                enrolment=enrolment_row,
                on=form.cleaned_data["withdrawn_on"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except EnrolmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("%(name)s has withdrawn from the campaign.") % {"name": enrolment_row.community.name}
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("enrolment", code=district.code)
