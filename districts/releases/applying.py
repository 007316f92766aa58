"""Writing a checked release: all or nothing, in the caller's transaction.

On PostgreSQL the rows the diff found new or different are staged with COPY into a temporary table (every row on a
first load, a few hundred for a release that changes 1% of a national roster) and the roster is brought in line with
a few set-based statements; every update is guarded by IS DISTINCT FROM, so applying the same release again
rewrites no row and leaves no dead tuple. On SQLite the same changes are written in batches.
"""

# ruff: noqa: S608 — every name in these statements comes from the models; values go as parameters.

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.db import connection
from django.utils import timezone

from greencommunity.db import planner_settings

from ..models import Community, District, DivisionChange, RosterChange, Street
from .diff import ReleaseDiff

BATCH = 500
Progress = Callable[[int], None]


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def release_write(
    *, diff: ReleaseDiff, release_id: int | None, by_id: int | None, note: str, progress: Progress
) -> None:
    if connection.vendor == "postgresql":
        _write_postgresql(diff=diff, release_id=release_id, by_id=by_id, note=note, progress=progress)
    else:
        _write_batches(diff=diff, release_id=release_id, by_id=by_id, note=note, progress=progress)


# --- PostgreSQL: COPY and set-based statements ------------------------------------------------------------------


def _write_postgresql(
    *, diff: ReleaseDiff, release_id: int | None, by_id: int | None, note: str, progress: Progress
) -> None:
    district, street, community = _table(District), _table(Street), _table(Community)
    change, roster_change = _table(DivisionChange), _table(RosterChange)
    params = {
        "eff": diff.effective_on,
        "release": release_id,
        "by": by_id,
        "note": note[:200],
        "now": timezone.now(),
        "established": None if diff.first_load else diff.effective_on,
        "added": [code for code, level in diff.added.items() if level == "community" and code not in diff.reopened],
        "closed_communities": diff.closed_communities,
        "closed_streets": [code for code, level in diff.closed.items() if level == "street"],
    }
    # Only the rows the diff (read in this transaction) found new or different are staged: all of them on a first
    # load, a few hundred for a release that changes 1% of a national roster, so its statements read no more.
    touched = set(diff.added) | {c.code for c in diff.changes}
    # A first load sorts 150,000 rows into code order (below); in memory, not in files, for these statements only.
    with planner_settings(work_mem="64MB"), connection.cursor() as cursor:
        # Dropped at the end of the statements: another release in the same transaction stages its own.
        cursor.execute(
            "CREATE TEMPORARY TABLE release_rows (level text, code text, name text, parent_code text, kind text)"
            " ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY release_rows (level, code, name, parent_code, kind) FROM STDIN") as copy:
            for row in diff.rows:
                if row.code in touched:
                    copy.write_row((row.level, row.code, row.name, row.parent_code, row.kind))
        # Enough statistics for the planner (how many rows of each level; codes are unique) from a sample of
        # 3,000 rows: the default sample of 30,000 and every column's histogram cost a first load a tenth of a second.
        cursor.execute(
            "ALTER TABLE release_rows ALTER level SET STATISTICS 10, ALTER code SET STATISTICS 10,"
            " ALTER parent_code SET STATISTICS 10, ALTER name SET STATISTICS 0, ALTER kind SET STATISTICS 0"
        )
        cursor.execute("ANALYZE release_rows")
        progress(30)
        statements = [
            # The history first, while the roster still holds the values before the release.
            f"""INSERT INTO {change} (level, code, field, old_value, new_value, effective_on, release_id)
                SELECT 'community', c.code, f.field, f.old, f.new, %(eff)s, %(release)s
                FROM release_rows r JOIN {community} c ON c.code = r.code JOIN {street} s ON s.id = c.street_id
                CROSS JOIN LATERAL (VALUES ('name', c.name, r.name), ('parent', s.code, r.parent_code),
                                           ('kind', c.kind, r.kind)) AS f (field, old, new)
                WHERE r.level = 'community' AND f.old IS DISTINCT FROM f.new
                  AND (c.closed_on IS NULL OR c.closed_on > %(eff)s)""",
            f"""INSERT INTO {change} (level, code, field, old_value, new_value, effective_on, release_id)
                SELECT 'street', s.code, f.field, f.old, f.new, %(eff)s, %(release)s
                FROM release_rows r JOIN {street} s ON s.code = r.code JOIN {district} d ON d.id = s.district_id
                CROSS JOIN LATERAL (VALUES ('name', s.name, r.name), ('parent', d.code, r.parent_code),
                                           ('kind', s.kind, r.kind)) AS f (field, old, new)
                WHERE r.level = 'street' AND f.old IS DISTINCT FROM f.new
                  AND (s.closed_on IS NULL OR s.closed_on > %(eff)s)""",
            f"""INSERT INTO {change} (level, code, field, old_value, new_value, effective_on, release_id)
                SELECT 'district', d.code, f.field, f.old, f.new, %(eff)s, %(release)s
                FROM release_rows r JOIN {district} d ON d.code = r.code
                CROSS JOIN LATERAL (VALUES ('name', d.name, r.name), ('kind', d.kind, r.kind)) AS f (field, old, new)
                WHERE r.level = 'district' AND f.old IS DISTINCT FROM f.new""",
            # Closing: the units of the scope's districts that the release no longer lists (found by the diff).
            f"""WITH closing AS (
                    UPDATE {community} c SET closed_on = %(eff)s, updated_at = %(now)s
                    WHERE c.code = ANY(%(closed_communities)s) AND (c.closed_on IS NULL OR c.closed_on > %(eff)s)
                    RETURNING c.id)
                INSERT INTO {roster_change} (kind, effective_on, community_id, note, recorded_by_id, recorded_at)
                SELECT 'closed', %(eff)s, id, %(note)s, %(by)s, %(now)s FROM closing""",
            f"""UPDATE {street} s SET closed_on = %(eff)s
                WHERE s.code = ANY(%(closed_streets)s) AND (s.closed_on IS NULL OR s.closed_on > %(eff)s)""",
            # The rows that differ (renamed, moved, re-kinded, reopened) are updated and the new ones inserted:
            # plain statements rather than an upsert, whose speculative insertion costs a first load a third more.
            # New units go in code order: the code indexes then grow at their right edge, and a community's
            # street ids (given in code order too) rise with it, which halves a first load's index and foreign-key
            # work.
            f"""INSERT INTO {district} (code, name, kind)
                SELECT r.code, r.name, r.kind FROM release_rows r LEFT JOIN {district} d ON d.code = r.code
                WHERE r.level = 'district' AND (d.id IS NULL OR (d.name, d.kind) IS DISTINCT FROM (r.name, r.kind))
                ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind""",
            f"""UPDATE {street} s SET name = r.name, district_id = d.id, kind = r.kind, closed_on = NULL
                FROM release_rows r JOIN {district} d ON d.code = r.parent_code
                WHERE r.level = 'street' AND s.code = r.code AND (s.closed_on <= %(eff)s
                      OR (s.name, s.district_id, s.kind) IS DISTINCT FROM (r.name, d.id, r.kind))""",
            f"""INSERT INTO {street} (code, name, district_id, kind, closed_on)
                SELECT r.code, r.name, d.id, r.kind, NULL
                FROM release_rows r JOIN {district} d ON d.code = r.parent_code
                WHERE r.level = 'street' AND NOT EXISTS (SELECT FROM {street} s WHERE s.code = r.code)
                ORDER BY r.code""",
            f"""UPDATE {community} c SET name = r.name, street_id = s.id, district_id = s.district_id, kind = r.kind,
                    closed_on = NULL, updated_at = %(now)s
                FROM release_rows r JOIN {street} s ON s.code = r.parent_code
                WHERE r.level = 'community' AND c.code = r.code AND (c.closed_on <= %(eff)s
                      OR (c.name, c.street_id, c.district_id, c.kind)
                         IS DISTINCT FROM (r.name, s.id, s.district_id, r.kind))""",
            f"""INSERT INTO {community} (code, name, street_id, district_id, kind, established_on, closed_on,
                                         build_era, renovation, address, updated_at)
                SELECT r.code, r.name, s.id, s.district_id, r.kind, %(established)s::date, NULL, '', '', '', %(now)s
                FROM release_rows r JOIN {street} s ON s.code = r.parent_code
                WHERE r.level = 'community' AND NOT EXISTS (SELECT FROM {community} c WHERE c.code = r.code)
                ORDER BY r.code""",
        ]
        if not diff.first_load and params["added"]:
            statements.append(
                f"""INSERT INTO {roster_change} (kind, effective_on, community_id, note, recorded_by_id, recorded_at)
                    SELECT 'added', %(eff)s, c.id, %(note)s, %(by)s, %(now)s FROM {community} c
                    WHERE c.code = ANY(%(added)s)"""
            )
        # A first load into an empty roster builds the streets' and communities' secondary indexes and checks their
        # foreign keys once, after the rows are in, rather than row by row.
        rebuilt = _set_aside(cursor, [street, community]) if diff.first_load else []
        for number, statement in enumerate(statements, start=1):
            cursor.execute(statement, params)
            progress(30 + 65 * number // len(statements))
        for statement in rebuilt:
            cursor.execute(statement)
        cursor.execute("DROP TABLE release_rows")


def _set_aside(cursor: Any, tables: list[str]) -> list[str]:
    """Drop the secondary indexes and the foreign keys of `tables` if every one of them is empty, and return the
    statements that put them back as they were (same names, same definitions: `pg_get_indexdef`,
    `pg_get_constraintdef`), to run once the rows are in.

    For an empty table this is the cheaper way to the same end state: each index is built from one sort of its
    rows instead of 150,000 insertions in turn, and each foreign key is validated by one join instead of a
    deferred check per row at commit (a quarter of a million on a national first load); the unique codes are
    built last, from one sort, before the foreign keys (the release's checks have already refused a code given
    twice). The primary keys stay. Inside the release's transaction, so a failure
    anywhere restores the indexes and keys with everything else; the tables are locked until it commits, which
    on an empty roster holds up no one. Nothing is set aside when any table has a row (the checks then hold the
    rows already there)."""
    for table in tables:
        cursor.execute(f"SELECT EXISTS (SELECT FROM {table})")
        if cursor.fetchone()[0]:
            return []
    names = [table.strip('"') for table in tables]
    cursor.execute(
        """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
           FROM pg_constraint c WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')
           ORDER BY c.contype DESC, c.conname""",
        [names],
    )
    keys = cursor.fetchall()
    cursor.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
             AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
           ORDER BY 1""",
        [names],
    )
    indexes = cursor.fetchall()
    quote = connection.ops.quote_name
    for table, name, _definition in keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
    for index, _definition in indexes:
        cursor.execute(f"DROP INDEX {index}")
    return [definition for _index, definition in indexes] + [
        f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}" for table, name, definition in keys
    ]


# --- SQLite (and any other database): batches -------------------------------------------------------------------


T = TypeVar("T")


def _chunks(items: list[T], size: int = BATCH) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_batches(
    *, diff: ReleaseDiff, release_id: int | None, by_id: int | None, note: str, progress: Progress
) -> None:
    now = timezone.now()
    eff = diff.effective_on
    DivisionChange.objects.bulk_create(
        [
            DivisionChange(
                level=c.level,
                code=c.code,
                field=c.field,
                old_value=c.old,
                new_value=c.new,
                effective_on=eff,
                release_id=release_id,
            )
            for c in diff.changes
        ],
        batch_size=BATCH,
    )
    progress(30)
    closing = diff.closed_communities
    for codes in _chunks(closing):
        ids = list(Community.objects.filter(code__in=codes).values_list("id", flat=True))
        Community.objects.filter(id__in=ids).update(closed_on=eff, updated_at=now)
        RosterChange.objects.bulk_create(
            [
                RosterChange(kind="closed", effective_on=eff, community_id=pk, note=note[:200], recorded_by_id=by_id)
                for pk in ids
            ]
        )
    for codes in _chunks([code for code, level in diff.closed.items() if level == "street"]):
        Street.objects.filter(code__in=codes).update(closed_on=eff)
    progress(45)
    touched = set(diff.added) | {c.code for c in diff.changes}
    rows = {
        level: [r for r in diff.rows if r.level == level and r.code in touched]
        for level in ("district", "street", "community")
    }

    existing = {}
    for codes in _chunks([r.code for r in rows["district"]]):
        existing.update({d.code: d for d in District.objects.filter(code__in=codes)})
    new_districts: list[District] = []
    changed_districts: list[District] = []
    for r in rows["district"]:
        unit = existing.get(r.code)
        if unit is None:
            new_districts.append(District(code=r.code, name=r.name, kind=r.kind))
        else:
            unit.name, unit.kind = r.name, r.kind
            changed_districts.append(unit)
    District.objects.bulk_create(new_districts, batch_size=BATCH)
    District.objects.bulk_update(changed_districts, ["name", "kind"], batch_size=BATCH)
    progress(55)

    district_ids = _ids(District, {r.parent_code for r in rows["street"]})
    existing = {}
    for codes in _chunks([r.code for r in rows["street"]]):
        existing.update({s.code: s for s in Street.objects.filter(code__in=codes)})
    new_streets: list[Street] = []
    changed_streets: list[Street] = []
    for r in rows["street"]:
        unit = existing.get(r.code)
        if unit is None:
            new_streets.append(Street(code=r.code, name=r.name, kind=r.kind, district_id=district_ids[r.parent_code]))
        else:
            unit.name, unit.kind, unit.district_id, unit.closed_on = r.name, r.kind, district_ids[r.parent_code], None
            changed_streets.append(unit)
    Street.objects.bulk_create(new_streets, batch_size=BATCH)
    Street.objects.bulk_update(changed_streets, ["name", "kind", "district", "closed_on"], batch_size=BATCH)
    progress(70)

    parents = {}
    for codes in _chunks(sorted({r.parent_code for r in rows["community"]})):
        parents.update(
            {
                code: (pk, d)
                for code, pk, d in Street.objects.filter(code__in=codes).values_list("code", "id", "district_id")
            }
        )
    existing = {}
    for codes in _chunks([r.code for r in rows["community"]]):
        existing.update({c.code: c for c in Community.objects.filter(code__in=codes)})
    new_communities: list[Community] = []
    changed_communities: list[Community] = []
    for r in rows["community"]:
        unit = existing.get(r.code)
        street_id, district_id = parents[r.parent_code]
        if unit is None:
            new_communities.append(
                Community(
                    code=r.code,
                    name=r.name,
                    kind=r.kind,
                    street_id=street_id,
                    district_id=district_id,
                    established_on=None if diff.first_load else eff,
                )
            )
        else:
            unit.name, unit.kind, unit.street_id, unit.district_id, unit.closed_on = (
                r.name,
                r.kind,
                street_id,
                district_id,
                None,
            )
            unit.updated_at = now
            changed_communities.append(unit)
    Community.objects.bulk_create(new_communities, batch_size=BATCH)
    Community.objects.bulk_update(
        changed_communities, ["name", "kind", "street", "district", "closed_on", "updated_at"], batch_size=BATCH
    )
    progress(90)
    if not diff.first_load:
        added = [code for code, level in diff.added.items() if level == "community" and code not in diff.reopened]
        for codes in _chunks(added):
            RosterChange.objects.bulk_create(
                [
                    RosterChange(kind="added", effective_on=eff, community_id=pk, note=note[:200], recorded_by_id=by_id)
                    for pk in Community.objects.filter(code__in=codes).values_list("id", flat=True)
                ]
            )
    progress(95)


def _ids(model: Any, codes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(codes)):
        found.update(dict(model.objects.filter(code__in=chunk).values_list("code", "id")))
    return found
