"""Every check a release passes before anything is written. All problems are collected (up to a limit), each with
its line and column, and any one of them refuses the whole file."""

from __future__ import annotations

import datetime
import itertools
import operator
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from django.db import connection
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from greencommunity.fields import max_length

from ..models import Community, District, RosterRelease, Street
from .diff import codes_in
from .reading import ReleaseError, ReleaseRow, at

# ruff: noqa: S608 — table names come from the models; values go as parameters.

LEVELS = {"district": 6, "street": 9, "community": 12}
PARENT_LEVEL = {"street": "district", "community": "street"}
DISTRICT_KINDS = {"区", "县", "市", "旗", "自治县", "自治旗", "林区", "特区"}
KINDS = {
    "district": DISTRICT_KINDS,
    "street": {choice.value for choice in Street.Kind},
    "community": {choice.value for choice in Community.Kind},
}
NAME_MAX = {
    "district": max_length(District, "name"),
    "street": max_length(Street, "name"),
    "community": max_length(Community, "name"),
}
SHORTEST_NAME_MAX = min(length for length in NAME_MAX.values() if length is not None)
KIND_PAIRS = {(level, kind) for level, kinds in KINDS.items() for kind in kinds}
MAX_PROBLEMS = 200


def level_label(level: str) -> str:
    return {"district": _("district"), "street": _("street-level unit"), "community": _("community")}.get(level, level)


def scope_parse(text: str | Iterable[str] | None) -> list[str]:
    """District codes from '120101,120102' (commas, spaces or 、 between them); empty: the file's own districts."""
    if text is None:
        return []
    if not isinstance(text, str):
        text = ",".join(text)
    codes = [code.strip() for code in text.replace("、", ",").replace("，", ",").replace(" ", ",").split(",")]
    codes = [code for code in codes if code]
    bad = [code for code in codes if not (code.isdigit() and len(code) == 6)]
    if bad:
        raise ReleaseError(
            [_("The scope must list district codes of 6 digits; not: %(codes)s.") % {"codes": "、".join(bad)}]
        )
    return sorted(set(codes))


def release_check(
    *, rows: list[ReleaseRow], scope: list[str], effective_on: datetime.date
) -> tuple[list[ReleaseRow], list[str]]:
    """The rows as they will be written (an empty district kind reads 区) and the scope (the file's districts when
    none was given); ReleaseError listing every problem."""
    problems: list[str] = []

    def problem(text: str) -> None:
        problems.append(text)
        if len(problems) >= MAX_PROBLEMS:
            raise ReleaseError(problems)

    checked: list[ReleaseRow] = []
    first_line: dict[str, int] = {}
    rules = {level: (length, NAME_MAX[level], KINDS[level]) for level, length in LEVELS.items()}
    parent_length = {level: LEVELS[parent] for level, parent in PARENT_LEVEL.items()}
    given_scope = set(scope) if scope else None
    unsettled: list[ReleaseRow] = []
    well_formed = _well_formed(rows)
    if well_formed:
        checked = rows
        first_line = dict(map(itemgetter(2, 0), rows))  # code → line
        unsettled = _unsettled(rows, codes=first_line, parent_length=parent_length, given_scope=given_scope)
    for row in () if well_formed else rows:
        line, level, code, name, parent_code, kind = row
        rule = rules.get(level)
        if rule is None:
            problem(
                at(line, "level") + _("unknown level “%(level)s” (district, street or community).") % {"level": level}
            )
            continue
        length, name_max, kinds = rule
        if len(code) != length or not (code.isascii() and code.isdigit()):
            problem(
                at(line, "code")
                + _("the code “%(code)s” must be %(length)s digits for a %(level)s.")
                % {"code": code, "length": length, "level": level_label(level)}
            )
            continue
        earlier = first_line.setdefault(code, line)
        if earlier != line:
            problem(
                at(line, "code") + _("the code %(code)s is already on line %(line)s.") % {"code": code, "line": earlier}
            )
            continue
        if not name:
            problem(at(line, "name") + _("the name is empty."))
        elif len(name) > name_max:
            problem(
                at(line, "name")
                + _("the name has %(length)s characters; at most %(max)s are allowed.")
                % {"length": len(name), "max": name_max}
            )
        if not kind and level == "district":
            kind = "区"
            row = row._replace(kind=kind)
        if kind not in kinds:
            problem(
                at(line, "kind")
                + _("unknown kind “%(kind)s” for a %(level)s (one of %(kinds)s).")
                % {"kind": row.kind, "level": level_label(level), "kinds": "、".join(sorted(kinds))}
            )
        checked.append(row)
        # The usual child is settled here, in the same pass: its parent, a unit of the level above (a code of that
        # level's length), came earlier in the file and is in the same district, which is in the scope. Every
        # other row is checked against the scope and its parent below, once the whole file has been read.
        if not (
            len(parent_code) == parent_length.get(level)
            and parent_code in first_line
            and parent_code[:6] == code[:6]
            and (given_scope is None or code[:6] in given_scope)
        ):
            unsettled.append(row)

    file_districts = sorted({row.code[:6] for row in checked})
    scope = scope or file_districts
    scope_set = set(scope)
    known_districts = _codes_on_roster(District, scope)
    for code in scope:
        if code not in known_districts and code not in first_line:
            problem(
                _("The scope names the district %(code)s, which is neither in the file nor on the roster.")
                % {"code": code}
            )
    # Only parents the file does not list are looked up on the roster: none, for a whole national file.
    parents = {row.parent_code for row in unsettled if row.level in PARENT_LEVEL and row.parent_code not in first_line}
    db_streets = _codes_on_roster(Street, [c for c in parents if len(c) == LEVELS["street"]])
    db_districts = _codes_on_roster(District, [c for c in parents if len(c) == LEVELS["district"]])
    for row in unsettled:
        if row.code[:6] not in scope_set:
            problem(
                at(row.line, "code")
                + _("%(code)s belongs to the district %(district)s, which is outside the release's scope.")
                % {"code": row.code, "district": row.code[:6]}
            )
            continue
        if row.level == "district":
            if row.parent_code and row.parent_code != row.code[:2]:
                problem(
                    at(row.line, "parent_code")
                    + _("the code %(code)s does not begin with its parent's code %(parent)s.")
                    % {"code": row.code, "parent": row.parent_code}
                )
            continue
        parent_level = PARENT_LEVEL[row.level]
        # A code in the file is of the level its length says (checked above).
        in_file = row.parent_code in first_line and len(row.parent_code) == LEVELS[parent_level]
        in_db = row.parent_code in (db_districts if parent_level == "district" else db_streets)
        if not in_file and not in_db:
            problem(
                at(row.line, "parent_code")
                + _("the parent %(parent)s is neither in the file nor on the roster.") % {"parent": row.parent_code}
            )
            continue
        if row.parent_code[:6] != row.code[:6]:
            problem(
                at(row.line, "parent_code")
                + _("the code %(code)s does not belong to the district of its parent %(parent)s.")
                % {"code": row.code, "parent": row.parent_code}
            )
            continue
        if not in_file and row.parent_code[:6] in scope_set:
            # The parent is on the roster but the release, authoritative for its district, would close it.
            problem(
                at(row.line, "parent_code")
                + _("the parent %(parent)s is missing from the file, which would close it.")
                % {"parent": row.parent_code}
            )
    later = (
        RosterRelease.objects.filter(status=RosterRelease.Status.APPLIED, effective_on__gt=effective_on)
        # A first load dates nothing (its units are there "since before records"), so it does not count.
        .exclude(counts__first_load=True)
        .order_by("-effective_on")
        .values_list("effective_on", "scope")
        .first()
    )
    if later and set(later[1]) & scope_set:
        problem(
            _("A release effective on %(date)s has already been applied to these districts; apply releases in order.")
            % {"date": date_format(later[0], "DATE_FORMAT")}
        )
    if problems:
        raise ReleaseError(problems)
    return checked, scope


