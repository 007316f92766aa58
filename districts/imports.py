"""Bulk upload of the roster's survey data (调查摸底) from a spreadsheet, and the matching export.

The flow: `validate_upload` (can we read this file at all?) → `roster_import_store` (kept in the default storage
under a random name) → `roster_import_preview` (a dry run against the current roster that lists every error
with its row and column, and every change) → `roster_import_confirm` (the same evaluation again under row
locks, in one transaction: the whole file is written or nothing is) or `roster_import_discard`.

The columns are `RosterResource`'s; its widgets convert the cells. Evaluation and the write are here rather
than in django-import-export's `import_data`, which cannot give per-cell messages, scope checks and the audit
trail in the shape the portal needs.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import uuid
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_entry, diff, snapshot
from .models import AuditEntry, Community, District
from .resources import CODE, NAME, RosterResource, normalise_header
from .scope import scope_of
from .services import SURVEY_FIELDS

logger = logging.getLogger(__name__)

FORMATS = ("xlsx", "csv")
STORAGE_DIR = "imports"
REQUIRED_HEADERS = (CODE, NAME)
MAX_COMPRESSION_RATIO = 100
MAX_COLUMNS = 200
# PNG, JPEG, GIF and PDF: files that are never a table, whatever their name says.
NOT_TEXT_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF-")


class ImportFileError(Exception):
    """A file that cannot be imported at all (format, encoding, size, columns); the message is for the user."""


class ImportNotFound(Exception):
    """No stored upload under that token (never stored, already confirmed or cancelled)."""


class ImportRejected(Exception):
    """The confirmed file has errors: nothing was written. `preview` lists them."""

    def __init__(self, preview: ImportPreview) -> None:
        super().__init__(_("The file has errors; nothing was imported."))
        self.preview = preview


@dataclass(frozen=True)
class Table:
    """A sheet's non-blank data rows, each with its row number as the user sees it (the header is row 1)."""

    fmt: str
    headers: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, Any]], ...]


@dataclass(frozen=True)
class ValidatedUpload:
    fmt: str
    filename: str
    content: bytes
    table: Table


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass(frozen=True)
class FieldChange:
    column: str
    old: str
    new: str


@dataclass(frozen=True)
class RowUpdate:
    row: int
    code: str
    name: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class ImportPreview:
    rows: int
    errors: tuple[RowError, ...]
    updates: tuple[RowUpdate, ...]
    unchanged: int
    ignored_columns: tuple[str, ...] = ()

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


@dataclass
class _Evaluation:
    preview: ImportPreview
    changed: list[tuple[Community, dict[str, list[Any]]]] = field(default_factory=list)


# --- who may import ---------------------------------------------------------------------------------------


def can_import(user: Any) -> bool:
    scope = scope_of(user)
    return scope.is_commission_admin or scope.is_district_staff


def require_importer(user: Any) -> None:
    if not can_import(user):
        raise PermissionDenied


# --- reading files ----------------------------------------------------------------------------------------


def upload_content(upload: UploadedFile) -> tuple[str, str, bytes]:
    """The uploaded spreadsheet's file name, format ("xlsx" or "csv") and bytes, within the size limit; raise
    ImportFileError with the reason. Every spreadsheet import (the roster's, the funds') reads its file here."""
    max_bytes = settings.ROSTER_IMPORT_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise ImportFileError(_too_big(max_bytes))
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise ImportFileError(_too_big(max_bytes))
    filename = (upload.name or "").rsplit("/", 1)[-1]
    return filename, _format_of(filename, content), content


def read_records(fmt: str, content: bytes) -> tuple[list[Any], list[tuple[int, tuple[Any, ...]]]]:
    """The spreadsheet's header cells and its rows (line number, cells), checked for encoding, zip bombs and size."""
    return _read_xlsx(content) if fmt == "xlsx" else _read_csv(content)


def validate_upload(*, upload: UploadedFile) -> ValidatedUpload:
    """Check the file's size, format, encoding, shape and columns; raise ImportFileError with the reason."""
    filename, fmt, content = upload_content(upload)
    return ValidatedUpload(fmt=fmt, filename=filename, content=content, table=_read_table(fmt, content))


def _too_big(max_bytes: int) -> str:
    return _("The file is larger than %(size)s MB.") % {"size": f"{max_bytes / 1024 / 1024:g}"}


