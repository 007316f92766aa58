"""Pages of the experience library. Thin: look the case up through `case_for` (out of scope → 404, read-only →
403), check the form, call one service, then redirect or render."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from districts.models import District
from districts.scope import Scope, scope_of
from standards.evidence import evidence_for

from . import selectors, services
from .forms import CaseForm, EventForm, PromoteForm, PublishForm, ReturnForm, SearchForm
from .models import ExchangeEvent, ExperienceCase

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Status = ExperienceCase.Status


def can_write(scope: Scope, case: ExperienceCase) -> bool:
    return scope.is_district_staff and scope.district_id == case.district_id


def case_for(user: Any, pk: int, *, write: bool = False, review: bool = False) -> ExperienceCase:
    """The case if `user` may read it (else 404); with `write` if they may change it, with `review` if they may
    review it (else 403)."""
    case = get_object_or_404(ExperienceCase.objects.visible_to(user).select_related("district", "event"), pk=pk)
    scope = scope_of(user)
    if write and not can_write(scope, case):
        raise PermissionDenied
    if review and not scope.is_commission:
        raise PermissionDenied
    return case


def _status_choices(scope: Scope) -> list[tuple[str, StrOrPromise]]:
    if scope.is_commission:
        return [("", _("Published")), *[(s, label) for s, label in Status.choices if s != Status.PUBLISHED]]
    if scope.is_district_staff:
        return [("", _("Published")), ("mine", _("My district's cases, every state"))]
    return []


@login_required
@require_GET
def experience_list(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    form = SearchForm(request.GET or None)
    cleaned = form.cleaned_data if form.is_valid() else {}
    statuses = dict(_status_choices(scope))
    status = cleaned.get("status", "") if cleaned.get("status", "") in statuses else ""
    district = cleaned.get("district")
    if status == "mine" and scope.district_id:
        district, status = District.objects.get(pk=scope.district_id), "all"
    filters = selectors.CaseFilters(
        item=cleaned.get("item"), district=district, text=cleaned.get("q", ""), status=status
    )
    page = selectors.case_page(user=request.user, filters=filters, page=request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k != "page"}
    return render(
        request,
        "experience/case_list.html",
        {
            "form": form,
            "page": page,
            "statuses": _status_choices(scope),
            "status": request.GET.get("status", "") if request.GET.get("status", "") in statuses else "",
            "query": urlencode(query),
            "can_create": scope.is_district_staff,
            "waiting": selectors.waiting_for_review().count() if scope.is_commission else None,
            "searched": any(cleaned.get(k) for k in ("q", "item", "district")),
        },
    )


def _form_error(form: CaseForm, exc: services.ExperienceError) -> None:
    form.add_error(None, exc.message)


@login_required
def experience_create(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not (scope.is_district_staff and scope.district_id):
        raise PermissionDenied
    district = District.objects.get(pk=scope.district_id)
    form = CaseForm(request.POST or None, district=district)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(district=district, by=request.user, **form.cleaned_data)
        except services.ExperienceError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request, _("The case has been saved as a draft. Add photos and documents, then submit it.")
            )
            return redirect(case)
    return render(request, "experience/case_form.html", {"form": form, "district": district, "case": None})


@login_required
def experience_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk, write=True)
    initial = {
        "title": case.title,
        "communities": list(case.communities.all()),
        "items": list(case.items.all()),
        "measures": case.measures,
        "results": case.results,
        "cost": case.cost,
    }
    form = CaseForm(request.POST or None, initial=initial, district=case.district)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_update(case=case, by=request.user, **form.cleaned_data)
        except services.ExperienceError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The case has been saved."))
            return redirect(case)
    return render(request, "experience/case_form.html", {"form": form, "district": case.district, "case": case})


@login_required
@require_GET
def experience_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk)
    scope = scope_of(request.user)
    writable = can_write(scope, case) and case.is_editable
    return render(
        request,
        "experience/case_detail.html",
        {
            "case": case,
            "communities": case.communities.select_related("street").order_by("code"),
            "items": case.items.order_by("number"),
            "files": evidence_for(case).visible_to(request.user),
            "steps": case.steps.select_related("by"),
            "writable": writable,
            "can_review": scope.is_commission and case.status == Status.SUBMITTED,
            "can_promote": scope.is_commission and case.status == Status.PUBLISHED,
            "return_form": ReturnForm(),
            "publish_form": PublishForm(),
            "promote_form": PromoteForm(initial={"replicable": case.replicable, "event": case.event}),
        },
    )


def _step_done(request: HttpRequest, case: ExperienceCase, step: Any, message: str) -> HttpResponse:
    try:
        step()
    except services.ExperienceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    return redirect(case)


def _form_refused(request: HttpRequest, case: ExperienceCase, form: Any) -> HttpResponse:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect(case)


@login_required
@require_POST
def experience_submit(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk, write=True)
    return _step_done(
        request,
        case,
        lambda: services.case_submit(case=case, by=request.user),
        _("The case has been submitted to the commission."),
    )


@login_required
@require_POST
def experience_return(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk, review=True)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, case, form)
    return _step_done(
        request,
        case,
        lambda: services.case_return(case=case, comment=form.cleaned_data["comment"], by=request.user),
        _("The case has been returned to %(district)s.") % {"district": case.district.name},
    )


@login_required
@require_POST
def experience_publish(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk, review=True)
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, case, form)
    data = form.cleaned_data
    return _step_done(
        request,
        case,
        lambda: services.case_publish(
            case=case, by=request.user, comment=data["comment"], replicable=data["replicable"], event=data["event"]
        ),
        _("The case has been published."),
    )


@login_required
@require_POST
def experience_promote(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk, review=True)
    form = PromoteForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, case, form)
    data = form.cleaned_data
    return _step_done(
        request,
        case,
        lambda: services.case_promote(case=case, replicable=data["replicable"], event=data["event"], by=request.user),
        _("The case has been updated."),
    )


@login_required
@require_POST
def experience_file_upload(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk, write=True)
    upload = request.FILES.get("file")
    return _step_done(
        request,
        case,
        lambda: services.case_file_add(
            case=case, upload=upload, caption=request.POST.get("caption", ""), by=request.user
        ),
        _("“%(name)s” has been uploaded.") % {"name": getattr(upload, "name", "")},
    )


@login_required
@require_POST
def experience_file_remove(request: HttpRequest, pk: int, public_id: uuid.UUID) -> HttpResponse:
    case = case_for(request.user, pk, write=True)
    evidence = get_object_or_404(evidence_for(case), public_id=public_id)
    return _step_done(
        request,
        case,
        lambda: services.case_file_remove(case=case, evidence=evidence, by=request.user),
        _("“%(name)s” has been removed.") % {"name": evidence.original_name},
    )


@login_required
def experience_events(request: HttpRequest) -> HttpResponse:
    """The meetings where cases were shown; the commission records new ones here."""
    scope = scope_of(request.user)
    if scope.role is None:
        raise PermissionDenied
    form = EventForm(request.POST or None) if scope.is_commission else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.event_create(by=request.user, **form.cleaned_data)
            except services.ExperienceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The meeting has been recorded."))
                return redirect("experience_events")
    events = ExchangeEvent.objects.prefetch_related("communities").order_by("-held_on", "-id")
    published = _published_by_event(request.user)
    return render(
        request,
        "experience/event_list.html",
        {"events": [(event, published.get(event.pk, [])) for event in events], "form": form},
    )


def _published_by_event(user: Any) -> dict[int, list[ExperienceCase]]:
    by_event: dict[int, list[ExperienceCase]] = {}
    for case in (
        ExperienceCase.objects.visible_to(user).published().filter(event__isnull=False).select_related("district")
    ):
        by_event.setdefault(case.event_id, []).append(case)
    return by_event
