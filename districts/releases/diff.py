"""The release against the roster as of its effective date: what it adds, closes, renames, moves and re-kinds.

Read in a fixed number of queries (one per level) whatever the size of the file."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import BooleanField, ExpressionWrapper, Q

from ..models import Community, District, Street
from .reading import ReleaseRow

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


def release_diff(*, rows: list[ReleaseRow], scope: list[str], effective_on: datetime.date) -> ReleaseDiff:
    diff = ReleaseDiff(effective_on=effective_on, scope=scope, rows=rows)
    open_on = Q(closed_on__isnull=True) | Q(closed_on__gt=effective_on)
    current: dict[str, dict[str, tuple]] = {
        "district": {
            code: (name, code[:2], kind, True)
            for code, name, kind in District.objects.filter(code__in=scope).values_list("code", "name", "kind")
        },
        "street": {
            code: (name, parent, kind, is_open)
            for code, name, parent, kind, is_open in Street.objects.filter(district__code__in=scope)
            .annotate(is_open=ExpressionWrapper(open_on, output_field=BooleanField()))
            .values_list("code", "name", "district__code", "kind", "is_open")
        },
        "community": {
            code: (name, parent, kind, is_open)
            for code, name, parent, kind, is_open in Community.objects.filter(district__code__in=scope)
            .annotate(is_open=ExpressionWrapper(open_on, output_field=BooleanField()))
            .values_list("code", "name", "street__code", "kind", "is_open")
        },
    }
    diff.first_load = not current["street"] and not current["community"]
    listed = set()
    for row in rows:
        listed.add(row.code)
        before = current[row.level].get(row.code)
        if before is None or not before[3]:
            diff.added[row.code] = row.level
            if before is not None:
                diff.reopened.add(row.code)
            diff.note("added", DiffRow(row.level, row.code, row.name, after=row.parent_code))
            continue
        name, parent, kind, _open = before
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
            diff.counts["unchanged"] += 1
    for level in ("street", "community"):
        for code, (name, parent, _kind, is_open) in current[level].items():
            if is_open and code not in listed:
                diff.closed[code] = level
                diff.note("closed", DiffRow(level, code, name, before=parent))
    return diff
