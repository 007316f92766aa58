"""The release against the roster as of its effective date: what it adds, closes, renames, moves and re-kinds.

Read in a fixed number of queries (two per level) whatever the size of the file, and compared in memory, where
most rows of a national release are settled by one set look-up."""

from __future__ import annotations

import datetime
import itertools
import json
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from django.db import connection

from ..models import Community, District, Street
from .reading import ReleaseRow

# ruff: noqa: S608 — table names come from the models; values go as parameters.

CLASSES = ("added", "closed", "renamed", "moved", "kind_changed", "unchanged")
SAMPLE = 10


@dataclass(frozen=True)
class DiffRow:
    level: str
    code: str
    name: str
    before: str = ""
    after: str = ""


@dataclass(frozen=True)
class FieldChange:
    level: str
    code: str
    field: str  # name, parent or kind (DivisionChange.Field)
    old: str
    new: str


@dataclass
class ReleaseDiff:
    effective_on: datetime.date
    scope: list[str]
    rows: list[ReleaseRow]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    samples: dict[str, list[DiffRow]] = field(default_factory=lambda: {name: [] for name in CLASSES})
    changes: list[FieldChange] = field(default_factory=list)
    # code → level, for units the release adds (new or reopened) and closes.
    added: dict[str, str] = field(default_factory=dict)
    reopened: set[str] = field(default_factory=set)
    closed: dict[str, str] = field(default_factory=dict)
    # Whether the scope held any unit before: a first load does not date its units' establishment.
    first_load: bool = False

    @property
    def is_empty(self) -> bool:
        return not any(self.counts[name] for name in CLASSES if name != "unchanged")

    @property
    def closed_communities(self) -> list[str]:
        return [code for code, level in self.closed.items() if level == "community"]

    def note(self, name: str, row: DiffRow) -> None:
        self.counts[name] += 1
        if len(self.samples[name]) < SAMPLE:
            self.samples[name].append(row)


def codes_in(column: str, codes: Iterable[str]) -> tuple[str, list[Any]]:
    """`column IN codes` as SQL and its one parameter: an array on PostgreSQL, a JSON list on SQLite. Not Django's
    `__in`, which would send a national release's 40,000 parent codes as as many placeholders."""
    codes = list(codes)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [codes]
    if connection.vendor == "sqlite":
        return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(codes)]
    return f"{column} IN ({', '.join(['%s'] * len(codes)) or 'NULL'})", codes


def _fetch(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def release_diff(*, rows: list[ReleaseRow], scope: list[str], effective_on: datetime.date) -> ReleaseDiff:
    diff = ReleaseDiff(effective_on=effective_on, scope=scope, rows=rows)
    district, street, community = (
        connection.ops.quote_name(model._meta.db_table) for model in (District, Street, Community)
    )
    in_scope, scope_params = codes_in("d.code", scope)
    is_open = "({0}.closed_on IS NULL OR {0}.closed_on > %s)"
    queries = {
        "district": f"SELECT d.code, d.name, substr(d.code, 1, 2), d.kind FROM {district} d WHERE {in_scope}",
        "street": f"""SELECT s.code, s.name, d.code, s.kind FROM {street} s JOIN {district} d ON d.id = s.district_id
                      WHERE {in_scope} AND {is_open.format("s")} = %s""",
        "community": f"""SELECT c.code, c.name, s.code, c.kind
                         FROM {community} c JOIN {street} s ON s.id = c.street_id JOIN {district} d ON d.id = c.district_id
                         WHERE {in_scope} AND {is_open.format("c")} = %s""",
    }

    def units(level: str, *, open_: bool) -> list[tuple]:
        """(code, name, parent, kind) of the scope's units open (or closed) as of the effective date: the same
        shape as the tail of a release row. Plain SQL rather than the ORM: 150,000 rows read as tuples."""
        if level == "district":  # a district is never closed
            return _fetch(queries[level], scope_params) if open_ else []
        return _fetch(queries[level], [*scope_params, effective_on, open_])

    current = {level: units(level, open_=True) for level in queries}
    shut = {level: {unit[0] for unit in units(level, open_=False)} for level in ("street", "community")}
    shut["district"] = set()
    diff.first_load = not current["street"] and not current["community"] and not any(shut.values())
    # The usual row of a national file, unchanged, is settled by one look-up of its tail in this set.
    as_listed = set(itertools.chain.from_iterable(current.values()))
    listed = set(map(itemgetter(2), rows))
    # Row by row in C: each row's tail (code, name, parent, kind) looked up in the set, the rows not found kept.
    found = map(as_listed.__contains__, map(itemgetter(2, 3, 4, 5), rows))
    differing = list(itertools.compress(rows, map(operator.not_, found)))
    unchanged, added = len(rows) - len(differing), 0
    # The units as they are now, by code, for the rows that differ only (a few hundred in a 1% release).
    wanted = {row.code for row in differing}
    by_code = {
        level: {unit[0]: unit[1:] for unit in units if unit[0] in wanted} if wanted else {}
        for level, units in current.items()
    }
    for row in differing:
        before = by_code[row.level].get(row.code)
        if before is None:
            diff.added[row.code] = row.level
            if row.code in shut[row.level]:
                diff.reopened.add(row.code)
            added += 1  # every row of a first load: counted in a local, the first few kept as samples
            if added <= SAMPLE:
                diff.samples["added"].append(DiffRow(row.level, row.code, row.name, after=row.parent_code))
            continue
        name, parent, kind = before
        changed = False
        if name != row.name:
            diff.changes.append(FieldChange(row.level, row.code, "name", name, row.name))
            diff.note("renamed", DiffRow(row.level, row.code, row.name, before=name, after=row.name))
            changed = True
        if row.level != "district" and parent != row.parent_code:
            diff.changes.append(FieldChange(row.level, row.code, "parent", parent, row.parent_code))
            diff.note("moved", DiffRow(row.level, row.code, row.name, before=parent, after=row.parent_code))
            changed = True
        if kind != row.kind:
            diff.changes.append(FieldChange(row.level, row.code, "kind", kind, row.kind))
            diff.note("kind_changed", DiffRow(row.level, row.code, row.name, before=kind, after=row.kind))
            changed = True
        if not changed:
            unchanged += 1
    diff.counts["unchanged"] += unchanged
    diff.counts["added"] += added
    for level in ("street", "community"):
        open_units = current[level]
        unlisted = map(operator.not_, map(listed.__contains__, map(itemgetter(0), open_units)))
        for code, name, parent, _kind in itertools.compress(open_units, unlisted):
            diff.closed[code] = level
            diff.note("closed", DiffRow(level, code, name, before=parent))
    return diff
