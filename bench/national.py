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
from decimal import Decimal
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
    "UPDATE reporting_campaign SET ends_on = %(end)s WHERE id = %(campaign)s",
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
           %(standard)s
    FROM (SELECT e.community_id, e.joined_on, e.withdrawn_on, c.district_id, (hashtext(c.code || 'sa') & 2147483647) AS h
          FROM reporting_enrolment e JOIN districts_community c ON c.id = e.community_id
          WHERE e.campaign_id = %(campaign)s) e
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
          CROSS JOIN generate_series(%(first_month)s::date, %(last_report)s::date, interval '1 month') AS m(period)) r
    WHERE r.h %% 40 <> 0
    """,
]

ROUND = [
    """
    INSERT INTO standards_acceptanceround (name, kind, draw_seed, year, opens_on, closes_on, notice_days,
                                           rectification_days, created_at, standard_id)
    VALUES (%(year)s || '年度验收', 'acceptance', '', %(year)s, make_date(%(year)s, 12, 1), make_date(%(year)s, 12, 25),
            7, 30, now(), %(standard)s)
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
    # 16 answers each, against the round's standard: a failed inspection fails one item; item 16 is sometimes not
    # applicable.
    """
    INSERT INTO standards_inspectionanswer (result, note, answered_at, inspection_id, item_id)
    SELECT CASE WHEN NOT i.passed AND s.number = 1 + (hashtext(i.id::text) & 2147483647) %% 15 THEN 'fails'
                WHEN s.allows_not_applicable AND (hashtext(i.id::text || s.number::text) & 2147483647) %% 5 = 0
                  THEN 'not_applicable'
                ELSE 'meets' END,
           CASE WHEN NOT i.passed AND s.number = 1 + (hashtext(i.id::text) & 2147483647) %% 15 THEN '未达标' ELSE '' END,
           i.signed_at, i.id, s.id
    FROM standards_inspection i JOIN standards_acceptanceround r ON r.id = i.round_id AND r.year = %(year)s
    JOIN standards_standarditem s ON s.version_id = r.standard_id
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


def activity(campaign: Any) -> None:
    """The first campaign's 36 months of activity and its three rounds (against its standard)."""
    params = {
        "campaign": campaign.pk,
        "standard": campaign.standard_id,
        "first_month": campaign.starts_on.replace(day=1),
        "end": MONTHS_END,
        "last_report": datetime.date(2023, 9, 1),
    }
    with transaction.atomic():
        # Generated rows include signed inspections with their answers, which the immutability triggers refuse
        # to add afterwards; triggers are off for this transaction only.
        _sql("SET LOCAL session_replication_role = replica")
        for statement in ACTIVITY:
            _sql(statement, params)
        for year in (2021, 2022, 2023):
            for statement in ROUND:
                _sql(statement, {**params, "year": year})


# --- the second campaign ----------------------------------------------------------------------------------------

SECOND_STARTS_ON, SECOND_ENDS_ON = datetime.date(2024, 1, 1), datetime.date(2026, 12, 31)
SECOND_LAST_MONTH = datetime.date(2026, 10, 1)  # its last month with self-assessments and a monthly report
TODAY = datetime.date(2026, 11, 30)  # the bench's "today": both campaigns have their month-ends up to it
SECOND_TARGETS = {2024: "0.500", 2025: "0.650", 2026: "0.800"}

