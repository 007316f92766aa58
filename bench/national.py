"""`BENCH_SCALE=national make bench`: a national-size synthetic campaign, then the figures the targets name.

The data set (generated on PostgreSQL, reproducible: every choice is a hash of a code):
- divisions from `national_divisions.py` (3,000 districts, 41,352 street-level units, 105,540 communities),
  loaded through `load_divisions` — the national roster import, timed against PostgreSQL COPY of the same file;
- the campaign stretched to 36 months (2020-11 … 2023-10);
- enrolments: every street's first residents' committee as its pilot (Nov 2020 – Mar 2021), 80% of the rest in
  later batches up to mid-2023, 2% of them withdrawing;
- a self-assessment per taking-part community and month (stage moving from not started to creating to meeting);
- a round a year (2021, 2022, 2023) inspecting every community self-assessed as meeting in November and not yet
  passed: 16 answers each, 85% passing, 7 days' notice, a few objections (pending, dismissed, upheld);
- a monthly report per district and month, mostly on time, some late, a few missing.

Measured (server time in process, medians after warm-up):
- the full rollup (every month-end, every level) four ways: into an empty table, again with nothing changed, the
  nightly case with the last month's self-assessments and a late report changed, and `rollup --full`, which
  computes every date again whatever its key (each of the last three after a VACUUM ANALYZE, as autovacuum leaves
  the tables between nights); next to the SQL bound — one hand-written aggregate over the same tables computing
  the same counts for every date and unit, no writing;
- the dashboards' server time and query count (commission, a district, a department);
- every list page the commission opens: server time and HTML size (`list_pages_bench.py`).
"""

from __future__ import annotations

import csv
import datetime
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from bench import national_divisions

ROOT = Path(__file__).resolve().parent.parent
MONTHS_END = datetime.date(2023, 10, 31)


