"""The supervision pages: thin views over `access`, `forms`, `services` and `selectors`.

A refused step is said on the page it came from (a message after the redirect), never as an error page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from districts.models import District
from districts.scope import scope_of
from standards.forms import form_errors
from standards.models import Evidence

from . import services
from .access import can_answer, can_manage, can_open, required_action_for, supervision_for
from .forms import AnswerForm, CloseForm, FindingForm, RequiredActionForm, ReturnForm, SupervisionForm
from .models import Finding, RequiredAction, RequiredActionStep, Supervision
from .selectors import ListFilters, supervision_list
from .services import SupervisionError


def _readers_only(request: HttpRequest) -> None:
    scope = scope_of(request.user)
    if not (scope.is_commission or scope.role == "department_staff" or scope.district_id):
        raise Http404


def _errors(request: HttpRequest, form: Any) -> None:
    for error in form_errors(form):
        messages.error(request, error)


@login_required
def supervision_list_view(request: HttpRequest) -> HttpResponse:
    _readers_only(request)
    scope = scope_of(request.user)
    today = timezone.localdate()
    kind = request.GET.get("kind", "")
    kind = kind if kind in Supervision.Kind.values else ""
    state = request.GET.get("state", "")
    state = state if state in {"pending", "overdue"} else ""
    year_raw = request.GET.get("year", "")
    year = int(year_raw) if year_raw.isdigit() and 2000 <= int(year_raw) <= 2100 else None
    district = None
    code = request.GET.get("district", "").strip()
    choosable = scope.is_commission or scope.role == "department_staff"
    if code and choosable:
        district = get_object_or_404(District, code=code)
    rows = supervision_list(
        user=request.user, filters=ListFilters(kind=kind, district=district, state=state, year=year), on=today
    )
    return render(
        request,
        "supervision/supervision_list.html",
        {
            "rows": rows,
            "kinds": Supervision.Kind.choices,
            "kind": kind,
            "state": state,
            "year": year,
            "district": district,
            "districts": District.objects.order_by("code") if choosable else None,
            "can_open": can_open(scope),
            "today": today,
        },
    )


def _header_kwargs(form: SupervisionForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "kind": data["kind"],
        "title": data["title"],
        "held_on": data["held_on"],
        "districts": list(data["districts"]),
        "communities": data["communities"],
        "items": list(data["items"]),
        "participants": data["participants"],
        "summary": data["summary"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def supervision_create(request: HttpRequest) -> HttpResponse:
    _readers_only(request)
    if not can_open(scope_of(request.user)):
        raise PermissionDenied
    form = SupervisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            supervision = services.supervision_open(by=request.user, **_header_kwargs(form))
        except SupervisionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The supervision is recorded. Add its findings and required actions below."))
            return redirect(supervision)
    return render(request, "supervision/supervision_form.html", {"form": form, "supervision": None})


@login_required
@require_http_methods(["GET", "POST"])
def supervision_edit(request: HttpRequest, pk: int) -> HttpResponse:
    supervision = supervision_for(request.user, pk, manage=True)
    if request.method == "POST":
        form = SupervisionForm(request.POST)
        if form.is_valid():
            try:
                services.supervision_edit(supervision=supervision, by=request.user, **_header_kwargs(form))
            except SupervisionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The supervision's record is saved."))
                return redirect(supervision)
    else:
        form = SupervisionForm(
            initial={
                "kind": supervision.kind,
                "title": supervision.title,
                "held_on": supervision.held_on,
                "districts": list(supervision.districts.values_list("code", flat=True)),
                "communities": " ".join(supervision.communities.values_list("code", flat=True)),
                "items": list(supervision.items.values_list("number", flat=True)),
                "participants": supervision.participants,
                "summary": supervision.summary,
            }
        )
    return render(request, "supervision/supervision_form.html", {"form": form, "supervision": supervision})


def _files_by_owner(user: Any, model: type, ids: list[int]) -> dict[int, list[Evidence]]:
    """The readable files of many rows of `model` in one query."""
    files: dict[int, list[Evidence]] = {}
    if not ids:
        return files
    rows = (
        Evidence.objects.current()
        .visible_to(user)
        .filter(owner_type=ContentType.objects.get_for_model(model), owner_id__in=ids)
        .select_related("uploaded_by")
    )
    for evidence in rows:
        files.setdefault(evidence.owner_id, []).append(evidence)
    return files


@login_required
def supervision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    supervision = supervision_for(request.user, pk)
    scope = scope_of(request.user)
    today = timezone.localdate()
    findings = list(
        Finding.objects.visible_to(request.user)
        .filter(supervision=supervision)
        .select_related("item", "district", "community", "recorded_by")
    )
    required = list(
        RequiredAction.objects.visible_to(request.user)
        .filter(supervision=supervision)
        .select_related("district", "community", "item", "closed_by")
        .prefetch_related(Prefetch("steps", queryset=RequiredActionStep.objects.select_related("by")))
        .order_by("district__code", "due_on", "id")
    )
    finding_files = _files_by_owner(request.user, Finding, [f.pk for f in findings])
    action_files = _files_by_owner(request.user, RequiredAction, [r.pk for r in required])
    for finding in findings:
        finding.files = finding_files.get(finding.pk, [])
    for action in required:
        action.files = action_files.get(action.pk, [])
        action.overdue = action.is_overdue_on(today)
        action.can_answer = can_answer(scope, action) and action.awaits_district
    manage = can_manage(scope, supervision)
    return render(
        request,
        "supervision/supervision_detail.html",
        {
            "supervision": supervision,
            "districts": supervision.districts.order_by("code"),
            "communities": supervision.communities.select_related("district").order_by("code"),
            "items": supervision.items.order_by("number"),
            "findings": findings,
            "required": required,
            "manage": manage,
            "finding_form": FindingForm(supervision=supervision) if manage else None,
            "required_form": RequiredActionForm(supervision=supervision) if manage else None,
            "answer_form": AnswerForm(),
            "close_form": CloseForm(),
            "return_form": ReturnForm(),
            "today": today,
            "file_accept": "image/*,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx",
        },
    )


@login_required
@require_POST
def finding_add(request: HttpRequest, pk: int) -> HttpResponse:
    supervision = supervision_for(request.user, pk, manage=True)
    form = FindingForm(request.POST, request.FILES, supervision=supervision)
    if not form.is_valid():
        _errors(request, form)
        return redirect(f"{supervision.get_absolute_url()}#findings")
    data = form.cleaned_data
    try:
        finding = services.finding_add(
            supervision=supervision,
            item=data["item"],
            text=data["text"],
            district=data["district"],
            community=data["community"],
            upload=data["file"],
            caption=data["caption"],
            by=request.user,
        )
    except SupervisionError as exc:
        messages.error(request, exc.message)
        return redirect(f"{supervision.get_absolute_url()}#findings")
    messages.success(request, _("The finding on item %(number)d is recorded.") % {"number": finding.item.number})
    return redirect(f"{supervision.get_absolute_url()}#finding-{finding.pk}")


@login_required
@require_POST
def required_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    supervision = supervision_for(request.user, pk, manage=True)
    form = RequiredActionForm(request.POST, supervision=supervision)
    if not form.is_valid():
        _errors(request, form)
        return redirect(f"{supervision.get_absolute_url()}#required")
    data = form.cleaned_data
    try:
        required = services.required_action_set(
            supervision=supervision,
            district=data["district"],
            community=data["community"],
            item=data["item"],
            text=data["text"],
            due_on=data["due_on"],
            on=data["set_on"],
            by=request.user,
        )
    except SupervisionError as exc:
        messages.error(request, exc.message)
        return redirect(f"{supervision.get_absolute_url()}#required")
    messages.success(request, _("The required action for %(district)s is set.") % {"district": required.district.name})
    return redirect(f"{supervision.get_absolute_url()}#ra-{required.pk}")


def _back(required: RequiredAction) -> HttpResponse:
    return redirect(f"{required.supervision.get_absolute_url()}#ra-{required.pk}")


@login_required
@require_POST
def required_action_answer(request: HttpRequest, pk: int) -> HttpResponse:
    required = required_action_for(request.user, pk)
    if not can_answer(scope_of(request.user), required):
        raise PermissionDenied
    form = AnswerForm(request.POST, request.FILES)
    if not form.is_valid():
        _errors(request, form)
        return _back(required)
    try:
        services.required_action_answer(
            required=required,
            text=form.cleaned_data["text"],
            upload=form.cleaned_data["file"],
            caption=form.cleaned_data["caption"],
            on=form.cleaned_data["on"],
            by=request.user,
        )
    except SupervisionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The answer is sent; %(opener)s will close the action or send it back.")
            % {"opener": required.supervision.opener_label},
        )
    return _back(required)


def _managed(request: HttpRequest, pk: int) -> RequiredAction:
    required = required_action_for(request.user, pk)
    if not can_manage(scope_of(request.user), required.supervision):
        raise PermissionDenied
    return required


@login_required
@require_POST
def required_action_close(request: HttpRequest, pk: int) -> HttpResponse:
    required = _managed(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return _back(required)
    try:
        services.required_action_close(
            required=required, note=form.cleaned_data["note"], on=form.cleaned_data["on"], by=request.user
        )
    except SupervisionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The required action is closed."))
    return _back(required)


@login_required
@require_POST
def required_action_return(request: HttpRequest, pk: int) -> HttpResponse:
    required = _managed(request, pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return _back(required)
    try:
        services.required_action_return(required=required, reason=form.cleaned_data["reason"], by=request.user)
    except SupervisionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The answer is sent back to %(district)s.") % {"district": required.district.name})
    return _back(required)
