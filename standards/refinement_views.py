"""Pages of the districts' refinements (细化指标): the district's list and form, the commission's review queue and
its comparison of districts per item. Thin: look the refinement up through `refinement_for` (out of scope → 404,
read-only → 403), check the form, call one service, then redirect or render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from districts.models import District
from districts.scope import scope_of

from . import refinements as services
from .forms import RefinementForm, RefinementReturnForm
from .models import Refinement, StandardCategory, StandardItem
from .selectors import current_standard_id

Status = Refinement.Status


def refinement_for(user: Any, pk: int, *, write: bool = False, review: bool = False) -> Refinement:
    """The refinement if `user` may read it (else 404); with `write` if they may change it, with `review` if they
    may decide on it (else 403)."""
    refinement = get_object_or_404(
        Refinement.objects.visible_to(user).select_related("district", "item", "decided_by", "submitted_by"), pk=pk
    )
    if write and not services.can_write(user, refinement.district_id):
        raise PermissionDenied
    if review and not scope_of(user).is_commission:
        raise PermissionDenied
    return refinement


def _own_district(user: Any) -> District:
    scope = scope_of(user)
    if not scope.is_district_staff or not scope.district_id:
        raise PermissionDenied
    return District.objects.get(pk=scope.district_id)


def _item(raw: str | None) -> StandardItem:
    raw = (raw or "").strip()
    item = (
        StandardItem.objects.filter(version=current_standard_id(), number=int(raw)).first()
        if raw.isdecimal() and len(raw) < 4
        else None
    )
    if item is None:
        raise Http404("no such item")
    return item


@login_required
@require_GET
def refinement_list(request: HttpRequest) -> HttpResponse:
    """A district's refinements under each item of the standard, every state; the city's readers go to the
    comparison."""
    scope = scope_of(request.user)
    if scope.sees_whole_city:
        return redirect("refinement_compare")
    if not scope.district_id:
        raise Http404
    district = District.objects.get(pk=scope.district_id)
    own = Refinement.objects.filter(district=district).order_by("order", "pk")
    categories = (
        StandardCategory.objects.filter(version=current_standard_id())
        .order_by("number")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=StandardItem.objects.order_by("number").prefetch_related(
                    Prefetch("refinements", queryset=own, to_attr="own_refinements")
                ),
            )
        )
    )
    return render(
        request,
        "standards/refinement_list.html",
        {"district": district, "categories": categories, "writable": services.can_write(request.user, district.pk)},
    )


def _form_page(
    request: HttpRequest, form: RefinementForm, *, item: StandardItem, refinement: Refinement | None
) -> HttpResponse:
    return render(
        request,
        "standards/refinement_form.html",
        {"form": form, "item": item, "refinement": refinement},
        status=400 if form.errors else 200,
    )


@login_required
def refinement_create(request: HttpRequest) -> HttpResponse:
    district = _own_district(request.user)
    item = _item(request.POST.get("item") if request.method == "POST" else request.GET.get("item"))
    form = RefinementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            refinement = services.refinement_create(district=district, item=item, by=request.user, **form.cleaned_data)
        except services.RefinementError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The refinement has been saved as a draft. Submit it to the commission."))
            return redirect(refinement)
    return _form_page(request, form, item=item, refinement=None)


@login_required
def refinement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    refinement = refinement_for(request.user, pk, write=True)
    initial = {
        "text": refinement.text,
        "guidance": refinement.guidance,
        "evidence_required": refinement.evidence_required,
        "order": refinement.order,
    }
    form = RefinementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.refinement_update(refinement=refinement, by=request.user, **form.cleaned_data)
        except services.RefinementError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The refinement has been saved."))
            return redirect(refinement)
    return _form_page(request, form, item=refinement.item, refinement=refinement)


@login_required
@require_GET
def refinement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    refinement = refinement_for(request.user, pk)
    writable = services.can_write(request.user, refinement.district_id)
    scope = scope_of(request.user)
    if scope.is_commission:
        back = ("refinement_review", _("Refinements to review"))
    elif scope.sees_whole_city:
        back = ("refinement_compare", _("Districts' refinements compared"))
    else:
        back = ("refinement_list", _("Refinements"))
    return render(
        request,
        "standards/refinement_detail.html",
        {
            "refinement": refinement,
            "writable": writable,
            "can_review": scope.is_commission and refinement.status == Status.SUBMITTED,
            "back_url": reverse(back[0]),
            "back_label": back[1],
            "return_form": RefinementReturnForm(),
        },
    )


def _step(request: HttpRequest, refinement: Refinement, step: Any, done: str) -> HttpResponse:
    try:
        step()
    except services.RefinementError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(refinement)


def _confirmed(request: HttpRequest) -> bool:
    if request.POST.get("confirm"):
        return True
    messages.error(request, _("Tick the box to confirm."))
    return False


@login_required
@require_POST
def refinement_submit(request: HttpRequest, pk: int) -> HttpResponse:
    refinement = refinement_for(request.user, pk, write=True)
    return _step(
        request,
        refinement,
        lambda: services.refinement_submit(refinement=refinement, by=request.user),
        _("The refinement has been submitted to the commission."),
    )


@login_required
@require_POST
def refinement_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    refinement = refinement_for(request.user, pk, write=True)
    if not _confirmed(request):
        return redirect(refinement)
    return _step(
        request,
        refinement,
        lambda: services.refinement_withdraw(refinement=refinement, by=request.user),
        _("The refinement has been withdrawn; it no longer guides self-assessment or inspection."),
    )


@login_required
@require_POST
def refinement_approve(request: HttpRequest, pk: int) -> HttpResponse:
    refinement = refinement_for(request.user, pk, review=True)
    if not _confirmed(request):
        return redirect(refinement)
    return _step(
        request,
        refinement,
        lambda: services.refinement_approve(refinement=refinement, by=request.user),
        _("The refinement is approved; it now shows in the district's self-assessment and inspection checklists."),
    )


@login_required
@require_POST
def refinement_return(request: HttpRequest, pk: int) -> HttpResponse:
    refinement = refinement_for(request.user, pk, review=True)
    form = RefinementReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the refinement is returned."))
        return redirect(refinement)
    return _step(
        request,
        refinement,
        lambda: services.refinement_return(refinement=refinement, reason=form.cleaned_data["reason"], by=request.user),
        _("The refinement has been returned to the district."),
    )


@login_required
@require_GET
def refinement_review(request: HttpRequest) -> HttpResponse:
    """The commission's queue: submitted refinements, oldest first."""
    if not scope_of(request.user).is_commission:
        raise PermissionDenied
    waiting = (
        Refinement.objects.filter(status=Status.SUBMITTED)
        .select_related("district", "item")
        .order_by("submitted_at", "pk")
    )
    return render(request, "standards/refinement_review.html", {"waiting": waiting})


@login_required
@require_GET
def refinement_compare(request: HttpRequest) -> HttpResponse:
    """Per item, each district's approved refinements side by side: for the city's readers only (a district sees its
    own refinements, never another's)."""
    if not scope_of(request.user).sees_whole_city:
        raise PermissionDenied
    return render(
        request,
        "standards/refinement_compare.html",
        {"items": services.comparison(user=request.user), "is_commission": scope_of(request.user).is_commission},
    )
