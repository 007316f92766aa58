"""The national roster release against its bound (issue 15): COPY of the file into a staging table plus one
set-based upsert, measured in the same run, next to the first load of the release, the same release again (which
must write no row) and a release with 1% of the communities renamed, moved or closed.

Called by `national.divisions()` on an empty roster; leaves the national roster loaded (with the 1% release
applied) for the rest of the national suite.
"""

from __future__ import annotations

import csv
import datetime
import io
import time
from pathlib import Path
from typing import Any

from django.db import connection, transaction

BOUND_TABLE = "bench_release_bound"


def _bound(path: Path) -> float:
    """COPY into a temporary staging table, then one upsert into a plain table keyed by code (empty the first time,
    holding the same rows the second), changing only rows that differ."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {BOUND_TABLE} "
            "(code text PRIMARY KEY, level text, name text, parent_code text, kind text)"
        )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bound_rows (level text, code text, name text, parent_code text, kind text) "
            "ON COMMIT DROP"
        )
        with (
            cursor.cursor.copy("COPY bound_rows FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        cursor.execute(
            f"INSERT INTO {BOUND_TABLE} (code, level, name, parent_code, kind) "  # noqa: S608
            "SELECT code, level, name, parent_code, kind FROM bound_rows "
            "ON CONFLICT (code) DO UPDATE SET level = EXCLUDED.level, name = EXCLUDED.name, "
            "parent_code = EXCLUDED.parent_code, kind = EXCLUDED.kind "
            f"WHERE ({BOUND_TABLE}.level, {BOUND_TABLE}.name, {BOUND_TABLE}.parent_code, {BOUND_TABLE}.kind) "
            "IS DISTINCT FROM (EXCLUDED.level, EXCLUDED.name, EXCLUDED.parent_code, EXCLUDED.kind)"
        )
    return time.perf_counter() - start


def _changed_release(path: Path, out: Path) -> dict[str, int]:
    """The same file with 1% of the communities changed: a third renamed, a third moved to the next street of their
    district, a third left out (closed). Deterministic."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    streets = {row[1] for row in rows if row[0] == "street"}
    counts = {"renamed": 0, "moved": 0, "closed": 0}
    written = []
    community = 0
    for row in rows:
        if row[0] == "community":
            community += 1
            if community % 100 == 0:
                which = (community // 100) % 3
                if which == 0:
                    row = [row[0], row[1], row[2].replace("社区", "新社区"), row[3], row[4]]
                    counts["renamed"] += 1
                elif which == 1:
                    nearby = f"{row[3][:6]}{int(row[3][6:]) % 999 + 1:03d}"
                    if nearby in streets:
                        row = [row[0], row[1], row[2], nearby, row[4]]
                        counts["moved"] += 1
                else:
                    counts["closed"] += 1
                    continue
        written.append(row)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(written)
    out.write_text(buffer.getvalue(), encoding="utf-8")
    return counts


def _versions() -> str:
    """A digest of every roster row's version (xmin): unchanged only if no row was written."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT md5(string_agg(v, ',')) FROM ("
            "SELECT 'c' || id || ':' || xmin::text AS v FROM districts_community UNION ALL "
            "SELECT 's' || id || ':' || xmin::text FROM districts_street UNION ALL "
            "SELECT 'd' || id || ':' || xmin::text FROM districts_district) AS rows"
        )
        return cursor.fetchone()[0]


ROLLUP_RECEIVER = "reporting.rollup.release_applied"


def run(path: Path, rows: int) -> list[dict[str, Any]]:
    from districts.models import Community, DivisionChange, RosterChange
    from districts.releases.services import release_load
    from districts.releases.signals import release_applied
    from reporting.roster.releases import on_release_applied, rollups_from

    content = path.read_bytes()
    today = datetime.date.today()
    # The rollup a release sets off runs in the worker after the release has committed (and here, without a broker,
    # in this process when the signal fires): it is timed on its own, not as part of the release.
    release_applied.disconnect(dispatch_uid=ROLLUP_RECEIVER)

    bound_first = _bound(path)
    start = time.perf_counter()
    first = release_load(content=content, filename=path.name, effective_on=today)
    first_seconds = time.perf_counter() - start

    bound_reload = _bound(path)
    history = (DivisionChange.objects.count(), RosterChange.objects.count())
    versions = _versions()
    start = time.perf_counter()
    again = release_load(content=content, filename=path.name, effective_on=today)
    again_seconds = time.perf_counter() - start
    unchanged = (
        again.is_empty
        and _versions() == versions
        and (DivisionChange.objects.count(), RosterChange.objects.count()) == history
    )

    changed_path = path.with_name("national-1pct.csv")
    changes = _changed_release(path, changed_path)
    start = time.perf_counter()
    changed = release_load(
        content=changed_path.read_bytes(), filename=changed_path.name, effective_on=today + datetime.timedelta(days=1)
    )
    changed_seconds = time.perf_counter() - start
    start = time.perf_counter()
    rollups_from(today + datetime.timedelta(days=1))
    rollup_seconds = time.perf_counter() - start
    release_applied.connect(on_release_applied, dispatch_uid=ROLLUP_RECEIVER)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BOUND_TABLE}")
    open_now = Community.objects.filter(closed_on__isnull=True).count()

    def row(name: str, seconds: float, bound: float, **extra: Any) -> dict[str, Any]:
        return {
            "name": name,
            "value": round(seconds, 2),
            "unit": "s",
            "baseline": round(bound, 2),
            "ratio": round(seconds / bound, 2),
            "target": "≤ 2× the bound (COPY into staging + one set-based upsert)",
            **extra,
        }

    return [
        row(
            f"national roster release, first load ({rows:,} rows)",
            first_seconds,
            bound_first,
            rows=first.counts["added"],
        ),
        row(
            "national roster release again (writes no row)",
            again_seconds,
            bound_reload,
            rows_rewritten=0 if unchanged else "some",
        ),
        row(
            "national roster release with 1% changed (" + ", ".join(f"{k} {v}" for k, v in changes.items()) + ")",
            changed_seconds,
            bound_reload,
            rows=sum(changed.counts[k] for k in ("renamed", "moved", "closed")),
        ),
        {
            "name": "the rollup the 1% release sets off (in the worker, after the release commits)",
            "value": round(rollup_seconds, 2),
            "unit": "s",
        },
        {"name": "communities open after the 1% release", "value": open_now, "unit": "rows"},
    ]
