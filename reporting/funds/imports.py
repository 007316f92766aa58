"""Bulk upload of funds lines from a spreadsheet: upload → a preview of every row with its errors (row and column,
in Chinese) → confirm, which writes the whole file in one transaction or nothing.

Files are read by the roster import's readers (`districts.imports`), so the same formats, encodings (UTF-8 with or
without a byte-order mark, GBK/GB18030), size, row and unzip limits (ROSTER_IMPORT_*) and refusals apply. Each row
adds the line of its (community, year, source) or replaces that line's amounts and note.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from districts.audit import actor, audit_entry, created, diff, snapshot

# The roster import's file readers: the same checks of format, encoding, size and shape for every spreadsheet upload.
from districts.imports import (
    ImportFileError,
    ImportNotFound,
    can_import,
    read_records,
    require_importer,
    upload_content,
)
from districts.models import AuditEntry, Community
from districts.resources import neutralise_formula, normalise_header, unneutralise_formula
from districts.scope import scope_of
from greencommunity.fields import max_length

from .models import FundEntry, FundingSource
from .services import FIELDS, FundsError, check_amount, check_year

__all__ = ["ImportFileError", "ImportNotFound", "can_import", "require_importer"]

FORMATS = ("xlsx", "csv")
STORAGE_DIR = "imports"
CODE, NAME, YEAR, SOURCE, COMMITTED, SPENT, NOTE = (
    "社区代码",
    "社区名称",
    "年度",
    "资金来源",
    "落实金额（元）",
    "已支出金额（元）",
    "备注",
)
HEADERS = (CODE, NAME, YEAR, SOURCE, COMMITTED, SPENT, NOTE)
# Both amount columns: an empty cell is nought, so a missing column would silently clear a stored amount.
REQUIRED = (CODE, YEAR, SOURCE, COMMITTED, SPENT)
NOTE_MAX = max_length(FundEntry, "note")
_KEY_OF = {normalise_header(h): h for h in HEADERS}


class ImportRejected(Exception):
    """The confirmed file has errors now: nothing was written. `preview` lists them."""

    def __init__(self, preview: FundsPreview) -> None:
        super().__init__(_("The file has errors; nothing was imported."))
        self.preview = preview


@dataclass(frozen=True)
class Table:
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


@dataclass
class PreviewRow:
    """One data row as it would be written: new, changed (with the old amounts), or the same as stored."""

    row: int
    code: str
    community: str = ""
    year: int | None = None
    source: str = ""
    committed: Decimal | None = None
    spent: Decimal | None = None
    note: str = ""
    action: str = ""  # "new", "update", "same"; "" for a row with errors
    old_committed: Decimal | None = None
    old_spent: Decimal | None = None
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class FundsPreview:
    rows: tuple[PreviewRow, ...]
    errors: tuple[RowError, ...]
    ignored_columns: tuple[str, ...] = ()

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def new(self) -> int:
        return self.count("new")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("same")

    @property
    def writes(self) -> int:
        return self.new + self.updated


# --- reading the file -------------------------------------------------------------------------------------


def validate_upload(*, upload: UploadedFile) -> ValidatedUpload:
    filename, fmt, content = upload_content(upload)
    return ValidatedUpload(fmt=fmt, filename=filename, content=content, table=_read_table(fmt, content))


def _read_table(fmt: str, content: bytes) -> Table:
    raw_headers, raw_rows = read_records(fmt, content)
    headers = tuple(_KEY_OF.get(normalise_header(h), normalise_header(h)) for h in raw_headers)
    named = [h for h in headers if h]
    duplicated = sorted({h for h in named if named.count(h) > 1})
    if duplicated:
        raise ImportFileError(
            _("These columns appear more than once: %(columns)s.") % {"columns": "、".join(duplicated)}
        )
    missing = [h for h in REQUIRED if h not in headers]
    if missing:
        raise ImportFileError(
            _("The file is missing required columns: %(columns)s. Use the template's first row as the header.")
            % {"columns": "、".join(missing)}
        )
    max_rows = settings.ROSTER_IMPORT_MAX_ROWS
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, values in raw_rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if number > max_rows + 1:
            raise ImportFileError(
                _("The file has more than %(max)s data rows. Split it into smaller files.") % {"max": max_rows}
            )
        rows.append((number, {h: v for h, v in zip(headers, values, strict=False) if h in HEADERS}))
    if not rows:
        raise ImportFileError(_("The file has no data rows below the header."))
    return Table(headers=headers, rows=tuple(rows))


# --- cells ------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _code(value: Any) -> str:
    text = _text(value)
    if not text:
        raise ValueError(_("This cell is required."))
    if not re.fullmatch(r"[0-9]{12}", text):
        raise ValueError(_("A community code is 12 digits."))
    return text


def _year(value: Any) -> int:
    text = _text(value).removesuffix("年")
    if not text:
        raise ValueError(_("This cell is required."))
    if not re.fullmatch(r"[0-9]{4}", text):
        raise ValueError(_("Write the year as four digits, e.g. 2021."))
    try:
        return check_year(int(text))
    except FundsError as exc:
        raise ValueError(str(exc)) from exc


def _amount(value: Any, label: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(_("Write an amount in yuan, e.g. 120000 or 120000.50."))
    text = str(value).strip().replace(",", "").replace("，", "").replace(" ", "")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(_("Write an amount in yuan, e.g. 120000 or 120000.50.")) from exc
    if not number.is_finite():
        raise ValueError(_("Write an amount in yuan, e.g. 120000 or 120000.50."))
    try:
        return check_amount(number, label=label)
    except FundsError as exc:
        raise ValueError(str(exc)) from exc


# --- evaluating rows --------------------------------------------------------------------------------------


@dataclass
class _Evaluation:
    preview: FundsPreview
    new: list[FundEntry] = field(default_factory=list)
    changed: list[tuple[FundEntry, dict[str, list[Any]]]] = field(default_factory=list)


def _codes(table: Table) -> set[str]:
    codes = set()
    for _number, cells in table.rows:
        try:
            codes.add(_code(cells.get(CODE)))
        except ValueError:
            continue
    return codes


def _evaluate(
    *, user: Any, table: Table, communities: dict[str, Community], stored: dict[tuple[int, int, int], FundEntry]
) -> _Evaluation:
    scope = scope_of(user)
    sources = {s.name: s for s in FundingSource.objects.all()}
    active = "、".join(s.name for s in sources.values() if s.is_active)
    errors: list[RowError] = []
    result: list[PreviewRow] = []
    new: list[FundEntry] = []
    changed: list[tuple[FundEntry, dict[str, list[Any]]]] = []
    first_row_of: dict[tuple[int, int, int], int] = {}
    amount_labels = {COMMITTED: _("The amount committed"), SPENT: _("The amount spent")}

    for number, cells in table.rows:
        row = PreviewRow(row=number, code=_text(cells.get(CODE)))

        def fail(column: str, message: str, row: PreviewRow = row) -> None:
            row.errors.append(RowError(row=row.row, column=column, message=message))

        community = None
        try:
            code = _code(cells.get(CODE))
        except ValueError as exc:
            fail(CODE, str(exc))
        else:
            community = communities.get(code)
            if community is None:
                fail(CODE, _("This code is not on the roster."))
            elif not scope.can_edit_district(community.district_id):
                # Say no more than that: neither its name nor its district.
                fail(CODE, _("This community is outside your district."))
                community = None
        if community is not None:
            row.community = community.name
            name = _text(cells.get(NAME))
            if name and name != community.name:
                fail(NAME, _("Does not match the roster, which has “%(value)s”.") % {"value": community.name})
        try:
            row.year = _year(cells.get(YEAR))
        except ValueError as exc:
            fail(YEAR, str(exc))
        source = None
        source_name = _text(cells.get(SOURCE))
        if not source_name:
            fail(SOURCE, _("This cell is required."))
        else:
            source = sources.get(source_name)
            if source is None:
                fail(
                    SOURCE,
                    _("There is no funding source called “%(name)s”. The sources are: %(sources)s.")
                    % {"name": source_name[:40], "sources": active},
                )
            elif not source.is_active:
                fail(SOURCE, _("The funding source “%(source)s” is no longer in use.") % {"source": source.name})
            else:
                row.source = source.name
        amounts = {}
        for column in (COMMITTED, SPENT):
            try:
                amounts[column] = _amount(cells.get(column), amount_labels[column])
            except ValueError as exc:
                fail(column, str(exc))
        row.committed, row.spent = amounts.get(COMMITTED), amounts.get(SPENT)
        if len(amounts) == 2 and not (row.committed or row.spent):
            fail(
                COMMITTED,
                _("Enter the amount committed, the amount spent or both; a line of zeros records nothing."),
            )
        note = unneutralise_formula(_text(cells.get(NOTE)))
        if len(note) > NOTE_MAX:
            fail(
                NOTE,
                _("At most %(max)s characters (this cell has %(length)s).") % {"max": NOTE_MAX, "length": len(note)},
            )
        row.note = note

        if community is not None and row.year is not None and source is not None and row.source:
            key = (community.pk, row.year, source.pk)
            if key in first_row_of:
                fail(
                    CODE,
                    _("This community, year and source already appear in row %(row)s.") % {"row": first_row_of[key]},
                )
            else:
                first_row_of[key] = number
            if not row.errors:
                committed, spent = row.committed or Decimal("0.00"), row.spent or Decimal("0.00")
                row.committed, row.spent = committed, spent  # an empty cell is written, and shown, as nought
                entry = stored.get(key)
                if entry is None:
                    row.action = "new"
                    new.append(
                        FundEntry(
                            community=community,
                            district_id=community.district_id,
                            year=row.year,
                            source=source,
                            committed=committed,
                            spent=spent,
                            note=note,
                            recorded_by=actor(user),
                        )
                    )
                else:
                    before = snapshot(entry, FIELDS)
                    row.old_committed, row.old_spent = entry.committed, entry.spent
                    entry.committed, entry.spent, entry.note = committed, spent, note
                    changes = diff(before, snapshot(entry, FIELDS))
                    row.action = "update" if changes else "same"
                    if changes:
                        changed.append((entry, changes))
        errors.extend(row.errors)
        result.append(row)

    preview = FundsPreview(
        rows=tuple(result),
        errors=tuple(errors),
        ignored_columns=tuple(h for h in table.headers if h and h not in HEADERS),
    )
    return _Evaluation(preview=preview, new=new, changed=changed)


def _stored(table: Table, communities: dict[str, Community], *, lock: bool) -> dict[tuple[int, int, int], FundEntry]:
    rows = FundEntry.objects.filter(community__in=list(communities.values())).select_related("community", "source")
    if lock:
        rows = rows.select_for_update(of=("self",))
    return {(e.community_id, e.year, e.source_id): e for e in rows}


# --- the stored upload ------------------------------------------------------------------------------------


def _stored_name(token: uuid.UUID, fmt: str) -> str:
    return f"{STORAGE_DIR}/funds-{uuid.UUID(str(token))}.{fmt}"


def funds_import_store(*, upload: ValidatedUpload) -> uuid.UUID:
    token = uuid.uuid4()
    default_storage.save(_stored_name(token, upload.fmt), ContentFile(upload.content))
    return token


def _load(token: uuid.UUID) -> tuple[str, Table]:
    for fmt in FORMATS:
        name = _stored_name(token, fmt)
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as handle:
                content = handle.read()
            return name, _read_table(fmt, content)
    raise ImportNotFound


def funds_import_discard(*, token: uuid.UUID) -> None:
    for fmt in FORMATS:
        name = _stored_name(token, fmt)
        if default_storage.exists(name):
            default_storage.delete(name)


def _communities(table: Table) -> dict[str, Community]:
    return {c.code: c for c in Community.objects.filter(code__in=_codes(table))}


def funds_import_preview(*, user: Any, token: uuid.UUID) -> FundsPreview:
    """A dry run of the stored upload against the lines as they are now. Writes nothing."""
    require_importer(user)
    _name, table = _load(token)
    communities = _communities(table)
    return _evaluate(
        user=user, table=table, communities=communities, stored=_stored(table, communities, lock=False)
    ).preview


def funds_import_confirm(*, user: Any, token: uuid.UUID, note: str = "") -> FundsPreview:
    """Write the stored upload in one transaction (every row or none) and delete it. Raises ImportRejected (writing
    nothing, keeping the file) when any row has an error now."""
    require_importer(user)
    name, table = _load(token)
    try:
        with transaction.atomic():
            communities = _communities(table)
            evaluation = _evaluate(
                user=user, table=table, communities=communities, stored=_stored(table, communities, lock=True)
            )
            if evaluation.preview.has_errors:
                raise ImportRejected(evaluation.preview)
            now = timezone.now()
            created_entries = FundEntry.objects.bulk_create(evaluation.new, batch_size=500)
            recorder = actor(user)
            for entry, _changes in evaluation.changed:
                entry.updated_at, entry.recorded_by = now, recorder
            FundEntry.objects.bulk_update(
                [entry for entry, _changes in evaluation.changed],
                ["committed", "spent", "note", "updated_at", "recorded_by"],
                batch_size=500,
            )
            audit = [
                audit_entry(
                    actor=user,
                    action=AuditEntry.Action.IMPORT,
                    obj=entry,
                    district_id=entry.district_id,
                    changes=created(snapshot(entry, FIELDS)),
                    source="import",
                    note=note,
                )
                for entry in created_entries
            ] + [
                audit_entry(
                    actor=user,
                    action=AuditEntry.Action.IMPORT,
                    obj=entry,
                    district_id=entry.district_id,
                    changes=changes,
                    source="import",
                    note=note,
                )
                for entry, changes in evaluation.changed
            ]
            AuditEntry.objects.bulk_create(audit, batch_size=500)
    except IntegrityError as exc:
        # Another upload or form added one of these lines between the check and the write.
        raise ImportFileError(
            _(
                "Some of these lines were recorded by someone else just now; nothing was imported. Upload the file again."
            )
        ) from exc
    default_storage.delete(name)
    return evaluation.preview


# --- files for download -----------------------------------------------------------------------------------


def funds_import_template() -> bytes:
    """An empty workbook with the import's headers, and the sources on a second sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "资金"
    sheet.append(list(HEADERS))
    for index in range(1, len(HEADERS) + 1):
        sheet.column_dimensions[chr(64 + index)].width = 16
    sources = book.create_sheet("资金来源")
    sources.append(["资金来源"])
    for source in FundingSource.objects.filter(is_active=True):
        sources.append([neutralise_formula(source.name)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