def _timed(function: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


def _sql(statement: str, params: Any = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _scalar(statement: str, params: Any = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


# --- the divisions: import vs COPY ------------------------------------------------------------------------------


def divisions() -> list[dict]:

    folder = Path(tempfile.mkdtemp(prefix="bench-national-"))
    path = folder / "national.csv"
    national_divisions.main(str(path))
    with path.open(encoding="utf-8") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1
    from bench import release_bench

    # The roster release (issue 15) against its bound: first load, again, and 1% changed; leaves the roster loaded.
    releases = release_bench.run(path, rows)
    seconds = releases[0]["value"]
    with transaction.atomic():
        _sql("CREATE TEMPORARY TABLE division_copy (level text, code text, name text, parent_code text, kind text)")
        start = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy("COPY division_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        copy_seconds = time.perf_counter() - start
        _sql("DROP TABLE division_copy")
    return [
        {
            "name": f"national roster import ({rows:,} rows, the release service load_divisions runs)",
            "value": round(seconds, 2),
            "unit": "s",
            "baseline": round(copy_seconds, 2),
            "ratio": round(seconds / copy_seconds, 1),
            "target": "baseline: COPY of the same file into one table",
        },
        *releases,
    ]


# --- the activity ---------------------------------------------------------------------------------------------


ACTIVITY = [
    # The campaign runs 36 months.
    "UPDATE reporting_campaign SET ends_on = %(end)s",
    # Enrolments: each street's first residents' committee is its pilot; 80% of the others join later.
    """
    INSERT INTO reporting_enrolment (kind, joined_on, withdrawn_on, withdrawal_reason, created_at, campaign_id,
                                     community_id)
    SELECT CASE WHEN c.rank = 1 THEN 'pilot' ELSE 'batch' END,
           c.joined_on,
           CASE WHEN c.rank > 1 AND c.h %% 50 = 0 THEN c.joined_on + 120 + c.h %% 200 END,
           CASE WHEN c.rank > 1 AND c.h %% 50 = 0 THEN '合并撤销' ELSE '' END,
           now(), %(campaign)s, c.id
    FROM (SELECT c.id, c.rank, c.h,
                 CASE WHEN c.rank = 1 THEN date '2020-11-10' + c.h %% 140 ELSE date '2020-12-01' + c.h %% 920 END
                   AS joined_on
          FROM (SELECT id, row_number() OVER (PARTITION BY street_id ORDER BY code) AS rank,
                       (hashtext(code) & 2147483647) AS h
                FROM districts_community WHERE kind = '居委会') c) c
    WHERE c.rank = 1 OR c.h %% 100 < 80
    """,
    # A self-assessment a month while taking part: meeting 6–17 months after joining, creating from the second.
    """
    INSERT INTO standards_selfassessment (period, stage, items, notes, version, updated_at, community_id,
                                          district_id, standard_id)
    SELECT m.period::date,
           CASE WHEN m.period >= date_trunc('month', e.joined_on) + make_interval(months => 6 + e.h %% 12)
                THEN 'meets'
                WHEN m.period > date_trunc('month', e.joined_on) THEN 'creating'
                ELSE 'not_started' END,
           '{}'::jsonb, '{}'::jsonb, 1, now(), e.community_id, e.district_id,
           (SELECT min(id) FROM standards_standardversion)
    FROM (SELECT e.community_id, e.joined_on, e.withdrawn_on, c.district_id, (hashtext(c.code || 'sa') & 2147483647) AS h
          FROM reporting_enrolment e JOIN districts_community c ON c.id = e.community_id) e
    JOIN generate_series(date '2020-11-01', %(end)s::date, interval '1 month') AS m(period)
      ON m.period >= date_trunc('month', e.joined_on) AND (e.withdrawn_on IS NULL OR m.period < e.withdrawn_on)
    """,
    # A monthly report per district and month, due the 5th of the next month: most on time, some late, a few
    # missing.
    """
    INSERT INTO reporting_report (kind, period, due_on, status, version, progress, practices, problems, next_plan,
                                  overall_target, measures, figures, created_at, updated_at, first_submitted_at,
                                  submitted_at, accepted_at, campaign_id, district_id)
    SELECT 'monthly', r.period, r.due_on, 'accepted', 3, '本月进展', '', '', '', '', '', '{}'::jsonb,
           r.submitted - interval '3 days', r.submitted + interval '2 days', r.submitted, r.submitted,
           r.submitted + interval '2 days', %(campaign)s, r.district_id
    FROM (SELECT d.id AS district_id, m.period::date AS period, (m.period + interval '1 month 4 days')::date AS due_on,
                 (m.period + interval '1 month 4 days')::timestamp AT TIME ZONE 'Asia/Shanghai'
                   + make_interval(hours => 10, days => CASE WHEN (hashtext(d.code || m.period::text) & 2147483647) %% 10 = 0
                                                           THEN 3 ELSE -((hashtext(d.code) & 2147483647) %% 4) END) AS submitted,
                 (hashtext(d.code || m.period::text || 'r') & 2147483647) AS h
          FROM districts_district d
          CROSS JOIN generate_series(date '2020-11-01', %(last_report)s::date, interval '1 month') AS m(period)) r
    WHERE r.h %% 40 <> 0
    """,
]

ROUND = [
    """
    INSERT INTO standards_acceptanceround (name, year, opens_on, closes_on, notice_days, rectification_days,
                                           created_at, standard_id)
    VALUES (%(year)s || '年度验收', %(year)s, make_date(%(year)s, 12, 1), make_date(%(year)s, 12, 25), 7, 30, now(),
            (SELECT min(id) FROM standards_standardversion))
    """,
    """
    INSERT INTO standards_inspectionteam (name, round_id)
    SELECT '第一组', id FROM standards_acceptanceround WHERE year = %(year)s
    """,
    # Every community self-assessed as meeting in November and not yet passed is inspected.
    """
    INSERT INTO standards_assignment (kind, assigned_at, community_id, district_id, round_id, team_id)
    SELECT CASE WHEN EXISTS (SELECT 1 FROM standards_inspection i WHERE i.community_id = s.community_id)
                THEN 'reinspection' ELSE 'first' END,
           now(), s.community_id, s.district_id, r.id, t.id
    FROM standards_selfassessment s
    JOIN standards_acceptanceround r ON r.year = %(year)s
    JOIN standards_inspectionteam t ON t.round_id = r.id
    WHERE s.period = make_date(%(year)s, 11, 1) AND s.stage = 'meets'
      AND NOT EXISTS (SELECT 1 FROM standards_inspection i WHERE i.community_id = s.community_id AND i.passed)
    """,
    """
    INSERT INTO standards_inspection (status, started_at, signed_at, signed_on, passed, notice_ends_on, summary,
                                      assignment_id, community_id, district_id, round_id)
    SELECT 'signed', i.signed_at - interval '2 hours', i.signed_at, (i.signed_at AT TIME ZONE 'Asia/Shanghai')::date,
           i.passed, (i.signed_at AT TIME ZONE 'Asia/Shanghai')::date + 7, '', i.assignment_id, i.community_id,
           i.district_id, i.round_id
    FROM (SELECT a.id AS assignment_id, a.community_id, a.district_id, a.round_id,
                 make_timestamptz(%(year)s, 12, 1 + (hashtext(c.code || %(year)s::text) & 2147483647) %% 20, 9
                                  + (hashtext(c.code) & 2147483647) %% 8, 0, 0, 'Asia/Shanghai') AS signed_at,
                 (hashtext(c.code || %(year)s::text || 'p') & 2147483647) %% 100 < 85 AS passed
          FROM standards_assignment a JOIN districts_community c ON c.id = a.community_id
          JOIN standards_acceptanceround r ON r.id = a.round_id AND r.year = %(year)s) i
    """,
    # 16 answers each: a failed inspection fails one item; item 16 is sometimes not applicable.
    """
    INSERT INTO standards_inspectionanswer (result, note, answered_at, inspection_id, item_id)
    SELECT CASE WHEN NOT i.passed AND s.number = 1 + (hashtext(i.id::text) & 2147483647) %% 15 THEN 'fails'
                WHEN s.allows_not_applicable AND (hashtext(i.id::text || s.number::text) & 2147483647) %% 5 = 0
                  THEN 'not_applicable'
                ELSE 'meets' END,
           CASE WHEN NOT i.passed AND s.number = 1 + (hashtext(i.id::text) & 2147483647) %% 15 THEN '未达标' ELSE '' END,
           i.signed_at, i.id, s.id
    FROM standards_inspection i JOIN standards_acceptanceround r ON r.id = i.round_id AND r.year = %(year)s
    CROSS JOIN standards_standarditem s
    """,
    # A few objections to passed inspections: pending, dismissed a week later, upheld.
    """
    INSERT INTO standards_objection (received_on, raised_by, text, decision, decision_note, decided_at,
                                     inspection_id)
    SELECT i.signed_on + 3, '居民', '对验收结果有异议',
           (ARRAY['pending', 'dismissed', 'dismissed', 'upheld'])[1 + i.id %% 4], '',
           CASE WHEN i.id %% 4 <> 0 THEN i.signed_at + interval '10 days' END, i.id
    FROM standards_inspection i JOIN standards_acceptanceround r ON r.id = i.round_id AND r.year = %(year)s
    WHERE i.passed AND i.id %% 97 = 0
    """,
]


def activity() -> dict[str, int]:
    from reporting.models import Campaign

    campaign = Campaign.objects.current()
    assert campaign is not None, "the benchmarks run on the demo data"
    params = {"campaign": campaign.pk, "end": MONTHS_END, "last_report": datetime.date(2023, 9, 1)}
    with transaction.atomic():
        # Generated rows include signed inspections with their answers, which the immutability triggers refuse
        # to add afterwards; triggers are off for this transaction only.
        _sql("SET LOCAL session_replication_role = replica")
        for statement in ACTIVITY:
            _sql(statement, params)
        for year in (2021, 2022, 2023):
            for statement in ROUND:
                _sql(statement, {**params, "year": year})
    _sql("ANALYZE")
    return {
        table: _scalar(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 — names from this list
        for table in (
            "districts_district",
            "districts_street",
            "districts_community",
            "reporting_enrolment",
            "standards_selfassessment",
            "standards_inspection",
            "standards_inspectionanswer",
            "standards_objection",
            "reporting_report",
        )
    }


# --- the rollup and its SQL bound -----------------------------------------------------------------------------

BOUND = """
WITH day AS (
    SELECT d::date AS day, date_trunc('month', d)::date AS period
    FROM generate_series(date '2020-11-30', %(end)s::date, interval '1 month') g,
         LATERAL (SELECT (date_trunc('month', g) + interval '1 month - 1 day')::date AS d) e
), roster AS (
    SELECT d.day, c.street_id, COUNT(*) AS roster
    FROM day d JOIN districts_community c
      ON c.kind = '居委会' AND (c.established_on IS NULL OR c.established_on <= d.day)
         AND (c.closed_on IS NULL OR c.closed_on > d.day)
    GROUP BY d.day, c.street_id
), enrolled AS (
    SELECT d.day, c.street_id, COUNT(DISTINCT e.community_id) AS participating,
           COUNT(DISTINCT e.community_id) FILTER (WHERE e.kind = 'pilot') AS pilots
    FROM day d JOIN reporting_enrolment e ON e.joined_on <= d.day AND (e.withdrawn_on IS NULL OR e.withdrawn_on > d.day)
    JOIN districts_community c ON c.id = e.community_id AND c.kind = '居委会'
    GROUP BY d.day, c.street_id
), assessed AS (
    SELECT d.day, c.street_id, COUNT(*) AS self_assessed
    FROM day d JOIN standards_selfassessment s ON s.period = d.period AND s.stage = 'meets'
    JOIN districts_community c ON c.id = s.community_id AND c.kind = '居委会'
    GROUP BY d.day, c.street_id
), latest AS (
    SELECT i.id, i.community_id, i.passed, i.notice_ends_on, i.signed_on AS from_day,
           LEAD(i.signed_on) OVER (PARTITION BY i.community_id ORDER BY i.signed_at, i.id) AS until_day
    FROM standards_inspection i WHERE i.status = 'signed'
), answers AS (
    SELECT a.inspection_id, COUNT(*) AS answers, {answer_items}
    FROM standards_inspectionanswer a GROUP BY a.inspection_id
), met AS (
    SELECT d.day, c.street_id,
           COUNT(*) FILTER (WHERE l.passed AND l.notice_ends_on <= d.day AND NOT EXISTS (
               SELECT 1 FROM standards_objection o WHERE o.inspection_id = l.id AND o.received_on <= d.day
               AND (o.decision <> 'dismissed' OR (o.decided_at AT TIME ZONE 'Asia/Shanghai')::date > d.day)))
             AS met,
           SUM(n.answers) AS answers, {met_items}
    FROM day d JOIN latest l ON l.from_day <= d.day AND (l.until_day IS NULL OR l.until_day > d.day)
    JOIN districts_community c ON c.id = l.community_id AND c.kind = '居委会'
    LEFT JOIN answers n ON n.inspection_id = l.id
    GROUP BY d.day, c.street_id
), reports AS (
    SELECT d.day, r.district_id, COUNT(*) AS submitted,
           COUNT(*) FILTER (WHERE (r.first_submitted_at AT TIME ZONE 'Asia/Shanghai')::date <= r.due_on) AS timely
    FROM day d JOIN reporting_report r ON r.kind = 'monthly' AND r.due_on <= d.day
      AND (r.first_submitted_at AT TIME ZONE 'Asia/Shanghai')::date <= d.day
    GROUP BY d.day, r.district_id
)
SELECT COUNT(*), SUM(roster), SUM(participating), SUM(self_assessed), SUM(met), SUM(submitted) FROM (
    SELECT d.day, t.id AS district_id, s.id AS street_id,
           SUM(r.roster) AS roster, SUM(e.participating) AS participating, SUM(e.pilots) AS pilots,
           SUM(a.self_assessed) AS self_assessed, SUM(m.met) AS met, SUM(m.answers) AS answers,
           MAX(p.submitted) AS submitted, MAX(p.timely) AS timely, {unit_items}
    FROM day d CROSS JOIN districts_street s JOIN districts_district t ON t.id = s.district_id
    LEFT JOIN roster r ON r.day = d.day AND r.street_id = s.id
    LEFT JOIN enrolled e ON e.day = d.day AND e.street_id = s.id
    LEFT JOIN assessed a ON a.day = d.day AND a.street_id = s.id
    LEFT JOIN met m ON m.day = d.day AND m.street_id = s.id
    LEFT JOIN reports p ON p.day = d.day AND p.district_id = t.id
    GROUP BY ROLLUP (d.day, t.id, s.id)
) units
"""


def _bound_sql() -> str:
    """BOUND with the per-item counts the rollup keeps (meets and applicable answers of each of the 16 items)."""
    numbers = range(1, 17)
    answer_items = ", ".join(
        f"COUNT(*) FILTER (WHERE i.number = {n} AND a.result = 'meets') AS m{n}, "
        f"COUNT(*) FILTER (WHERE i.number = {n} AND a.result <> 'not_applicable') AS a{n}"
        for n in numbers
    )
    answers = BOUND.replace(
        "FROM standards_inspectionanswer a GROUP BY",
        "FROM standards_inspectionanswer a JOIN standards_standarditem i ON i.id = a.item_id GROUP BY",
    )
    return answers.format(
        answer_items=answer_items,
        met_items=", ".join(f"SUM(n.m{n}) AS m{n}, SUM(n.a{n}) AS a{n}" for n in numbers),
        unit_items=", ".join(f"SUM(m.m{n}) AS m{n}, SUM(m.a{n}) AS a{n}" for n in numbers),
    )


def sql_bound() -> float:
    with transaction.atomic():
        _sql("SET LOCAL jit = off")
        _sql("SET LOCAL work_mem = '256MB'")
        seconds, _ = _timed(_scalar, _bound_sql(), {"end": MONTHS_END})
    return seconds


def _rollup(today: datetime.date, *, force: bool = False) -> tuple[float, int]:
    from reporting.figures.rollups import rollup_all
    from reporting.models import Campaign

    return _timed(rollup_all, campaign=Campaign.objects.current(), today=today, force=force)


def _nightly_change() -> None:
    """What a night's rollup finds: the last month's self-assessments moved on and a late report came in."""
    _sql(
        "UPDATE standards_selfassessment SET stage = 'meets' WHERE period = date '2023-10-01' AND stage = 'creating' "
        "AND id % 3 = 0"
    )
    _sql(
        "UPDATE reporting_report SET first_submitted_at = first_submitted_at - interval '1 day' "
        "WHERE period = date '2023-09-01' AND id % 5 = 0"
    )


def _autovacuum() -> None:
    """What autovacuum does in the day between two nightly runs: the dead rows of the last run's writes are
    cleared and the planner's statistics follow the tables (a rollup into an empty table leaves them saying it is
    empty). Outside any transaction, as VACUUM must be."""
    _sql("VACUUM ANALYZE reporting_progresssnapshot, standards_selfassessment, reporting_report")


def rollups(runs: int) -> list[dict]:
    today = datetime.date(2023, 10, 31)
    bounds = [sql_bound() for _ in range(runs)]
    print("SQL bound:", ", ".join(f"{s:.1f} s" for s in bounds), flush=True)
    cold, rows = _rollup(today)
    print(f"rollup into an empty table: {cold:.1f} s", flush=True)
    unchanged = []
    for _ in range(runs):
        _autovacuum()
        unchanged.append(_rollup(today)[0])
    print("rollup, nothing changed:", ", ".join(f"{s:.1f} s" for s in unchanged), flush=True)
    nightly = []
    for _ in range(runs):
        _nightly_change()
        _autovacuum()
        nightly.append(_rollup(today)[0])
    print("rollup, nightly:", ", ".join(f"{s:.1f} s" for s in nightly), flush=True)
    full = []
    for _ in range(runs):
        _autovacuum()
        full.append(_rollup(today, force=True)[0])
    print("rollup --full:", ", ".join(f"{s:.1f} s" for s in full), flush=True)
    bound = statistics.median(bounds)

    def against_bound(name: str, seconds: float) -> dict:
        return {
            "name": name,
            "value": round(seconds, 2),
            "unit": "s",
            "baseline": round(bound, 2),
            "ratio": round(seconds / bound, 2),
            "target": "≤ 1.5× bound, ≤ 10 s",
        }

    results = [
        {"name": "SQL bound: one aggregate, every month-end × unit", "value": round(bound, 2), "unit": "s"},
        against_bound(f"full rollup into an empty table ({rows:,} rows)", cold),
        against_bound("full rollup, nothing changed", statistics.median(unchanged)),
        against_bound("full rollup, nightly (last month's changes)", statistics.median(nightly)),
        against_bound("full rollup, every date computed again (rollup --full)", statistics.median(full)),
    ]
    return results


def run() -> list[dict]:
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    results = divisions()
    if os.environ.get("BENCH_NATIONAL") == "divisions":
        return results  # only the roster import and releases
    counts = activity()
    results.append(
        {
            "name": "national data set: " + ", ".join(f"{k.split('_', 1)[1]} {v:,}" for k, v in counts.items()),
            "value": sum(counts.values()),
            "unit": "rows",
        }
    )
    results += rollups(runs)
    from bench import dashboard_bench, list_pages_bench

    district_code = _scalar("SELECT MIN(code) FROM districts_district")
    results += dashboard_bench.run(scale="national", district_code=district_code)
    results += list_pages_bench.run(scale="national", district_code=district_code, runs=runs)
    return results