def _format_of(filename: str, content: bytes) -> str:
    """The format from the name, confirmed by the content."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext in {"xlsm", "xltm", "xlsb"}:
        raise ImportFileError(_("Workbooks with macros are not accepted. Save the file as .xlsx or .csv."))
    if ext == "xls":
        raise ImportFileError(_("The old Excel format (.xls) is not accepted. Save the file as .xlsx or .csv."))
    if ext not in FORMATS:
        raise ImportFileError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    if not content:
        raise ImportFileError(_("The file is empty."))
    looks_zip = content.startswith(b"PK\x03\x04")
    looks_ole = content.startswith(b"\xd0\xcf\x11\xe0")
    if ext == "xlsx" and looks_ole:
        raise ImportFileError(
            _("The workbook is password-protected or in an old format. Save it as .xlsx without a password.")
        )
    if ext == "xlsx" and not looks_zip:
        raise ImportFileError(_("The file is named .xlsx but is not an Excel workbook."))
    if ext == "csv" and (looks_zip or looks_ole):
        raise ImportFileError(_("The file is named .csv but is an Excel workbook. Save it as .xlsx or as CSV."))
    if ext == "csv" and content.startswith(NOT_TEXT_SIGNATURES):
        # A photo or PDF renamed .csv would otherwise be reported as text in an unknown encoding.
        raise ImportFileError(_("The file is not a CSV text file."))
    return ext


def _read_table(fmt: str, content: bytes) -> Table:
    headers, rows = _read_xlsx(content) if fmt == "xlsx" else _read_csv(content)
    return _table(fmt, headers, rows)


def _check_zip(content: bytes) -> None:
    """Refuse a workbook that is not one, has macros, or unpacks to too much (a zip bomb) — before openpyxl."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ImportFileError(_("The file is named .xlsx but is not an Excel workbook.")) from exc
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise ImportFileError(_("The file is named .xlsx but is not an Excel workbook."))
    if "xl/vbaProject.bin" in names:
        raise ImportFileError(_("Workbooks with macros are not accepted. Save the file as .xlsx or .csv."))
    too_big = _("The workbook unpacks to more data than is allowed. Remove unused sheets or formatting, or use CSV.")
    if sum(m.file_size for m in members) > settings.ROSTER_IMPORT_MAX_UNZIPPED_BYTES:
        raise ImportFileError(too_big)
    for m in members:
        if m.file_size and (m.compress_size == 0 or m.file_size / m.compress_size > MAX_COMPRESSION_RATIO):
            raise ImportFileError(too_big)


def _read_xlsx(content: bytes) -> tuple[list[Any], list[tuple[int, tuple[Any, ...]]]]:
    _check_zip(content)
    import openpyxl

    max_rows = settings.ROSTER_IMPORT_MAX_ROWS
    book = None
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it does not know; none of that matters here.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            sheet = book.worksheets[0] if book.worksheets else None
            if sheet is None or not hasattr(sheet, "iter_rows"):
                raise ImportFileError(_("The workbook's first sheet has no table."))
            header_row = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
            headers = list(header_row)
            while headers and (headers[-1] is None or str(headers[-1]).strip() == ""):
                headers.pop()
            if not headers:
                if not any(True for _row in sheet.iter_rows(min_row=2, max_row=2)):
                    raise ImportFileError(_("The workbook's first sheet has no table."))
                return [], []
            if len(headers) > MAX_COLUMNS:
                raise ImportFileError(_("The first sheet has more than %(max)s columns.") % {"max": MAX_COLUMNS})
            # Read one row past the limit (to notice it) and no further, however large the sheet claims to be.
            rows = [
                (number, tuple(values))
                for number, values in enumerate(
                    sheet.iter_rows(min_row=2, max_row=max_rows + 2, max_col=len(headers), values_only=True),
                    start=2,
                )
            ]
    except ImportFileError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged files; all mean "cannot read".
        logger.info("unreadable xlsx upload: %r", exc)
        raise ImportFileError(_("The workbook could not be read. Open it in Excel and save it again.")) from exc
    finally:
        if book is not None:
            book.close()
    return headers, rows


