"""Standing-management pages of the commission: open a re-check round (its draw is shown on the round's page) and
revoke a community's title by hand, after a confirmation. Every write goes through `standards.recheck`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from districts.models import Community, District
from districts.scope import scope_of

from . import recheck
from .acceptance import AcceptanceError
from .forms import RecheckRoundForm, RevocationForm


def _commission_admin(user: object) -> None:
    """Opening a re-check and revoking are the commission administrator's; a reviewer may not, others never see it."""
    scope = scope_of(user)
    if not scope.is_commission:
        raise Http404
    if not scope.is_commission_admin:
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def recheck_round_new(request: HttpRequest) -> HttpResponse:
    _commission_admin(request.user)
    districts = list(District.objects.order_by("code"))
    form = RecheckRoundForm(request.POST or None, districts=districts, initial={"year": timezone.localdate().year})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            quotas = {}
            for district in districts:
                share, number = data.get(f"share_{district.code}"), data.get(f"number_{district.code}")
                if share is not None or number is not None:
                    quotas[district] = recheck.Quota(share=share, number=number)
            named = list(Community.objects.filter(code__in=data["named"]))
            unknown = sorted(set(data["named"]) - {c.code for c in named})
            if unknown:
                form.add_error("named", _("No community has the code %(codes)s.") % {"codes": "、".join(unknown)})
            else:
                try:
                    round_ = recheck.recheck_round_open(
                        name=data["name"],
                        year=data["year"],
                        opens_on=data["opens_on"],
                        closes_on=data["closes_on"],
                        rectification_days=data["rectification_days"],
                        quotas=quotas,
                        named=named,
                        by=request.user,
                    )
                except AcceptanceError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(
                        request,
                        _("The re-check round “%(name)s” is open: %(count)d communities to re-check.")
                        % {"name": round_.name, "count": round_.selections.count()},
                    )
                    return redirect("acceptance_round", pk=round_.pk)
        status = 400
    return render(request, "standards/recheck_round_new.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def revocation_new(request: HttpRequest, code: str) -> HttpResponse:
    _commission_admin(request.user)
    community = get_object_or_404(Community.objects.select_related("street", "district"), code=code)
    form = RevocationForm(request.POST or None, initial={"revoked_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                revocation = recheck.revocation_create(
                    community=community,
                    revoked_on=form.cleaned_data["revoked_on"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except AcceptanceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("The title of %(community)s is revoked from %(date)s.")
                    % {"community": community.name, "date": date_format(revocation.revoked_on)},
                )
                return redirect("acceptance_record", code=community.code)
        status = 400
    return render(request, "standards/revocation_new.html", {"form": form, "community": community}, status=status)