SECOND_ACTIVITY = [
    # Enrolment in 2024 of 90% of the residents' committees that no round of the first campaign (2021–2023)
    # passed; 1% of them withdrawing.
    """
    INSERT INTO reporting_enrolment (kind, joined_on, withdrawn_on, withdrawal_reason, created_at, campaign_id,
                                     community_id)
    SELECT 'batch', c.joined_on,
           CASE WHEN c.h %% 100 = 0 THEN c.joined_on + 90 + c.h %% 300 END,
           CASE WHEN c.h %% 100 = 0 THEN '合并撤销' ELSE '' END,
           now(), %(campaign)s, c.id
    FROM (SELECT c.id, (hashtext(c.code || 'second') & 2147483647) AS h,
                 %(starts_on)s::date + 1 + (hashtext(c.code || 'second') & 2147483647) %% 360 AS joined_on
          FROM districts_community c
          WHERE c.kind = '居委会' AND NOT EXISTS (
              SELECT 1 FROM standards_inspection i WHERE i.community_id = c.id AND i.passed
              AND i.signed_on < %(starts_on)s)) c
    WHERE c.h %% 10 <> 0
    """,
    # A self-assessment a month against the second standard while taking part, up to October 2026: meeting 4–15
    # months after joining, creating from the second.
    """
    INSERT INTO standards_selfassessment (period, stage, items, notes, version, updated_at, community_id,
                                          district_id, standard_id)
    SELECT m.period::date,
           CASE WHEN m.period >= date_trunc('month', e.joined_on) + make_interval(months => 4 + e.h %% 12)
                THEN 'meets'
                WHEN m.period > date_trunc('month', e.joined_on) THEN 'creating'
                ELSE 'not_started' END,
           '{}'::jsonb, '{}'::jsonb, 1, now(), e.community_id, e.district_id, %(standard)s
    FROM (SELECT e.community_id, e.joined_on, e.withdrawn_on, c.district_id,
                 (hashtext(c.code || 'sa2') & 2147483647) AS h
          FROM reporting_enrolment e JOIN districts_community c ON c.id = e.community_id
          WHERE e.campaign_id = %(campaign)s) e
    JOIN generate_series(%(starts_on)s::date, %(last_month)s::date, interval '1 month') AS m(period)
      ON m.period >= date_trunc('month', e.joined_on) AND (e.withdrawn_on IS NULL OR m.period < e.withdrawn_on)
    """,
    ACTIVITY[3],  # a monthly report per district and month, up to October 2026
]


def second_campaign(first: Any) -> Any:
    """The second campaign, opened as the commission does: a copy of the first's standard, its met-share
    milestones, then made current (the dashboards and list pages are for it)."""
    from django.contrib.auth import get_user_model

    from reporting.campaigns.services import MilestoneSpec, campaign_make_current, campaign_open
    from reporting.models import Milestone
    from standards.versions import standard_version_copy

    user, _ = get_user_model().objects.get_or_create(username="bench-commission")  # no password: never logs in
    standard = standard_version_copy(source=first.standard, name="绿色社区创建标准（2024年修订）", by=user)
    campaign = campaign_open(
        name="全国绿色社区巩固提升行动（2024—2026年）",
        issued_by="住房和城乡建设部",
        starts_on=SECOND_STARTS_ON,
        ends_on=SECOND_ENDS_ON,
        standard=standard,
        monthly_due_day=5,
        milestones=[
            MilestoneSpec(
                f"{round(Decimal(share) * 100)}%以上城市社区达到创建要求",
                Milestone.Kind.MET_SHARE,
                datetime.date(year, 12, 31),
                Decimal(share),
            )
            for year, share in SECOND_TARGETS.items()
        ],
        by=user,
    )
    campaign_make_current(campaign=campaign, by=user)
    params = {
        "campaign": campaign.pk,
        "standard": standard.pk,
        "starts_on": SECOND_STARTS_ON,
        "first_month": SECOND_STARTS_ON,
        "last_month": SECOND_LAST_MONTH,
        "last_report": SECOND_LAST_MONTH,
    }
    with transaction.atomic():
        _sql("SET LOCAL session_replication_role = replica")  # as in `activity`
        for statement in SECOND_ACTIVITY:
            _sql(statement, params)
        # The 2024 and 2025 rounds inspect against the second standard.
        for year in (2024, 2025):
            for statement in ROUND:
                _sql(statement, {**params, "year": year})
    return campaign


