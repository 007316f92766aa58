"""Reading a release file into rows; every problem is a message naming the line (and column) it is on."""

from __future__ import annotations

import csv
import functools
import io
import itertools
import logging
import operator
import warnings
import zipfile
from typing import NamedTuple

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

COLUMNS = ("level", "code", "name", "parent_code", "kind")
NOT_TEXT_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF-")


class ReleaseError(Exception):
    """A release that cannot be applied; `problems` are messages for people, each naming its line and column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class ReleaseRow(NamedTuple):
    """A tuple rather than a dataclass: a national file has 150,000 of them."""

    line: int
    level: str
    code: str
    name: str
    parent_code: str
    kind: str


def at(line: int, column: str | None = None) -> str:
    """'Line 3, column code: ' in the reader's language."""
    if column is None:
        return _("Line %(line)s: ") % {"line": line}
    return _("Line %(line)s, column %(column)s: ") % {"line": line, "column": column}


def release_read(*, content: bytes, filename: str) -> list[ReleaseRow]:
    """The file's non-blank rows, cells stripped; ReleaseError when it cannot be read or its columns are wrong."""
    if len(content) > settings.ROSTER_RELEASE_MAX_BYTES:
        raise ReleaseError(
            [_("The file is larger than %(size)s MB.") % {"size": f"{settings.ROSTER_RELEASE_MAX_BYTES / 2**20:g}"}]
        )
    if not content:
        raise ReleaseError([_("The file is empty.")])
    name = filename.lower()
    if content.startswith(b"PK\x03\x04") or name.endswith(".xlsx"):
        records = _xlsx_records(content)
    else:
        if content.startswith(NOT_TEXT_SIGNATURES) or content.startswith(b"\xd0\xcf\x11\xe0"):
            raise ReleaseError([_("The file is neither a CSV text file nor an Excel workbook (.xlsx).")])
        records = _csv_records(content)
    return _rows(records)


def _decode(content: bytes) -> str:
    encodings = ("utf-8-sig",) if content.startswith(b"\xef\xbb\xbf") else ("utf-8", "gb18030")
    failure: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError as exc:
            failure = failure or exc
    assert failure is not None
    line = content[: failure.start].count(b"\n") + 1
    raise ReleaseError(
        [at(line) + _("the text is in an encoding that cannot be read. Save the file as CSV in UTF-8 or GBK.")]
    )


def _csv_records(content: bytes) -> list[tuple[int, list[str]]]:
    text = _decode(content)
    if "\x00" in text:
        raise ReleaseError([_("The file is neither a CSV text file nor an Excel workbook (.xlsx).")])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        # Without quotes no cell spans lines, so record n is on line n: counted in C rather than asked of the reader
        # 150,000 times.
        records = [(reader.line_num, record) for record in reader] if '"' in text else list(enumerate(reader, 1))
    except csv.Error as exc:
        raise ReleaseError(
            [at(reader.line_num + 1) + _("a cell is too long or its quotes do not match. Save the file again as CSV.")]
        ) from exc
    return records


def _xlsx_records(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ReleaseError([_("The file is named .xlsx but is not an Excel workbook.")]) from exc
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise ReleaseError([_("The file is named .xlsx but is not an Excel workbook.")])
    if sum(m.file_size for m in members) > settings.ROSTER_RELEASE_MAX_BYTES * 20:
        raise ReleaseError(
            [_("The workbook unpacks to more data than is allowed. Remove unused sheets or formatting, or use CSV.")]
        )
    import openpyxl

    book = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            sheet = book.worksheets[0]
            return [
                (number, ["" if value is None else str(value) for value in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged files; all mean "cannot read".
        logger.info("unreadable xlsx release: %r", exc)
        raise ReleaseError([_("The workbook could not be read. Open it in Excel and save it again.")]) from exc
    finally:
        if book is not None:
            book.close()


def _rows(records: list[tuple[int, list[str]]]) -> list[ReleaseRow]:
    header_line, header, first = _header(records)
    problems = []
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        problems.append(at(header_line) + _("missing columns: %(columns)s.") % {"columns": "、".join(missing)})
    extra = [cell or _("(untitled)") for cell in header if cell not in COLUMNS]
    if extra:
        problems.append(at(header_line) + _("columns that do not belong: %(columns)s.") % {"columns": "、".join(extra)})
    repeated = sorted({cell for cell in header if cell in COLUMNS and header.count(cell) > 1})
    if repeated:
        problems.append(at(header_line) + _("columns repeated: %(columns)s.") % {"columns": "、".join(repeated)})
    if problems:
        raise ReleaseError(problems)
    positions = [header.index(column) for column in COLUMNS]
    width = len(header)
    body = records[first:]
    if body and set(map(len, map(operator.itemgetter(1), body))) == {width}:
        rows = _rows_by_column(body, positions)
    else:
        rows = []
        for line, record in body:
            record = [cell.strip() for cell in record]
            if not any(record):
                continue
            if len(record) > width and any(record[width:]):
                problems.append(at(line) + _("the row has more cells than the header has columns."))
                continue
            record = record[:width] + [""] * (width - len(record))
            rows.append(ReleaseRow(line, *(record[index] for index in positions)))
    if problems:
        raise ReleaseError(problems)
    if not rows:
        raise ReleaseError([_("The file has no data rows below the header.")])
    return rows


def _rows_by_column(body: list[tuple[int, list[str]]], positions: list[int]) -> list[ReleaseRow]:
    """The rows of records that all have the header's width (the usual file), built column by column in C rather
    than record by record: a national file's 150,000 in a fraction of the time. Blank records are left out."""
    records = list(map(operator.itemgetter(1), body))
    columns = [list(map(str.strip, map(operator.itemgetter(position), records))) for position in positions]
    rows = map(
        functools.partial(tuple.__new__, ReleaseRow), zip(map(operator.itemgetter(0), body), *columns, strict=True)
    )
    return list(itertools.compress(rows, map(any, zip(*columns, strict=True))))


def _header(records: list[tuple[int, list[str]]]) -> tuple[int, list[str], int]:
    """The header's line, its cells (stripped, lower case, without empty cells at the end), and the index of the
    first record after it; ReleaseError when every record is blank."""
    for index, (line, record) in enumerate(records):
        header = [cell.strip() for cell in record]
        if any(header):
            while header and not header[-1]:
                header.pop()
            return line, [cell.lower() for cell in header], index + 1
    raise ReleaseError([_("The file has no header row and no data rows.")])
