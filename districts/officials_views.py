"""Responsible officials' pages: the commission's list of every unit, and each unit's own form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from greencommunity.paging import paged

from .access import district_for
from .models import Department, District, ResponsibleOfficial
from .officials import OfficialError, can_edit_officials, can_read_officials, official_save, officials_by_unit
from .scope import scope_of

DISTRICTS_PER_PAGE = 50


class OfficialForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Full name"), required=False, max_length=32)
    title = forms.CharField(label=gettext_lazy("Job title"), required=False, max_length=64)
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@login_required
@require_GET
def officials_list(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not can_read_officials(scope):
        raise Http404
    if scope.is_commission:
        districts, departments = District.objects.order_by("code"), Department.objects.all()
    elif scope.is_district_staff and scope.district_id:
        districts, departments = District.objects.filter(pk=scope.district_id), Department.objects.none()
    elif scope.department_id:
        districts, departments = District.objects.none(), Department.objects.filter(pk=scope.department_id)
    else:
        raise Http404
    # A national roster's 3,000 districts take 60 pages; Tianjin's 16 and the departments fit on one.
    pager = paged(request, districts, per_page=DISTRICTS_PER_PAGE)
    district_rows, department_rows = officials_by_unit(districts=pager.rows, departments=departments)
    return render(
        request,
        "districts/officials_list.html",
        {
            "district_rows": district_rows,
            "pager": pager,
            "department_rows": department_rows,
            "levels": ResponsibleOfficial.Level.choices,
            "scope": scope,
        },
    )


def _edit(
    request: HttpRequest, *, district: District | None = None, department: Department | None = None
) -> HttpResponse:
    scope = scope_of(request.user)
    if not can_edit_officials(scope, district=district, department=department):
        raise PermissionDenied
    unit: dict[str, District | Department | None] = (
        {"district": district} if district is not None else {"department": department}
    )
    current = {o.level: o for o in ResponsibleOfficial.objects.filter(**unit)}
    forms_by_level = [
        (
            value,
            label,
            OfficialForm(
                request.POST or None,
                prefix=value,
                initial={f: getattr(current[value], f) for f in ("name", "title", "phone")} if value in current else {},
            ),
        )
        for value, label in ResponsibleOfficial.Level.choices
    ]
    error = ""
    if request.method == "POST" and all(form.is_valid() for _v, _l, form in forms_by_level):
        try:
            with transaction.atomic():  # both levels or neither
                for value, _label, form in forms_by_level:
                    official_save(
                        level=value,
                        district=district,
                        department=department,
                        by=request.user,
                        scope=scope,
                        **form.cleaned_data,
                    )
        except OfficialError as exc:
            error = str(exc)
        else:
            messages.success(
                request, _("The responsible officials of %(unit)s were saved.") % {"unit": district or department}
            )
            return redirect("officials_list")
    return render(
        request,
        "districts/officials_edit.html",
        {"unit": district or department, "forms": forms_by_level, "error": error},
    )


@login_required
@require_http_methods(["GET", "POST"])
def officials_edit_district(request: HttpRequest, code: str) -> HttpResponse:
    return _edit(request, district=district_for(request.user, code))


@login_required
@require_http_methods(["GET", "POST"])
def officials_edit_department(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_of(request.user)
    department = get_object_or_404(Department, code=code)
    # Another department's page is out of a department's scope, and no district's business.
    if not scope.is_commission and scope.department_id != department.pk:
        raise Http404
    return _edit(request, department=department)
