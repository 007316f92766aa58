"""Reading a standard from a spreadsheet (Excel or CSV): one row per item, checked whole before anything is written.

Columns, by their headings: 类别序号, 类别名称, 条目序号, 标准内容, 责任部门 (department names, separated by 、 or a
comma), 可不适用 (是 / 否, empty meaning 否). Every problem is reported with its row and column, in the portal's
language; a file with any problem writes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from districts.imports import ImportFileError, read_records, upload_content
from districts.models import Department

from .versions import CATEGORY_NAME_MAX, NUMBER_MAX, TEXT_MAX, ImportRow

COLUMNS = ["类别序号", "类别名称", "条目序号", "标准内容", "责任部门", "可不适用"]
MAX_ITEMS = NUMBER_MAX
YES, NO = {"是", "yes", "y", "true", "1"}, {"否", "no", "n", "false", "0", ""}


def _letter(index: int) -> str:
    return chr(ord("A") + index)


def _cell(values: tuple[Any, ...], index: int) -> str:
    value = values[index] if index < len(values) else None
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def standard_rows_read(upload: Any) -> tuple[list[ImportRow], list[str]]:
    """The rows of the uploaded standard and the problems found (empty when it may be imported)."""
    try:
        _name, fmt, content = upload_content(upload)
        headers, records = read_records(fmt, content)
    except ImportFileError as exc:
        return [], [str(exc)]
    headings = [str(h or "").strip() for h in headers]
    missing = [name for name in COLUMNS if name not in headings]
    if missing:
        return [], [_("The first row must name the columns; missing: %(columns)s.") % {"columns": "、".join(missing)}]
    at = {name: headings.index(name) for name in COLUMNS}
    departments = set(Department.objects.values_list("name", flat=True))
    problems: list[str] = []
    rows: list[ImportRow] = []
    category_names: dict[int, str] = {}
    seen_items: dict[int, int] = {}

    def problem(line: int, column: str, message: str) -> None:
        problems.append(
            _("Row %(row)d, column %(column)s (%(name)s): %(message)s")
            % {"row": line, "column": _letter(at[column]), "name": column, "message": message}
        )

    def number(line: int, values: tuple[Any, ...], column: str) -> int:
        raw = _cell(values, at[column])
        if not (raw.isdecimal() and raw.isascii() and 1 <= int(raw) <= NUMBER_MAX):
            problem(line, column, _("give a whole number from 1 to %(max)d.") % {"max": NUMBER_MAX})
            return 0
        return int(raw)

    for line, values in records:
        if not any(_cell(values, i) for i in range(len(values))):
            continue
        if len(rows) + len(problems) >= MAX_ITEMS + 50:
            problems.append(_("The file has more than %(max)d items.") % {"max": MAX_ITEMS})
            break
        category = number(line, values, "类别序号")
        category_name = _cell(values, at["类别名称"])
        item = number(line, values, "条目序号")
        text = _cell(values, at["标准内容"])
        names = [n for n in re.split(r"[、,，;；\s]+", _cell(values, at["责任部门"])) if n]
        na = _cell(values, at["可不适用"]).lower()
        if not category_name or len(category_name) > CATEGORY_NAME_MAX:
            problem(
                line,
                "类别名称",
                _("write the category's name in at most %(max)d characters.") % {"max": CATEGORY_NAME_MAX},
            )
        elif category and category_names.setdefault(category, category_name) != category_name:
            problem(
                line,
                "类别名称",
                _("category %(number)d is named “%(name)s” in an earlier row.")
                % {"number": category, "name": category_names[category]},
            )
        if not text or len(text) > TEXT_MAX:
            problem(line, "标准内容", _("write the standard in at most %(max)d characters.") % {"max": TEXT_MAX})
        unknown = [n for n in names if n not in departments]
        if unknown:
            problem(line, "责任部门", _("no department is named %(names)s.") % {"names": "、".join(unknown)})
        if na not in YES | NO:
            problem(line, "可不适用", _("write 是 or 否."))
        if item and item in seen_items:
            problem(
                line,
                "条目序号",
                _("item %(number)d is already in row %(row)d.") % {"number": item, "row": seen_items[item]},
            )
        elif item:
            seen_items[item] = line
        rows.append(
            ImportRow(
                line=line,
                category_number=category,
                category_name=category_name,
                item_number=item,
                text=text,
                departments=names,
                allows_not_applicable=na in YES,
            )
        )
    if not rows and not problems:
        problems.append(_("The file has no items."))
    if not problems and sorted(seen_items) != list(range(1, len(seen_items) + 1)):
        problems.append(_("Number the items 1, 2, 3 … without gaps; a self-assessment lists them in that order."))
    return (rows if not problems else []), problems
