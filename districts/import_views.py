"""Roster import and export pages: thin wrappers around `districts.imports`.

A pending upload belongs to the session that uploaded it: its token is kept there, and a token that is not the
session's is a 404 (another user cannot preview, confirm or cancel it).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import imports
from .access import district_for
from .models import District
from .resources import (
    BUILD_YEAR,
    IS_OLD_ESTATE,
    KIND,
    KIND_LABELS,
    NO,
    PROPERTY_SHARE,
    RENOVATION,
    RENOVATION_LABELS,
    YES,
    RosterResource,
)
from .scope import scope_of

SESSION_KEY = "roster_import"
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _pending(request: HttpRequest, token: uuid.UUID) -> dict[str, str]:
    pending = request.session.get(SESSION_KEY)
    if not pending or pending.get("token") != str(token):
        raise Http404
    return pending


def _forget(request: HttpRequest) -> None:
    """Drop the session's pending upload, and its stored file."""
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        imports.roster_import_discard(token=uuid.UUID(pending["token"]))


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest) -> HttpResponse:
    imports.require_importer(request.user)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = imports.validate_upload(upload=form.cleaned_data["file"])
        except imports.ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            _forget(request)
            token = imports.roster_import_store(upload=upload)
            request.session[SESSION_KEY] = {"token": str(token), "filename": upload.filename}
            return redirect("roster_import_preview", token=token)
    scope = scope_of(request.user)
    return render(
        request,
        "districts/roster_import.html",
        {
            "form": form,
            "headers": RosterResource.headers(),
            "value_notes": _value_notes(),
            "max_mb": f"{settings.ROSTER_IMPORT_MAX_BYTES / 1024 / 1024:g}",
            "max_rows": settings.ROSTER_IMPORT_MAX_ROWS,
            "districts": District.objects.visible_to(request.user),
            "whole_city": scope.sees_whole_city,
        },
    )


def _value_notes() -> list[tuple[str, str]]:
    """What each constrained column accepts, for the upload page."""
    or_empty = _("%(choices)s, or empty")
    return [
        (KIND, "、".join(KIND_LABELS.values())),
        (BUILD_YEAR, "1900–2100"),
        (IS_OLD_ESTATE, or_empty % {"choices": f"{YES}、{NO}"}),
        (RENOVATION, or_empty % {"choices": "、".join(RENOVATION_LABELS.values())}),
        (PROPERTY_SHARE, "0–100"),
    ]


@login_required
@require_http_methods(["GET", "POST"])
def roster_import_preview(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    imports.require_importer(request.user)
    pending = _pending(request, token)
    try:
        if request.method == "POST":
            try:
                result = imports.roster_import_confirm(user=request.user, token=token, note=pending["filename"])
            except imports.ImportRejected as exc:
                preview = exc.preview
                messages.error(request, _("The file has errors now; nothing was imported."))
            else:
                request.session.pop(SESSION_KEY, None)
                messages.success(
                    request,
                    _("Imported: %(changed)s communities updated, %(unchanged)s unchanged.")
                    % {"changed": len(result.updates), "unchanged": result.unchanged},
                )
                return redirect("roster_import")
        else:
            preview = imports.roster_import_preview(user=request.user, token=token)
    except imports.ImportNotFound as exc:
        request.session.pop(SESSION_KEY, None)
        raise Http404 from exc
    except imports.ImportFileError as exc:
        _forget(request)
        messages.error(request, str(exc))
        return redirect("roster_import")
    return render(
        request,
        "districts/roster_import_preview.html",
        {"preview": preview, "token": token, "filename": pending["filename"]},
    )


@login_required
@require_POST
def roster_import_cancel(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    imports.require_importer(request.user)
    _pending(request, token)
    _forget(request)
    messages.info(request, _("The upload was discarded; nothing was imported."))
    return redirect("roster_import")


@login_required
@require_GET
def roster_import_template(request: HttpRequest) -> HttpResponse:
    imports.require_importer(request.user)
    return _download(imports.roster_import_template(), "xlsx", "roster-import-template.xlsx")


@login_required
@require_GET
def roster_export(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not (scope.sees_whole_city or scope.district_id or scope.street_id):
        raise PermissionDenied
    fmt = request.GET.get("format", "xlsx")
    if fmt not in imports.FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    district = district_for(request.user, request.GET["district"]) if request.GET.get("district") else None
    content = imports.roster_export_file(user=request.user, fmt=fmt, district=district)
    return _download(content, fmt, imports.export_filename(fmt=fmt, district=district))


def _download(content: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