def data_set() -> tuple[dict[str, int], float]:
    """Both campaigns' activity; the rows of each table and the seconds it took to build."""
    from reporting.models import Campaign

    first = Campaign.objects.current()
    assert first is not None, "the migrations create the 2020 campaign"
    start = time.perf_counter()
    activity(first)
    second_campaign(first)
    _sql("ANALYZE")
    seconds = time.perf_counter() - start
    counts = {
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
    return counts, seconds


# --- the rollup and its SQL bound -----------------------------------------------------------------------------

# One campaign's figures for every date of `rollup_dates` (month-ends from its first month up to today, and today)
# and every unit: per street, per district (GROUPING), for the city. Its definitions are the rollup's
# (`rollup_sql`): a community counts in the street it was in on the date (a roster release's move takes effect on
# its date), self-assessed is the latest self-assessment up to the month whose district's report for this campaign
# was filed, carried forward, while the community takes part; met and the answers are the latest signed inspection
# of an acceptance round, whichever campaign's (met is the community's); the item results are those of the
# campaign's standard.
BOUND = """
WITH day AS (
    SELECT DISTINCT LEAST((g + interval '1 month - 1 day')::date, %(end)s::date) AS day, g::date AS period
    FROM generate_series(%(first_month)s::date, %(end)s::date, interval '1 month') g
), parents AS (
    SELECT h.code, h.old_value, h.effective_on,
           LAG(h.effective_on) OVER (PARTITION BY h.code ORDER BY h.effective_on, h.id) AS from_day
    FROM districts_divisionchange h WHERE h.level = 'community' AND h.field = 'parent'
), placed AS (
    SELECT c.id, COALESCE(s.id, c.street_id) AS street_id, COALESCE(s.district_id, c.district_id) AS district_id,
           c.established_on, c.closed_on, p.from_day,
           p.effective_on AS until_day
    FROM districts_community c JOIN parents p ON p.code = c.code LEFT JOIN districts_street s ON s.code = p.old_value
    WHERE c.kind = '居委会'
    UNION ALL
    SELECT c.id, c.street_id, c.district_id, c.established_on, c.closed_on, l.last_on, NULL
    FROM districts_community c
    LEFT JOIN (SELECT code, MAX(effective_on) AS last_on FROM parents GROUP BY code) l ON l.code = c.code
    WHERE c.kind = '居委会'
), roster AS (
    SELECT d.day, c.street_id, c.district_id, COUNT(*)::int AS roster
    FROM day d JOIN placed c ON {on_day}
    GROUP BY d.day, c.street_id, c.district_id
), taking AS (
    SELECT d.day, e.community_id, bool_or(e.kind = 'pilot') AS pilot
    FROM day d JOIN reporting_enrolment e ON e.campaign_id = %(campaign)s AND e.joined_on <= d.day
      AND (e.withdrawn_on IS NULL OR e.withdrawn_on > d.day)
    GROUP BY d.day, e.community_id
), enrolled AS (
    SELECT d.day, c.street_id, c.district_id, COUNT(*)::int AS participating, (COUNT(*) FILTER (WHERE d.pilot))::int AS pilots
    FROM taking d JOIN placed c ON c.id = d.community_id AND {on_day}
    GROUP BY d.day, c.street_id, c.district_id
), reported AS (
    SELECT s.community_id, s.stage, s.period,
           LEAD(s.period) OVER (PARTITION BY s.community_id ORDER BY s.period) AS until_period
    FROM standards_selfassessment s
    WHERE EXISTS (SELECT 1 FROM reporting_report r WHERE r.campaign_id = %(campaign)s AND r.kind = 'monthly'
                  AND r.district_id = s.district_id AND r.period = s.period
                  AND r.status IN ('submitted', 'resubmitted', 'accepted'))
), meeting AS MATERIALIZED (
    -- Each reported self-assessment that meets, on every date it is the community's latest.
    SELECT d.day, a.community_id
    FROM reported a
    CROSS JOIN LATERAL generate_series(a.period, COALESCE(a.until_period - interval '1 month', %(end)s::date),
                                       interval '1 month') g(period)
    JOIN day d ON d.period = g.period::date
    WHERE a.stage = 'meets'
), assessed AS (
    SELECT d.day, c.street_id, c.district_id, COUNT(*)::int AS self_assessed
    FROM meeting d JOIN taking t ON t.day = d.day AND t.community_id = d.community_id
    JOIN placed c ON c.id = d.community_id AND {on_day}
    GROUP BY d.day, c.street_id, c.district_id
), latest AS (
    SELECT i.id, i.community_id, i.passed, i.notice_ends_on, i.signed_on AS from_day,
           LEAD(i.signed_on) OVER (PARTITION BY i.community_id ORDER BY i.signed_at, i.id) AS until_day
    FROM standards_inspection i JOIN standards_acceptanceround r ON r.id = i.round_id AND r.kind = 'acceptance'
    WHERE i.status = 'signed'
), standing AS MATERIALIZED (
    -- Each community's latest signed inspection on every date.
    SELECT d.day, l.id, l.community_id, l.passed, l.notice_ends_on, l.from_day
    FROM day d JOIN latest l ON l.from_day <= d.day AND (l.until_day IS NULL OR l.until_day > d.day)
), answers AS (
    SELECT a.inspection_id, COUNT(*)::int AS answers,
           (COUNT(*) FILTER (WHERE i.id IS NOT NULL AND a.result = 'meets'))::int AS meets,
           (COUNT(*) FILTER (WHERE i.id IS NOT NULL AND a.result <> 'not_applicable'))::int AS applicable, {answer_items}
    FROM standards_inspectionanswer a
    LEFT JOIN standards_standarditem i ON i.id = a.item_id AND i.version_id = %(standard)s
    GROUP BY a.inspection_id
), inspected AS (
    SELECT d.day, c.street_id, c.district_id, SUM(n.answers)::int AS answers, SUM(n.meets)::int AS meets, SUM(n.applicable)::int AS applicable,
           {met_items}
    FROM standing d JOIN placed c ON c.id = d.community_id AND {on_day}
    JOIN answers n ON n.inspection_id = d.id
    GROUP BY d.day, c.street_id, c.district_id
), met AS (
    SELECT d.day, c.street_id, c.district_id, COUNT(*)::int AS met
    FROM standing d JOIN placed c ON c.id = d.community_id AND {on_day}
    WHERE d.passed AND d.notice_ends_on <= d.day
      AND NOT EXISTS (SELECT 1 FROM standards_objection o WHERE o.inspection_id = d.id AND o.received_on <= d.day
                      AND (o.decision <> 'dismissed' OR o.decided_at IS NULL
                           OR (o.decided_at AT TIME ZONE 'Asia/Shanghai')::date > d.day))
      AND NOT EXISTS (SELECT 1 FROM standards_revocation v WHERE v.community_id = d.community_id
                      AND v.revoked_on > d.from_day AND v.revoked_on <= d.day)
    GROUP BY d.day, c.street_id, c.district_id
), reports AS (
    -- A district's reports, on its first street's row: the street rows show none, district and city rows sum them.
    SELECT d.day, f.street_id, f.district_id, COUNT(*)::int AS submitted,
           (COUNT(*) FILTER (WHERE (r.first_submitted_at AT TIME ZONE 'Asia/Shanghai')::date <= r.due_on))::int AS timely
    FROM day d JOIN reporting_report r ON r.campaign_id = %(campaign)s AND r.kind = 'monthly' AND r.due_on <= d.day
      AND (r.first_submitted_at AT TIME ZONE 'Asia/Shanghai')::date <= d.day
    JOIN (SELECT district_id, MIN(id) AS street_id FROM districts_street GROUP BY district_id) f
      ON f.district_id = r.district_id
    GROUP BY d.day, f.street_id, f.district_id
), figures AS (
    -- Every street on every date (zeros), and what each count adds where it has something.
    {figures}
)
SELECT COUNT(*), SUM(roster), SUM(participating), SUM(pilots), SUM(self_assessed), SUM(met), SUM(submitted),
       SUM(timely), SUM(meets), SUM(applicable), SUM(answers) FROM (
    SELECT f.day, f.district_id, f.street_id, {sums},
           CASE WHEN GROUPING(f.street_id) = 1 THEN SUM(f.submitted) END AS submitted,
           CASE WHEN GROUPING(f.street_id) = 1 THEN SUM(f.timely) END AS timely
    FROM (SELECT day, district_id, street_id, {street_sums} FROM figures
          GROUP BY day, district_id, street_id) f
    GROUP BY f.day, ROLLUP (f.district_id, f.street_id)
) units
"""
# A community is counted on a date while on the roster and in the street (span) it had then.
ON_DAY = (
    "(c.established_on IS NULL OR c.established_on <= d.day) AND (c.closed_on IS NULL OR c.closed_on > d.day) "
    "AND (c.from_day IS NULL OR c.from_day <= d.day) AND (c.until_day IS NULL OR c.until_day > d.day)"
)
# What the bound and the stored snapshots are compared on.
CHECKED = (
    "units",
    "roster",
    "participating",
    "pilots",
    "self_assessed",
    "met",
    "submitted",
    "timely",
    "meets",
    "applicable",
)


def _bound_sql() -> str:
    """BOUND with the per-item counts the rollup keeps (meets and applicable answers of each of the 16 items)."""
    numbers = range(1, 17)
    answer_items = ", ".join(
        f"(COUNT(*) FILTER (WHERE i.number = {n} AND a.result = 'meets'))::int AS m{n}, "
        f"(COUNT(*) FILTER (WHERE i.number = {n} AND a.result <> 'not_applicable'))::int AS a{n}"
        for n in numbers
    )
    items = [f"{p}{n}" for n in numbers for p in ("m", "a")]
    columns = [
        "roster",
        "participating",
        "pilots",
        "self_assessed",
        "met",
        "answers",
        "meets",
        "applicable",
        "submitted",
        "timely",
        *items,
    ]
    sources = {
        "roster": ["roster"],
        "enrolled": ["participating", "pilots"],
        "assessed": ["self_assessed"],
        "met": ["met"],
        "inspected": ["answers", "meets", "applicable", *items],
        "reports": ["submitted", "timely"],
    }
    zeros = ", ".join(f"0 AS {c}" for c in columns)
    grid = f"SELECT d.day, s.id AS street_id, s.district_id, {zeros} FROM day d CROSS JOIN districts_street s"  # noqa: S608
    figures = [grid]
    for table, present in sources.items():
        values = ", ".join(c if c in present else "0" for c in columns)
        figures.append(f"SELECT day, street_id, district_id, {values} FROM {table}")  # noqa: S608 — names from here
    return BOUND.format(
        on_day=ON_DAY,
        answer_items=answer_items,
        met_items=", ".join(f"SUM(n.m{n})::int AS m{n}, SUM(n.a{n})::int AS a{n}" for n in numbers),
        street_sums=", ".join(f"SUM({c})::int AS {c}" for c in columns),
        figures="\n    UNION ALL ".join(figures),
        sums=", ".join(f"SUM(f.{c}) AS {c}" for c in columns if c not in ("submitted", "timely")),
    )


def sql_bound(campaign: Any) -> tuple[float, tuple]:
    """The bound of one campaign: seconds, and the figures it computed (in CHECKED's order)."""
    params = {
        "campaign": campaign.pk,
        "standard": campaign.standard_id,
        "first_month": campaign.starts_on.replace(day=1),
        "end": TODAY,
    }
    with transaction.atomic():
        _sql("SET LOCAL jit = off")  # the planner settings the rollup runs under (`rollups.rollup_days`)
        _sql("SET LOCAL work_mem = '1GB'")
        _sql("SET LOCAL enable_mergejoin = off")
        with connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(_bound_sql(), params)
            row = cursor.fetchone()
            seconds = time.perf_counter() - start
    return seconds, tuple(int(value or 0) for value in row[: len(CHECKED)])


def stored(campaign: Any) -> tuple:
    """The same figures summed over the campaign's stored snapshots (in CHECKED's order)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), SUM(roster), SUM(participating), SUM(pilots), SUM(self_assessed), SUM(met), "
            "SUM(reports_submitted), SUM(reports_timely), SUM(j.meets), SUM(j.applicable) "
            "FROM reporting_progresssnapshot s LEFT JOIN LATERAL (SELECT SUM((x.v->>0)::int) AS meets, "
            "SUM((x.v->>1)::int) AS applicable FROM jsonb_each(CASE WHEN jsonb_typeof(s.item_results) = 'object' "
            "THEN s.item_results ELSE '{}'::jsonb END) x(k, v)) j ON true WHERE s.campaign_id = %s",
            [campaign.pk],
        )
        return tuple(int(value or 0) for value in cursor.fetchone())


def _campaigns() -> list[Any]:
    from reporting.models import Campaign

    return list(Campaign.objects.started(TODAY))


def _rollup(*, force: bool = False) -> tuple[list[float], int]:
    """The nightly job's rollup: every begun campaign in turn (`tasks.rollup_nightly`); seconds per campaign."""
    from reporting.figures.rollups import rollup_all

    seconds, rows = [], 0
    for campaign in _campaigns():
        elapsed, count = _timed(rollup_all, campaign=campaign, today=TODAY, force=force)
        seconds.append(elapsed)
        rows += count
    return seconds, rows


def _nightly_change(night: int) -> None:
    """What a night's rollup finds: some of the second campaign's last month's self-assessments moved on to
    meeting, and some of that month's reports were first submitted a day later (a late report)."""
    second = _campaigns()[-1]
    _sql(
        "UPDATE standards_selfassessment SET stage = 'meets' WHERE period = %s AND stage = 'creating' AND id %% 7 = %s",
        [SECOND_LAST_MONTH, night % 7],
    )
    _sql(
        "UPDATE reporting_report SET first_submitted_at = first_submitted_at + interval '1 day', "
        "submitted_at = submitted_at + interval '1 day' WHERE campaign_id = %s AND period = %s AND id %% 5 = %s",
        [second.pk, SECOND_LAST_MONTH, night % 5],
    )


def _autovacuum() -> None:
    """What autovacuum does in the day between two nightly runs: the dead rows of the last run's writes are
    cleared and the planner's statistics follow the tables (a rollup into an empty table leaves them saying it is
    empty). Outside any transaction, as VACUUM must be."""
    _sql("VACUUM ANALYZE reporting_progresssnapshot, standards_selfassessment, reporting_report")


def _seconds(values: list[float]) -> str:
    return " + ".join(f"{s:.1f}" for s in values) + f" = {sum(values):.1f} s"


def rollups(runs: int) -> list[dict]:
    campaigns = _campaigns()
    bounds: list[list[float]] = []
    figures: list[tuple] = []
    for _ in range(runs):
        measured = [sql_bound(campaign) for campaign in campaigns]
        bounds.append([seconds for seconds, _ in measured])
        figures = [row for _, row in measured]
    print("SQL bound (per campaign):", "; ".join(_seconds(b) for b in bounds), flush=True)
    cold, rows = _rollup()
    print(f"rollup into an empty table: {_seconds(cold)}", flush=True)
    checks = []
    for campaign, bound_row in zip(campaigns, figures, strict=True):
        snapshot_row = stored(campaign)
        same = snapshot_row == bound_row
        checks.append(same)
        print(f"campaign {campaign.pk}: bound {dict(zip(CHECKED, bound_row, strict=True))}", flush=True)
        if not same:
            print(f"campaign {campaign.pk}: stored {dict(zip(CHECKED, snapshot_row, strict=True))}", flush=True)
    unchanged = []
    for _ in range(runs):
        _autovacuum()
        unchanged.append(_rollup()[0])
    print("rollup, nothing changed:", "; ".join(_seconds(s) for s in unchanged), flush=True)
    nightly = []
    for night in range(runs):
        _nightly_change(night)
        _autovacuum()
        nightly.append(_rollup()[0])
    print("rollup, nightly:", "; ".join(_seconds(s) for s in nightly), flush=True)
    full = []
    for _ in range(runs):
        _autovacuum()
        full.append(_rollup(force=True)[0])
    print("rollup --full:", "; ".join(_seconds(s) for s in full), flush=True)
    bound = statistics.median(sum(b) for b in bounds)
    per_bound = [statistics.median(b[n] for b in bounds) for n in range(len(campaigns))]
    dates = [len(rollup_dates_of(campaign)) for campaign in campaigns]

    def against_bound(name: str, measured: list[list[float]]) -> list[dict]:
        total = statistics.median(sum(m) for m in measured)
        results = [
            {
                "name": name,
                "value": round(total, 2),
                "unit": "s",
                "baseline": round(bound, 2),
                "ratio": round(total / bound, 2),
                "target": "≤ 1.5× bound, ≤ 10 s",
            }
        ]
        for n, campaign in enumerate(campaigns):
            seconds = statistics.median(m[n] for m in measured)
            results.append(
                {
                    "name": f"  of which campaign {n + 1} ({campaign.starts_on:%Y-%m}, {dates[n]} dates)",
                    "value": round(seconds, 2),
                    "unit": "s",
                    "baseline": round(per_bound[n], 2),
                    "ratio": round(seconds / per_bound[n], 2),
                }
            )
        return results

    return [
        {
            "name": f"SQL bound: one aggregate per campaign, every month-end × unit ({len(campaigns)} campaigns)",
            "value": round(bound, 2),
            "unit": "s",
        },
        *(
            {
                "name": f"SQL bound = stored snapshots, campaign {n + 1} ({', '.join(CHECKED)})",
                "value": "yes" if same else "NO",
                "unit": "",
            }
            for n, same in enumerate(checks)
        ),
        *against_bound(f"full rollup into an empty table ({rows:,} rows)", [cold]),
        *against_bound("full rollup, nothing changed", unchanged),
        *against_bound("full rollup, nightly (the second campaign's last month changed)", nightly),
        *against_bound("full rollup, every date computed again (rollup --full)", full),
    ]


def rollup_dates_of(campaign: Any) -> list[datetime.date]:
    from reporting.figures.rollups import rollup_dates

    return rollup_dates(campaign, TODAY)


def run() -> list[dict]:
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    results = divisions()
    if os.environ.get("BENCH_NATIONAL") == "divisions":
        return results  # only the roster import and releases
    counts, seconds = data_set()
    print(f"national data set built in {seconds:.1f} s", flush=True)
    results.append(
        {
            "name": "national data set (two campaigns): "
            + ", ".join(f"{k.split('_', 1)[1]} {v:,}" for k, v in counts.items()),
            "value": sum(counts.values()),
            "unit": "rows",
        }
    )
    results.append(
        {"name": "national data set: time to build both campaigns' activity", "value": round(seconds, 1), "unit": "s"}
    )
    results += rollups(runs)
    from bench import dashboard_bench, list_pages_bench

    district_code = _scalar("SELECT MIN(code) FROM districts_district")
    results += dashboard_bench.run(scale="national", district_code=district_code)
    results += list_pages_bench.run(scale="national", district_code=district_code, runs=runs)
    return results
