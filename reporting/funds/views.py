"""Funds pages: the city's table per district and source, a district's lines, the form, the import and the export.

Out of scope → 404 (districts.access); in scope but read-only → 403; a refusal of the data → the form again with
the Chinese message.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from districts.access import district_for
from districts.models import District
from districts.resources import neutralise_formula
from districts.scope import scope_of
from greencommunity.paging import paged

from . import imports
from .forms import AmountsForm, EntryForm, UploadForm
from .models import FundEntry
from .selectors import entries_visible_to, funds_by_district, funds_by_source, funds_years, wan
from .services import (
    FundsError,
    can_edit_funds,
    can_read_funds,
    fund_entry_create,
    fund_entry_delete,
    fund_entry_update,
)

SESSION_KEY = "funds_import"
# Districts a page of the city's matrix: Tianjin's 16 on one, a national roster's 3,000 on 60.
DISTRICTS_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(request: HttpRequest, years: list[int]) -> int:
    """?year=YYYY, else the latest year with funds, else this year."""
    asked = request.GET.get("year", "")
    if re.fullmatch(r"20[0-9]{2}", asked):
        return int(asked)
    return years[0] if years else timezone.localdate().year


def _year_choices(years: list[int], year: int) -> list[int]:
    return sorted({*years, year, timezone.localdate().year}, reverse=True)


@login_required
@require_GET
def funds_home(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not can_read_funds(scope):
        raise Http404
    if not scope.sees_whole_city:
        return redirect("funds_district", code=scope.district_code)
    years = funds_years()
    year = _year(request, years)
    districts = paged(request, District.objects.order_by("code"), per_page=DISTRICTS_PER_PAGE)
    return render(
        request,
        "funds/city.html",
        {
            "year": year,
            "years": _year_choices(years, year),
            "by_source": funds_by_source(year=year),
            "matrix": funds_by_district(year=year, page=list(districts.rows)),
            "pager": districts,
        },
    )


@login_required
@require_GET
def funds_district(request: HttpRequest, code: str) -> HttpResponse:
    district = district_for(request.user, code)
    scope = scope_of(request.user)
    if not can_read_funds(scope):
        raise Http404
    years = funds_years(district=district)
    year = _year(request, years)
    entries = (
        FundEntry.objects.filter(district=district, year=year)
        .select_related("community__street", "source")
        .order_by("community__code", "source__order")
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "funds/district.html",
        {
            "district": district,
            "year": year,
            "years": _year_choices(years, year),
            "by_source": funds_by_source(year=year, district=district),
            "page": page,
            "can_edit": can_edit_funds(scope, district.pk),
            "can_import": imports.can_import(request.user),
            "whole_city": scope.sees_whole_city,
        },
    )


def _entry_for(user: Any, pk: int, *, write: bool = False) -> FundEntry:
    entry = get_object_or_404(entries_visible_to(user).select_related("community__street", "district", "source"), pk=pk)
    if write and not can_edit_funds(scope_of(user), entry.district_id):
        raise PermissionDenied
    return entry


def _back(entry_or_district: FundEntry | District, year: int) -> str:
    district = entry_or_district.district if isinstance(entry_or_district, FundEntry) else entry_or_district
    return reverse("funds_district", args=[district.code]) + f"?year={year}"


@login_required
@require_http_methods(["GET", "POST"])
def funds_entry_create(request: HttpRequest, code: str) -> HttpResponse:
    district = district_for(request.user, code, write=True)
    initial_year = request.GET.get("year", "")
    initial = {"year": int(initial_year)} if re.fullmatch(r"20[0-9]{2}", initial_year) else {}
    form = EntryForm(request.POST or None, district=district, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = fund_entry_create(
                community=data["community"],
                year=data["year"],
                source=data["source"],
                committed=data["committed"],
                spent=data["spent"],
                note=data["note"],
                by=request.user,
            )
        except FundsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Recorded: %(entry)s.") % {"entry": entry})
            if "another" in request.POST:
                return redirect(reverse("funds_entry_create", args=[district.code]) + f"?year={entry.year}")
            return redirect(_back(district, entry.year))
    return render(request, "funds/entry_form.html", {"district": district, "form": form, "entry": None})


@login_required
@require_http_methods(["GET", "POST"])
def funds_entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_for(request.user, pk, write=True)
    form = AmountsForm(
        request.POST or None, initial={"committed": entry.committed, "spent": entry.spent, "note": entry.note}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            fund_entry_update(
                entry=entry, committed=data["committed"], spent=data["spent"], note=data["note"], by=request.user
            )
        except FundsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved: %(entry)s.") % {"entry": entry})
            return redirect(_back(entry, entry.year))
    return render(request, "funds/entry_form.html", {"district": entry.district, "form": form, "entry": entry})


@login_required
@require_http_methods(["GET", "POST"])
def funds_entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_for(request.user, pk, write=True)
    if request.method == "POST":
        try:
            fund_entry_delete(entry=entry, by=request.user)
        except FundsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Deleted: %(entry)s.") % {"entry": entry})
        return redirect(_back(entry, entry.year))
    return render(request, "funds/entry_delete.html", {"entry": entry, "back": _back(entry, entry.year)})


# --- import -----------------------------------------------------------------------------------------------


def _pending(request: HttpRequest, token: uuid.UUID) -> dict[str, str]:
    pending = request.session.get(SESSION_KEY)
    if not pending or pending.get("token") != str(token):
        raise Http404
    return pending


def _forget(request: HttpRequest) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        imports.funds_import_discard(token=uuid.UUID(pending["token"]))


@login_required
@require_http_methods(["GET", "POST"])
def funds_import(request: HttpRequest) -> HttpResponse:
    imports.require_importer(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = imports.validate_upload(upload=form.cleaned_data["file"])
        except imports.ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            _forget(request)
            token = imports.funds_import_store(upload=upload)
            request.session[SESSION_KEY] = {"token": str(token), "filename": upload.filename}
            return redirect("funds_import_preview", token=token)
    scope = scope_of(request.user)
    return render(
        request,
        "funds/import.html",
        {
            "form": form,
            "headers": imports.HEADERS,
            "required": imports.REQUIRED,
            "sources": imports.FundingSource.objects.filter(is_active=True),
            "max_mb": f"{settings.ROSTER_IMPORT_MAX_BYTES / 1024 / 1024:g}",
            "max_rows": settings.ROSTER_IMPORT_MAX_ROWS,
            "district_code": scope.district_code,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def funds_import_preview(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    imports.require_importer(request.user)
    pending = _pending(request, token)
    try:
        if request.method == "POST":
            try:
                result = imports.funds_import_confirm(user=request.user, token=token, note=pending["filename"])
            except imports.ImportRejected as exc:
                preview = exc.preview
                messages.error(request, _("The file has errors now; nothing was imported."))
            else:
                request.session.pop(SESSION_KEY, None)
                messages.success(
                    request,
                    _("Imported: %(new)s lines added, %(updated)s changed, %(unchanged)s unchanged.")
                    % {"new": result.new, "updated": result.updated, "unchanged": result.unchanged},
                )
                scope = scope_of(request.user)
                return (
                    redirect("funds_district", code=scope.district_code)
                    if scope.district_code
                    else redirect("funds_home")
                )
        else:
            preview = imports.funds_import_preview(user=request.user, token=token)
    except imports.ImportNotFound as exc:
        request.session.pop(SESSION_KEY, None)
        raise Http404 from exc
    except imports.ImportFileError as exc:
        _forget(request)
        messages.error(request, str(exc))
        return redirect("funds_import")
    return render(
        request, "funds/import_preview.html", {"preview": preview, "token": token, "filename": pending["filename"]}
    )


@login_required
@require_POST
def funds_import_cancel(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    imports.require_importer(request.user)
    _pending(request, token)
    _forget(request)
    messages.info(request, _("The upload was discarded; nothing was imported."))
    return redirect("funds_import")


def _download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def funds_import_template(request: HttpRequest) -> HttpResponse:
    imports.require_importer(request.user)
    return _download(imports.funds_import_template(), "funds-import-template.xlsx")


# --- export -----------------------------------------------------------------------------------------------


@login_required
@require_GET
def funds_export(request: HttpRequest) -> HttpResponse:
    """The year's rollup (per district and source, in 万元) and every line (in yuan) the user may see."""
    scope = scope_of(request.user)
    if not can_read_funds(scope):
        raise Http404
    code = request.GET.get("district", "") or ("" if scope.sees_whole_city else scope.district_code)
    district = district_for(request.user, code) if code else None
    year = _year(request, funds_years(district=district))
    with translation.override("zh-hans"):
        content = _workbook(year=year, district=district)
    return _download(content, f"funds-{district.code if district else 'city'}-{year}.xlsx")


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise_formula(value)
    return float(value) if value is not None and not isinstance(value, int) else value