def _read_csv(content: bytes) -> tuple[list[Any], list[tuple[int, tuple[Any, ...]]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _("The CSV file's encoding is not recognised. Save it as CSV in UTF-8 or GBK.")
            ) from exc
    if "\x00" in text:
        raise ImportFileError(_("The file is not a CSV text file."))
    max_rows = settings.ROSTER_IMPORT_MAX_ROWS
    headers: list[Any] = []
    rows: list[tuple[int, tuple[Any, ...]]] = []
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if number == 1:
                headers = record
                while headers and not headers[-1].strip():
                    headers.pop()
                # Checked before the columns are looked at: a header of a million columns costs nothing more.
                if len(headers) > MAX_COLUMNS:
                    raise ImportFileError(_("The file has more than %(max)s columns.") % {"max": MAX_COLUMNS})
            else:
                rows.append((number, tuple(record)))
            if number > max_rows + 1 and any(cell.strip() for cell in record):
                break
    except csv.Error as exc:
        # The csv module's reason is English ("field larger than field limit"); say what it means instead.
        raise ImportFileError(
            _("The CSV file could not be read: a cell is too long or its quotes do not match. Save it again as CSV.")
        ) from exc
    return headers, rows


def _table(fmt: str, raw_headers: list[Any], raw_rows: list[tuple[int, tuple[Any, ...]]]) -> Table:
    headers = tuple(normalise_header(h) for h in raw_headers)
    known = RosterResource.field_for_header()
    named = [h for h in headers if h]
    duplicated = sorted({h for h in named if named.count(h) > 1})
    if duplicated:
        raise ImportFileError(
            _("These columns appear more than once: %(columns)s.") % {"columns": "、".join(duplicated)}
        )
    missing = [h for h in REQUIRED_HEADERS if h not in headers]
    if missing:
        raise ImportFileError(
            _("The file is missing required columns: %(columns)s. Use the template's first row as the header.")
            % {"columns": "、".join(missing)}
        )
    survey_headers = [RosterResource.fields[name].column_name for name in SURVEY_FIELDS]
    if not any(h in headers for h in survey_headers):
        raise ImportFileError(
            _("The file has none of the survey columns: %(columns)s.") % {"columns": "、".join(survey_headers)}
        )
    max_rows = settings.ROSTER_IMPORT_MAX_ROWS
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, values in raw_rows:
        cells = {h: v for h, v in zip(headers, values, strict=False) if h in known}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if number > max_rows + 1:
            raise ImportFileError(
                _("The file has more than %(max)s data rows. Split it into smaller files.") % {"max": max_rows}
            )
        rows.append((number, cells))
    if not rows:
        raise ImportFileError(_("The file has no data rows below the header."))
    return Table(fmt=fmt, headers=headers, rows=tuple(rows))


# --- evaluating rows --------------------------------------------------------------------------------------


def _evaluate(*, user: Any, table: Table, communities: dict[str, Community]) -> _Evaluation:
    """Check every row against the roster and the user's scope; set the new values on `communities`."""
    scope = scope_of(user)
    resource = RosterResource()
    columns = [name for name in resource._meta.export_order if resource.fields[name].column_name in table.headers]
    survey = [name for name in SURVEY_FIELDS if name in columns]
    errors: list[RowError] = []
    updates: list[RowUpdate] = []
    changed: list[tuple[Community, dict[str, list[Any]]]] = []
    unchanged = 0
    first_row_of: dict[str, int] = {}
    column_order = {header: i for i, header in enumerate(RosterResource.headers())}

    for number, cells in table.rows:
        row_errors: list[RowError] = []
        values: dict[str, Any] = {}
        for name in columns:
            try:
                values[name] = resource.fields[name].clean(cells)
            except ValueError as exc:
                row_errors.append(_error(number, name, str(exc)))
        for name in ("code", "name"):
            if values.get(name) == "":
                row_errors.append(_error(number, name, _("This cell is required.")))

        community = None
        code = values.get("code")
        if code:
            if code in first_row_of:
                message = _("This code already appears in row %(row)s.") % {"row": first_row_of[code]}
                row_errors.append(_error(number, "code", message))
            else:
                first_row_of[code] = number
                community = communities.get(code)
                if community is None:
                    message = _(
                        "This code is not on the roster. Communities are added through roster changes, not imports."
                    )
                    row_errors.append(_error(number, "code", message))
                elif not scope.can_edit_district(community.district_id):
                    # Say no more than that: neither its name nor its district.
                    row_errors.append(_error(number, "code", _("This community is outside your district.")))
                    community = None

        if community is not None:
            stored = {"name": community.name, "street": community.street.code, "kind": community.kind}
            for name, value in stored.items():
                if values.get(name) and values[name] != value:
                    shown = resource.fields[name].widget.render(value) or value
                    message = _("Does not match the roster, which has “%(value)s”.") % {"value": shown}
                    row_errors.append(_error(number, name, message))
            before = snapshot(community, survey)
            for name in survey:
                if name in values:
                    setattr(community, name, values[name])
            try:
                community.clean_fields(exclude=[f.name for f in Community._meta.fields if f.name not in survey])
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    if name in resource.fields:
                        for message in messages:
                            row_errors.append(_error(number, name, message))
            changes = diff(before, snapshot(community, survey))
            if not row_errors:
                if changes:
                    changed.append((community, changes))
                    updates.append(
                        RowUpdate(
                            row=number,
                            code=community.code,
                            name=community.name,
                            changes=tuple(
                                FieldChange(
                                    column=resource.fields[name].column_name,
                                    old=_shown(resource, name, old),
                                    new=_shown(resource, name, new),
                                )
                                for name, (old, new) in changes.items()
                            ),
                        )
                    )
                else:
                    unchanged += 1
        errors.extend(sorted(row_errors, key=lambda e: column_order[e.column]))

    header_set = set(RosterResource.field_for_header())
    preview = ImportPreview(
        rows=len(table.rows),
        errors=tuple(errors),
        updates=tuple(updates),
        unchanged=unchanged,
        ignored_columns=tuple(h for h in table.headers if h and h not in header_set),
    )
    return _Evaluation(preview=preview, changed=changed)


def _error(row: int, name: str, message: str) -> RowError:
    return RowError(row=row, column=RosterResource.fields[name].column_name, message=message)


def _shown(resource: RosterResource, name: str, value: Any) -> str:
    rendered = resource.fields[name].widget.render(value)
    return "" if rendered is None else str(rendered)


def _codes(table: Table) -> set[str]:
    """The well-formed codes in the file, to fetch their communities in one query."""
    codes = set()
    widget = RosterResource.fields["code"].widget
    for _number, cells in table.rows:
        try:
            code = widget.clean(cells.get(CODE))
        except ValueError:
            continue
        if code:
            codes.add(code)
    return codes


# --- the stored upload ------------------------------------------------------------------------------------


def roster_import_store(*, upload: ValidatedUpload) -> uuid.UUID:
    """Keep a validated upload under a random name until it is confirmed or discarded."""
    token = uuid.uuid4()
    default_storage.save(_stored_name(token, upload.fmt), ContentFile(upload.content))
    return token


def _stored_name(token: uuid.UUID, fmt: str) -> str:
    return f"{STORAGE_DIR}/{uuid.UUID(str(token))}.{fmt}"


def _load(token: uuid.UUID) -> tuple[str, Table]:
    for fmt in FORMATS:
        name = _stored_name(token, fmt)
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as handle:
                content = handle.read()
            return name, _read_table(fmt, content)
    raise ImportNotFound


def roster_import_discard(*, token: uuid.UUID) -> None:
    for fmt in FORMATS:
        name = _stored_name(token, fmt)
        if default_storage.exists(name):
            default_storage.delete(name)


def roster_import_preview(*, user: Any, token: uuid.UUID) -> ImportPreview:
    """A dry run of the stored upload against the roster as it is now. Writes nothing."""
    require_importer(user)
    _name, table = _load(token)
    codes = _codes(table)
    communities = {c.code: c for c in Community.objects.filter(code__in=codes).select_related("street")}
    return _evaluate(user=user, table=table, communities=communities).preview


def roster_import_confirm(*, user: Any, token: uuid.UUID, note: str = "") -> ImportPreview:
    """Import the stored upload in one transaction (all rows or none) and delete it.

    Raises ImportRejected (writing nothing, keeping the file) if any row has an error now.
    """
    require_importer(user)
    name, table = _load(token)
    codes = _codes(table)
    with transaction.atomic():
        locked = Community.objects.select_for_update().filter(code__in=codes).select_related("street")
        communities = {c.code: c for c in locked}
        evaluation = _evaluate(user=user, table=table, communities=communities)
        if evaluation.preview.has_errors:
            raise ImportRejected(evaluation.preview)
        now = timezone.now()
        for community, _changes in evaluation.changed:
            community.updated_at = now
        Community.objects.bulk_update(
            [community for community, _changes in evaluation.changed],
            [*SURVEY_FIELDS, "updated_at"],
            batch_size=500,
        )
        AuditEntry.objects.bulk_create(
            [
                audit_entry(
                    actor=user,
                    action=AuditEntry.Action.IMPORT,
                    obj=community,
                    district_id=community.district_id,
                    changes=changes,
                    source="import",
                    note=note,
                )
                for community, changes in evaluation.changed
            ],
            batch_size=500,
        )
    default_storage.delete(name)
    return evaluation.preview


# --- files for download -----------------------------------------------------------------------------------


def roster_import_template() -> bytes:
    """An empty workbook with the import's headers."""
    dataset = RosterResource().export(queryset=Community.objects.none())
    dataset.title = "社区名册"
    return dataset.export("xlsx")


def roster_export_file(*, user: Any, fmt: str, district: District | None = None) -> bytes:
    """The user's visible roster as of today, in the template's columns (so it can be edited and imported)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    communities = Community.objects.visible_to(user).on_roster(timezone.localdate())
    if district is not None:
        communities = communities.filter(district=district)
    dataset = RosterResource().export(queryset=communities.select_related("street").order_by("code"))
    if fmt == "csv":
        # With the byte-order mark Excel opens the file as UTF-8 instead of the system code page.
        return ("\ufeff" + dataset.export("csv")).encode("utf-8")
    dataset.title = "社区名册"
    return dataset.export("xlsx")


def export_filename(*, fmt: str, district: District | None = None, on: datetime.date | None = None) -> str:
    on = on or timezone.localdate()
    return f"roster-{district.code if district else 'all'}-{on:%Y%m%d}.{fmt}"