def _unsettled(
    rows: list[ReleaseRow], *, codes: dict[str, int], parent_length: dict[str, int], given_scope: set[str] | None
) -> list[ReleaseRow]:
    """The rows other than the usual child, whose parent is a unit of the level above (a code of that level's
    length) listed in the file, in the same district, which is in the scope: column by column, in C."""
    district = itemgetter(slice(0, 6))
    child_codes = list(map(itemgetter(2), rows))
    parents = list(map(itemgetter(4), rows))
    conditions = [
        map(operator.eq, map(len, parents), map(parent_length.get, map(itemgetter(1), rows))),
        map(codes.__contains__, parents),
        map(operator.eq, map(district, parents), map(district, child_codes)),
    ]
    if given_scope is not None:
        conditions.append(map(given_scope.__contains__, map(district, child_codes)))
    settled = map(all, zip(*conditions, strict=True))
    return list(itertools.compress(rows, map(operator.not_, settled)))


def _well_formed(rows: list[ReleaseRow]) -> bool:
    """Whether every row passes the checks of a row on its own (level, code, name, kind, no code twice), asked of
    whole columns at once rather than row by row: a national file's 150,000 rows in a tenth of the time. When not,
    the rows are gone through one by one to word each problem."""
    if not rows:
        return True
    _lines, levels, codes, names, _parents, kinds = zip(*rows, strict=True)
    digits = "".join(codes)
    return (
        set(levels) <= LEVELS.keys()
        and len(set(codes)) == len(codes)
        and digits.isascii()
        and digits.isdigit()
        and all(map(operator.eq, map(len, codes), map(LEVELS.__getitem__, levels)))
        and min(map(len, names)) > 0
        and max(map(len, names)) <= SHORTEST_NAME_MAX
        and set(zip(levels, kinds, strict=True)) <= KIND_PAIRS
    )


def _codes_on_roster(model: Any, codes: list[str]) -> set[str]:
    """Which of `codes` the roster holds (open or closed), in one query however many there are."""
    if not codes:
        return set()
    condition, params = codes_in("code", codes)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT code FROM {connection.ops.quote_name(model._meta.db_table)} WHERE {condition}", params)
        return {code for (code,) in cursor.fetchall()}
