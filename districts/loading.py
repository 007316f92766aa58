"""Loading the NBS division list (level, code, name, parent_code, kind) with set-based upserts.

Idempotent: a second load of the same file changes nothing; a later file renames and re-parents by code.
Survey attributes and roster dates are never touched by a load.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from .audit import audit_record
from .models import AuditEntry, Community, District, Street

LEVEL_CODE_LENGTH = {"district": 6, "street": 9, "community": 12}
STREET_KINDS = {choice.value for choice in Street.Kind}
COMMUNITY_KINDS = {choice.value for choice in Community.Kind}
BATCH = 5000


class DivisionFileError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class LoadResult:
    districts: int = 0
    streets: int = 0
    communities: int = 0
    problems: list[str] = field(default_factory=list)


def read_division_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"level", "code", "name", "parent_code", "kind"} - set(reader.fieldnames or [])
        if missing:
            raise DivisionFileError([f"missing columns: {', '.join(sorted(missing))}"])
        yield from reader


def divisions_load(rows: Iterable[dict[str, str]], *, by: object = None) -> LoadResult:
    by_level: dict[str, list[tuple[int, dict[str, str]]]] = {"district": [], "street": [], "community": []}
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        level = (row.get("level") or "").strip()
        code = (row.get("code") or "").strip()
        if level not in by_level:
            problems.append(f"line {line}: unknown level {level!r}")
            continue
        if not code.isdigit() or len(code) != LEVEL_CODE_LENGTH[level]:
            problems.append(f"line {line}: {level} code {code!r} must be {LEVEL_CODE_LENGTH[level]} digits")
            continue
        if not (row.get("name") or "").strip():
            problems.append(f"line {line}: empty name")
            continue
        by_level[level].append((line, row))

    result = LoadResult()
    with transaction.atomic():
        District.objects.bulk_create(
            [
                District(code=r["code"].strip(), name=r["name"].strip(), kind=r["kind"].strip() or "区")
                for _, r in by_level["district"]
            ],
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "kind"],
            batch_size=BATCH,
        )
        district_ids = dict(District.objects.values_list("code", "id"))

        streets = []
        for line, r in by_level["street"]:
            district_id = district_ids.get(r["parent_code"].strip())
            kind = r["kind"].strip()
            if district_id is None:
                problems.append(f"line {line}: street {r['code']} has unknown district {r['parent_code']!r}")
            elif kind not in STREET_KINDS:
                problems.append(f"line {line}: street {r['code']} has unknown kind {kind!r}")
            else:
                streets.append(
                    Street(code=r["code"].strip(), name=r["name"].strip(), district_id=district_id, kind=kind)
                )
        Street.objects.bulk_create(
            streets,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "district", "kind"],
            batch_size=BATCH,
        )
        street_parents = {
            code: (sid, did) for code, sid, did in Street.objects.values_list("code", "id", "district_id")
        }

        communities = []
        for line, r in by_level["community"]:
            parent = street_parents.get(r["parent_code"].strip())
            kind = r["kind"].strip()
            if parent is None:
                problems.append(f"line {line}: community {r['code']} has unknown street {r['parent_code']!r}")
            elif kind not in COMMUNITY_KINDS:
                problems.append(f"line {line}: community {r['code']} has unknown kind {kind!r}")
            else:
                communities.append(
                    Community(
                        code=r["code"].strip(),
                        name=r["name"].strip(),
                        street_id=parent[0],
                        district_id=parent[1],
                        kind=kind,
                    )
                )
        if problems:
            # A file with any bad row loads nothing: a half-loaded roster would skew every share.
            transaction.set_rollback(True)
            raise DivisionFileError(problems)
        Community.objects.bulk_create(
            communities,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "street", "district", "kind"],
            batch_size=BATCH,
        )
        result.districts = len(by_level["district"])
        result.streets = len(streets)
        result.communities = len(communities)
        audit_record(
            actor=by,
            action=AuditEntry.Action.IMPORT,
            source="command",
            note=_load_note(result),
        )
    return result


def _load_note(result: LoadResult) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "Division list loaded: %(districts)d districts, %(streets)d street-level units, %(communities)d communities"
        ) % {"districts": result.districts, "streets": result.streets, "communities": result.communities}
