"""Commendation pages: the published list everyone reads, the proposals of a district or department (all of them
for the commission), proposing, and the commission's decision.

A commendation is of a year; the pages are for the campaign picked in the top bar (by default the current one) and
show, and offer for proposals, that campaign's years (`campaign_years`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from districts.models import Department, District
from districts.scope import scope_of
from reporting.campaigns.selectors import campaign_years, selected_campaign
from reporting.models import Campaign

from . import selectors, services
from .forms import ApproveForm, DeclineForm, ProposeForm
from .models import Commendation


@login_required
@require_GET
def commendation_list(request: HttpRequest) -> HttpResponse:
    """The approved commendations of a year of the campaign (the latest year with any, unless another of the
    campaign's years is asked for)."""
    if scope_of(request.user).role is None:
        raise PermissionDenied
    own_years = _years_of(request)
    years = [year for year in selectors.approved_years() if year in own_years]
    raw = request.GET.get("year", "")
    asked = int(raw) if raw.isdecimal() and raw.isascii() and len(raw) == 4 else None
    year = asked if asked in own_years else (years[0] if years else None)
    return render(
        request,
        "commendations/commendation_list.html",
        {
            "years": years,
            "year": year,
            "groups": selectors.approved_by_kind(year) if year else [],
            "can_propose": services.proposer_of(request.user) is not None,
            "is_commission": scope_of(request.user).is_commission,
        },
    )


@login_required
@require_GET
def commendation_proposals(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    unit = services.proposer_of(request.user)
    if not (scope.is_commission or unit is not None):
        raise Http404
    proposals = selectors.proposals_for(request.user).filter(year__in=_years_of(request))
    if unit is not None:
        own: dict[str, District | Department] = (
            {"district": unit} if isinstance(unit, District) else {"department": unit}
        )
        proposals = proposals.filter(**own)
    return render(
        request,
        "commendations/proposals.html",
        {
            "proposals": proposals[:500],
            "unit": unit,
            "is_commission": scope.is_commission,
            "approve_form": ApproveForm(),
            "decline_form": DeclineForm(),
        },
    )


@login_required
def commendation_propose(request: HttpRequest) -> HttpResponse:
    unit = services.proposer_of(request.user)
    if unit is None:
        raise PermissionDenied
    campaign = selected_campaign(request)  # the form posts back to its own address, ?campaign= and all
    years = services.proposal_years(campaign)
    form = ProposeForm(request.POST or None, years=years, initial={"year": timezone.localdate().year - 1})
    if request.method == "POST" and form.is_valid():
        try:
            services.commendation_propose(by=request.user, campaign=campaign, **form.cleaned_data)
        except services.CommendationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The proposal has been sent to the commission."))
            return redirect("commendation_proposals")
    return render(request, "commendations/propose.html", {"form": form, "unit": unit})


def _years_of(request: HttpRequest) -> list[int]:
    """The years of the campaign picked in the top bar (and the picker shown)."""
    campaign: Campaign | None = selected_campaign(request)
    return campaign_years(campaign) if campaign else []


def _decision(request: HttpRequest, pk: int) -> Commendation:
    commendation = get_object_or_404(Commendation.objects.visible_to(request.user), pk=pk)
    if not scope_of(request.user).is_commission:
        raise PermissionDenied
    return commendation


def _refused(request: HttpRequest, form: ApproveForm | DeclineForm) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


@login_required
@require_POST
def commendation_approve(request: HttpRequest, pk: int) -> HttpResponse:
    commendation = _decision(request, pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        _refused(request, form)
        return redirect("commendation_proposals")
    try:
        services.commendation_approve(commendation=commendation, reason=form.cleaned_data["reason"], by=request.user)
    except services.CommendationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s has been approved.") % {"name": commendation.name})
    return redirect("commendation_proposals")


@login_required
@require_POST
def commendation_decline(request: HttpRequest, pk: int) -> HttpResponse:
    commendation = _decision(request, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        _refused(request, form)
        return redirect("commendation_proposals")
    try:
        services.commendation_decline(commendation=commendation, reason=form.cleaned_data["reason"], by=request.user)
    except services.CommendationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s has been declined.") % {"name": commendation.name})
    return redirect("commendation_proposals")