def _workbook(*, year: int, district: District | None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook(write_only=True)

    def sheet(title: str, headers: list[str]) -> Any:
        ws = book.create_sheet(title)
        ws.freeze_panes = "A2"
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for header in headers:
            cell = WriteOnlyCell(ws, value=header)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)
        return ws

    districts = District.objects.filter(pk=district.pk) if district else District.objects.all()
    matrix = funds_by_district(year=year, districts=districts)
    summary = sheet(
        _("Summary by district and source"),
        [
            _("District"),
            _("Funding source"),
            _("Committed (10,000 yuan)"),
            _("Spent (10,000 yuan)"),
            _("Communities with funds"),
        ],
    )
    for row in matrix.rows:
        for source, totals in zip(matrix.sources, row.by_source, strict=True):
            if not totals.is_empty:
                summary.append(
                    [
                        _cell(row.district.name),
                        _cell(source.name),
                        _cell(wan(totals.committed)),
                        _cell(wan(totals.spent)),
                        totals.communities,
                    ]
                )
        if not row.total.is_empty:
            summary.append(
                [
                    _cell(row.district.name),
                    _("Total"),
                    _cell(wan(row.total.committed)),
                    _cell(wan(row.total.spent)),
                    row.total.communities,
                ]
            )
    lines = sheet(
        _("Lines"),
        [
            _("District"),
            _("Street"),
            _("Community code"),
            _("Community"),
            _("Year"),
            _("Funding source"),
            _("Committed (yuan)"),
            _("Spent (yuan)"),
            _("Remarks"),
        ],
    )
    entries = FundEntry.objects.filter(year=year, district__in=districts).select_related(
        "district", "community__street", "source"
    )
    for e in entries.order_by("district__code", "community__code", "source__order").iterator(chunk_size=2000):
        lines.append(
            [
                _cell(e.district.name),
                _cell(e.community.street.name),
                e.community.code,
                _cell(e.community.name),
                e.year,
                _cell(e.source.name),
                _cell(e.committed),
                _cell(e.spent),
                _cell(e.note),
            ]
        )
    about = book.create_sheet(_("About"))
    about.append(
        [
            _("Table"),
            _cell(
                _("Funds of %(area)s in %(year)s")
                % {"area": district.name if district else _("Whole city"), "year": year}
            ),
        ]
    )
    about.append([_("Exported at"), date_format(timezone.localtime(), "Y年n月j日 H:i")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
