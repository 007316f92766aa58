"""The rollup's figures for many dates at once, in SQL: a fixed handful of set-based statements whatever the number
of dates, units or communities, and no row of data passing through Python.

`rollups.py` decides which dates to compute and what each is judged against (`Day`); this module turns that into
statements over temporary tables:

    rollup_day         the dates: those to store, and the dates three months earlier that their pace reads
    rollup_expected    the monthly reports each date expects
    rollup_inspection  each signed inspection, the days it is its community's latest, and its answers per item
    rollup_objection   each objection and the days it blocks its inspection
    rollup_item        per date and street: met, and the answers of its communities' latest inspections
    rollup_roster      per date and street: the roster (undated communities counted once, dated ones per date)
    rollup_enrolled    per date and street: communities taking part, pilots
    rollup_assessed    per date and street: self-assessed as meeting
    rollup_unit        every street, district and the city per date, with districts' report counts
    rollup_unit_item   the item results of the units that have any, as JSON text
    rollup_row         every unit of the stored dates judged (share, projection, status; `rollups.judge` is the
                       same rule in Python): the rows to store

then one join pairs them with the stored rows, an UPDATE rewrites those whose figures changed and an INSERT adds
the missing ones — set-based, not a probe per row, so a nightly run over three years of month-ends touches what moved, not a million rows. The
same statements run on PostgreSQL and SQLite.

Every definition is the one the ORM selectors use: `Community.objects.on_roster` and `urban`,
`Enrolment.objects.active_on`, `standards.acceptance.latest_signed` and `met_inspections`,
`timeliness.reporting_rates`. The tests compare the stored figures with them.
"""

# ruff: noqa: S608 — every name in these statements comes from the models or this module; values go as parameters.
from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, DateField, Value, When
from django.db.models.functions import TruncDate

from districts.models import Community, District, Street
from standards.models import Inspection, InspectionAnswer, Objection, SelfAssessment

from .models import Enrolment, ProgressSnapshot, Report
from .timeliness import LOCAL

Level = ProgressSnapshot.Level
Status = ProgressSnapshot.Status
TEMPORARY = (
    "rollup_day",
    "rollup_expected",
    "rollup_inspection",
    "rollup_objection",
    "rollup_item",
    "rollup_roster",
    "rollup_enrolled",
    "rollup_assessed",
    "rollup_unit",
    "rollup_unit_item",
    "rollup_judged",
    "rollup_row",
    "rollup_diff",
)
# pg_advisory_xact_lock key: snapshot writers queue behind one another.
ADVISORY_LOCK = 4_151_001
COUNTS = (
    "roster",
    "participating",
    "pilots",
    "streets",
    "streets_with_pilot",
    "self_assessed",
    "met",
    "reports_expected",
    "reports_submitted",
    "reports_timely",
)
# What the stored row holds besides its key; the row is rewritten only when one of these changes.
COMPARED = (
    "unit_name",
    "parent_code",
    *COUNTS,
    "met_share",
    "target_share",
    "target_due_on",
    "projected_share",
    "status",
    "item_results",
)


@dataclass(frozen=True)
class Day:
    """One date to compute, with what `rollups.judge` needs for it worked out once (not once per unit)."""

    on: datetime.date
    store: bool  # False for a date computed only because a stored date's pace reads it
    then: datetime.date | None  # the date the pace runs from; None: the campaign's start, when every share was 0
    span: Decimal  # months from `then` (or the start) to `on`
    ahead: Decimal  # months from `on` to the target's date
    target_share: Decimal | None
    target_due_on: datetime.date | None
    at_risk_share: Decimal | None  # from this projection on, a unit is at risk rather than behind
    expected_periods: Sequence[datetime.date]  # the months whose monthly report is due by `on`


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class Rollup:
    """Computes the snapshots of `days` and stores those marked `store`, inside the caller's transaction."""

    def __init__(
        self,
        *,
        campaign: Any,
        days: list[Day],
        items: list[tuple[int, int]],
        city: tuple[str, str],
        now: datetime.datetime,
    ) -> None:
        self.campaign = campaign
        self.days = days
        self.numbers = [number for _id, number in items]
        self.items = items  # the standard's (id, number), in order
        self.city_code, self.city_name = city
        self.now = now
        self.postgresql = connection.vendor == "postgresql"

    def run(self) -> int:
        """Returns how many rows were stored or found unchanged (every unit of every stored date)."""
        with connection.cursor() as cursor:
            self.cursor = cursor
            self._drop()
            self._days()
            self._inspections()
            self._objections()
            self._streets()
            self._units()
            stored = self._store()
            self._drop()
        return stored

    # --- helpers ----------------------------------------------------------------------------------------------

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(sql, params)

    def _drop(self) -> None:
        if self.postgresql:
            self._execute(f"DROP TABLE IF EXISTS {', '.join(TEMPORARY)}")
            return
        for table in TEMPORARY:  # SQLite drops one table a statement
            self._execute(f"DROP TABLE IF EXISTS {table}")

    def _analyze(self, table: str) -> None:
        if self.postgresql:  # otherwise the planner knows nothing of a new temporary table's size
            self._execute(f"ANALYZE {table}")

    def _number(self, value: Decimal | None) -> Any:
        # SQLite keeps numbers as floats; a Decimal would reach it as text.
        return value if value is None or self.postgresql else float(value)

    def _item_columns(self, template: str) -> str:
        return ", ".join(template.format(m=f"m{n}", a=f"a{n}") for n in self.numbers)

    def _roster(self, alias: str) -> tuple[str, list[Any]]:
        """The roster as of d.day for community `alias`: `on_roster`, and `urban` as the campaign counts it."""
        sql = (
            f"({alias}.established_on IS NULL OR {alias}.established_on <= d.day) "
            f"AND ({alias}.closed_on IS NULL OR {alias}.closed_on > d.day)"
        )
        if self.campaign.counts_similar_communities:
            return sql, []
        return f"{sql} AND {alias}.kind = %s", [Community.Kind.RESIDENTS_COMMITTEE]

    # --- the dates --------------------------------------------------------------------------------------------

    def _days(self) -> None:
        self._execute(
            "CREATE TEMPORARY TABLE rollup_day (day date PRIMARY KEY, store boolean, period date, then_day date, "
            "span numeric, ahead numeric, target_share numeric, target_due_on date, at_risk_share numeric)"
        )
        self.cursor.executemany(
            "INSERT INTO rollup_day VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    day.on,
                    day.store,
                    day.on.replace(day=1),
                    day.then,
                    self._number(day.span),
                    self._number(day.ahead),
                    self._number(day.target_share),
                    day.target_due_on,
                    self._number(day.at_risk_share),
                )
                for day in self.days
            ],
        )
        self._execute("CREATE TEMPORARY TABLE rollup_expected (day date, period date, PRIMARY KEY (day, period))")
        expected = [(day.on, period) for day in self.days for period in day.expected_periods]
        if expected:
            self.cursor.executemany("INSERT INTO rollup_expected VALUES (%s, %s)", expected)
        self._analyze("rollup_day")
        self._analyze("rollup_expected")

    # --- inspections ------------------------------------------------------------------------------------------

    def _inspections(self) -> None:
        """Each signed inspection with the days it is its community's latest (`latest_signed`: from its signing
        day until the next one's, in signing order), and its answers: how many, and per item how many meet and
        how many apply."""
        per_item = ", ".join(
            "SUM(CASE WHEN a.item_id = %s AND a.result = %s THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN a.item_id = %s AND a.result <> %s THEN 1 ELSE 0 END)"
            for _item in self.items
        )
        params: list[Any] = []
        for item_id, _number in self.items:
            params += [item_id, InspectionAnswer.Result.MEETS, item_id, InspectionAnswer.Result.NOT_APPLICABLE]
        columns = self._item_columns("{m} integer, {a} integer")
        self._execute(
            "CREATE TEMPORARY TABLE rollup_inspection (id integer PRIMARY KEY, community_id integer, passed boolean, "
            "notice_ends_on date, latest_from date, latest_until date, answers integer, " + columns + ")"
        )
        self._execute(
            f"INSERT INTO rollup_inspection "
            f"SELECT i.id, i.community_id, i.passed, i.notice_ends_on, i.signed_on, "
            f"LEAD(i.signed_on) OVER (PARTITION BY i.community_id ORDER BY i.signed_at, i.id), "
            f"COUNT(a.id), {per_item} "
            f"FROM {_table(Inspection)} i LEFT JOIN {_table(InspectionAnswer)} a ON a.inspection_id = i.id "
            f"WHERE i.status = %s GROUP BY i.id, i.community_id, i.passed, i.notice_ends_on, i.signed_on, i.signed_at",
            [*params, Inspection.Status.SIGNED],
        )
        self._analyze("rollup_inspection")

    def _objections(self) -> None:
        """Each objection: blocking from the day it was received until the local day it was dismissed, or for good
        while pending or once upheld (NULL) — `met_inspections`' rule."""
        queryset = (
            Objection.objects.order_by()
            .annotate(
                blocks_until=Case(
                    When(decision=Objection.Decision.DISMISSED, then=TruncDate("decided_at", tzinfo=LOCAL)),
                    default=Value(None),
                    output_field=DateField(),
                )
            )
            .values("inspection_id", "received_on", "blocks_until")
        )
        sql, params = queryset.query.sql_with_params()
        self._execute(
            "CREATE TEMPORARY TABLE rollup_objection (inspection_id integer, received_on date, blocks_until date)"
        )
        self._execute(f"INSERT INTO rollup_objection {sql}", params)
        self._execute("CREATE INDEX rollup_objection_inspection ON rollup_objection (inspection_id)")
        self._analyze("rollup_objection")

    # --- street-level units -----------------------------------------------------------------------------------

    def _streets(self) -> None:
        """Each street-level unit's counts per date, and (in `rollup_item`) what its communities' latest signed
        inspections answered, kept apart: few units have answers, and the many that have none need no columns."""
        community = _table(Community)
        roster, roster_params = self._roster("c")
        blocked = (
            "SELECT 1 FROM rollup_objection o WHERE o.inspection_id = i.id AND o.received_on <= d.day "
            "AND (o.blocks_until IS NULL OR o.blocks_until > d.day)"
        )
        self._execute(
            "CREATE TEMPORARY TABLE rollup_item (day date, street_id integer, met integer, answers integer, "
            + self._item_columns("{m} integer, {a} integer")
            + ", PRIMARY KEY (day, street_id))"
        )
        self._execute(
            f"INSERT INTO rollup_item SELECT d.day, c.street_id, "
            f"SUM(CASE WHEN i.passed AND i.notice_ends_on <= d.day AND NOT EXISTS ({blocked}) THEN 1 ELSE 0 END), "
            f"SUM(i.answers), {self._item_columns('SUM(i.{m}), SUM(i.{a})')} "
            f"FROM rollup_day d JOIN rollup_inspection i ON i.latest_from <= d.day "
            f"AND (i.latest_until IS NULL OR i.latest_until > d.day) "
            f"JOIN {community} c ON c.id = i.community_id AND {roster} GROUP BY d.day, c.street_id",
            roster_params,
        )
        self._analyze("rollup_item")
        # The roster: most communities have no opening or closing date and are on it every day, counted once;
        # only the dated ones are matched against each date.
        self._execute(
            "CREATE TEMPORARY TABLE rollup_roster (day date, street_id integer, roster integer, "
            "PRIMARY KEY (day, street_id))"
        )
        undated, undated_params = self._roster("c")
        undated = undated.replace("(c.established_on IS NULL OR c.established_on <= d.day)", "c.established_on IS NULL")
        undated = undated.replace("(c.closed_on IS NULL OR c.closed_on > d.day)", "c.closed_on IS NULL")
        self._execute(
            f"INSERT INTO rollup_roster SELECT d.day, r.street_id, r.roster FROM rollup_day d CROSS JOIN ("
            f"SELECT c.street_id, COUNT(*) AS roster FROM {community} c WHERE {undated} GROUP BY c.street_id) r",
            undated_params,
        )
        dated = (
            f"SELECT d.day AS day, c.street_id AS street_id, COUNT(*) AS roster FROM rollup_day d "
            f"JOIN {community} c ON (c.established_on IS NOT NULL OR c.closed_on IS NOT NULL) AND {roster} "
            f"GROUP BY d.day, c.street_id"
        )
        self._execute(
            f"UPDATE rollup_roster SET roster = rollup_roster.roster + n.roster FROM ({dated}) n "
            f"WHERE n.day = rollup_roster.day AND n.street_id = rollup_roster.street_id",
            roster_params,
        )
        self._execute(
            f"INSERT INTO rollup_roster SELECT n.day, n.street_id, n.roster FROM ({dated}) n WHERE NOT EXISTS "
            f"(SELECT 1 FROM rollup_roster r WHERE r.day = n.day AND r.street_id = n.street_id)",
            roster_params,
        )
        self._analyze("rollup_roster")
        self._execute(
            "CREATE TEMPORARY TABLE rollup_enrolled (day date, street_id integer, participating integer, "
            "pilots integer, PRIMARY KEY (day, street_id))"
        )
        self._execute(
            f"INSERT INTO rollup_enrolled SELECT d.day, c.street_id, COUNT(DISTINCT e.community_id), "
            f"COUNT(DISTINCT CASE WHEN e.kind = %s THEN e.community_id END) "
            f"FROM rollup_day d JOIN {_table(Enrolment)} e ON e.campaign_id = %s AND e.joined_on <= d.day "
            f"AND (e.withdrawn_on IS NULL OR e.withdrawn_on > d.day) "
            f"JOIN {community} c ON c.id = e.community_id AND {roster} GROUP BY d.day, c.street_id",
            [Enrolment.Kind.PILOT, self.campaign.pk, *roster_params],
        )
        self._analyze("rollup_enrolled")
        self._execute(
            "CREATE TEMPORARY TABLE rollup_assessed (day date, street_id integer, self_assessed integer, "
            "PRIMARY KEY (day, street_id))"
        )
        self._execute(
            f"INSERT INTO rollup_assessed SELECT d.day, c.street_id, COUNT(*) "
            f"FROM rollup_day d JOIN {_table(SelfAssessment)} s ON s.period = d.period AND s.stage = %s "
            f"JOIN {community} c ON c.id = s.community_id AND {roster} GROUP BY d.day, c.street_id",
            [SelfAssessment.Stage.MEETS, *roster_params],
        )
        self._analyze("rollup_assessed")

    # --- every unit -------------------------------------------------------------------------------------------

    def _units(self) -> None:
        self._execute(
            "CREATE TEMPORARY TABLE rollup_unit (day date, level varchar(8), code varchar(12), name varchar(100), "
            "parent_code varchar(12), roster integer, participating integer, pilots integer, streets integer, "
            "streets_with_pilot integer, self_assessed integer, met integer, reports_expected integer, "
            "reports_submitted integer, reports_timely integer, PRIMARY KEY (day, level, code))"
        )
        # Every street-level unit on every date, those without urban communities too. Pilot coverage counts 街道
        # only (towns and the like are shown, not counted); streets file no reports.
        self._execute(
            f"INSERT INTO rollup_unit SELECT d.day, %s, s.code, s.name, t.code, "
            f"COALESCE(r.roster, 0), COALESCE(e.participating, 0), COALESCE(e.pilots, 0), "
            f"CASE WHEN s.kind = %s THEN 1 ELSE 0 END, "
            f"CASE WHEN s.kind = %s AND e.pilots > 0 THEN 1 ELSE 0 END, "
            f"COALESCE(a.self_assessed, 0), COALESCE(i.met, 0), 0, 0, 0 "
            f"FROM rollup_day d CROSS JOIN {_table(Street)} s JOIN {_table(District)} t ON t.id = s.district_id "
            f"LEFT JOIN rollup_roster r ON r.day = d.day AND r.street_id = s.id "
            f"LEFT JOIN rollup_enrolled e ON e.day = d.day AND e.street_id = s.id "
            f"LEFT JOIN rollup_assessed a ON a.day = d.day AND a.street_id = s.id "
            f"LEFT JOIN rollup_item i ON i.day = d.day AND i.street_id = s.id",
            [Level.STREET, Street.Kind.SUBDISTRICT, Street.Kind.SUBDISTRICT],
        )
        # Every district: the sums of its streets, and its monthly reports (`reporting_rates`).
        reports = (
            Report.objects.order_by()
            .filter(campaign=self.campaign, kind=Report.Kind.MONTHLY, district__isnull=False)
            .annotate(first_on=TruncDate("first_submitted_at", tzinfo=LOCAL))
            .values("district_id", "period", "due_on", "first_on")
        )
        reports_sql, reports_params = reports.query.sql_with_params()
        summed = ("roster", "participating", "pilots", "streets", "streets_with_pilot", "self_assessed", "met")
        self._execute(
            f"INSERT INTO rollup_unit SELECT d.day, %s, t.code, t.name, %s, "
            f"{', '.join(f'COALESCE(u.{name}, 0)' for name in summed)}, "
            f"(SELECT COUNT(*) FROM rollup_expected x WHERE x.day = d.day), "
            f"COALESCE(r.submitted, 0), COALESCE(r.timely, 0) "
            f"FROM rollup_day d CROSS JOIN {_table(District)} t "
            f"LEFT JOIN (SELECT day, parent_code, {', '.join(f'SUM({name}) AS {name}' for name in summed)} "
            f"FROM rollup_unit GROUP BY day, parent_code) u ON u.day = d.day AND u.parent_code = t.code "
            f"LEFT JOIN (SELECT x.day, r.district_id, COUNT(*) AS submitted, "
            f"SUM(CASE WHEN r.first_on <= r.due_on THEN 1 ELSE 0 END) AS timely "
            f"FROM rollup_expected x JOIN ({reports_sql}) r ON r.period = x.period AND r.first_on <= x.day "
            f"GROUP BY x.day, r.district_id) r ON r.day = d.day AND r.district_id = t.id",
            [Level.DISTRICT, self.city_code, *reports_params],
        )
        # The city: the sum of the districts (the division list has no row of its own for it).
        self._execute(
            f"INSERT INTO rollup_unit SELECT d.day, %s, %s, %s, '', "
            f"{', '.join(f'COALESCE(SUM(u.{name}), 0)' for name in COUNTS)} "
            f"FROM rollup_day d LEFT JOIN rollup_unit u ON u.day = d.day AND u.level = %s GROUP BY d.day",
            [Level.CITY, self.city_code, self.city_name, Level.DISTRICT],
        )
        self._analyze("rollup_unit")
        self._unit_items()

    def _unit_items(self) -> None:
        """Each unit's item results as JSON text, {"1": [meets, applicable], ...}, for the units with answers: the
        street's own, a district's and the city's the sums of theirs."""
        self._execute(
            "CREATE TEMPORARY TABLE rollup_unit_item (day date, level varchar(8), code varchar(12), results text, "
            "PRIMARY KEY (day, level, code))"
        )
        pairs = " || ', ' || ".join(f"'\"{n}\": [' || SUM(i.m{n}) || ', ' || SUM(i.a{n}) || ']'" for n in self.numbers)
        results = f"'{{' || {pairs} || '}}'" if pairs else "'{}'"
        street, district = _table(Street), _table(District)
        for level, code, joins, group in (
            (Level.STREET, "s.code", f"JOIN {street} s ON s.id = i.street_id", "s.code"),
            (
                Level.DISTRICT,
                "t.code",
                f"JOIN {street} s ON s.id = i.street_id JOIN {district} t ON t.id = s.district_id",
                "t.code",
            ),
            (Level.CITY, "%s", "", ""),
        ):
            params = [level] + ([self.city_code] if level == Level.CITY else [])
            self._execute(
                f"INSERT INTO rollup_unit_item SELECT i.day, %s, {code}, {results} FROM rollup_item i {joins} "
                f"GROUP BY i.day{', ' + group if group else ''} HAVING SUM(i.answers) > 0",
                params,
            )
        self._analyze("rollup_unit_item")

    # --- judging and storing ----------------------------------------------------------------------------------

    def _judged(self) -> None:
        """Every unit of the stored dates judged as `rollups.judge` does, as the row to store.

        The pace runs from the same unit's shares at `then_day` (computed in this run), or from 0 at the
        campaign's start.
        """
        share = "CASE WHEN {u}.roster > 0 THEN ROUND({u}.{part} * 1.0 / {u}.roster, 4) ELSE 0 END"
        shares = (
            f"SELECT u.*, d.span, d.ahead, d.target_share, d.target_due_on, d.at_risk_share, "
            f"{share.format(u='u', part='met')} AS share, {share.format(u='u', part='self_assessed')} AS assessed, "
            f"COALESCE({share.format(u='e', part='met')}, 0) AS share_then, "
            f"COALESCE({share.format(u='e', part='self_assessed')}, 0) AS assessed_then "
            f"FROM rollup_unit u JOIN rollup_day d ON d.day = u.day "
            f"LEFT JOIN rollup_unit e ON e.day = d.then_day AND e.level = u.level AND e.code = u.code "
            f"WHERE d.store"
        )
        pace = "CASE WHEN s.span > 0 THEN s.{now} + (s.{now} - s.{then}) / s.span * s.ahead ELSE s.{now} END"
        projected = (
            f"SELECT s.*, {pace.format(now='share', then='share_then')} AS by_met, "
            f"{pace.format(now='assessed', then='assessed_then')} AS by_assessed FROM ({shares}) s"
        )
        greatest, least = ("GREATEST", "LEAST") if self.postgresql else ("MAX", "MIN")
        clamped = f"ROUND({least}({greatest}({greatest}(p.by_met, p.by_assessed), 0), 1), 4)"
        # Materialised, so that each projection is computed once, not once per mention in the status below.
        self._execute(
            f"CREATE TEMPORARY TABLE rollup_judged AS SELECT p.*, "
            f"CASE WHEN p.target_share IS NULL OR p.target_due_on IS NULL OR p.roster = 0 THEN NULL "
            f"WHEN p.day >= p.target_due_on THEN p.share ELSE {clamped} END AS projected FROM ({projected}) p"
        )
        status = (
            f"CASE WHEN j.projected IS NULL THEN '{Status.NONE}' "
            f"WHEN j.day >= j.target_due_on THEN CASE WHEN j.share >= j.target_share "
            f"THEN '{Status.ON_TRACK}' ELSE '{Status.BEHIND}' END "
            f"WHEN j.projected >= j.target_share THEN '{Status.ON_TRACK}' "
            f"WHEN j.projected >= j.at_risk_share THEN '{Status.AT_RISK}' ELSE '{Status.BEHIND}' END"
        )
        results = "COALESCE(r.results, '{}')"
        if self.postgresql:
            results = f"CAST({results} AS jsonb)"
        self._execute(
            f"CREATE TEMPORARY TABLE rollup_row AS SELECT j.day AS day, j.level AS level, j.code AS code, "
            f"j.name AS unit_name, j.parent_code AS parent_code, "
            f"{', '.join(f'j.{name} AS {name}' for name in COUNTS)}, j.share AS met_share, "
            f"j.target_share AS target_share, j.target_due_on AS target_due_on, j.projected AS projected_share, "
            f"{status} AS status, {results} AS item_results "
            f"FROM rollup_judged j "
            f"LEFT JOIN rollup_unit_item r ON r.day = j.day AND r.level = j.level AND r.code = j.code"
        )
        self._analyze("rollup_row")

    def _store(self) -> int:
        """Rewrite the stored rows whose figures changed, add the new ones: set-based, so a nightly run over every
        month-end touches what moved. The city's rows are always rewritten: their `computed_at` tells when the
        figures were last checked. Returns how many units the stored dates hold."""
        self._judged()
        q = connection.ops.quote_name
        table = _table(ProgressSnapshot)
        now = connection.ops.adapt_datetimefield_value(self.now)
        if self.postgresql:  # one rollup at a time writes the snapshots (a second waits, then finds little to do)
            self._execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        # One pass pairs each row with the stored one: which are new, which changed.
        old = ", ".join(f"s.{q(name)}" for name in COMPARED)
        new = ", ".join(f"r.{name}" for name in COMPARED)
        differs = "IS DISTINCT FROM" if self.postgresql else "IS NOT"
        self._execute(
            f"CREATE TEMPORARY TABLE rollup_diff AS SELECT r.*, s.id AS stored_id, "
            f"CASE WHEN s.id IS NULL OR s.{q('level')} = %s OR ({old}) {differs} ({new}) THEN 1 ELSE 0 END "
            f"AS changed FROM rollup_row r LEFT JOIN {table} s ON s.campaign_id = %s AND s.{q('on')} = r.day "
            f"AND s.{q('level')} = r.level AND s.unit_code = r.code",
            [Level.CITY, self.campaign.pk],
        )
        self._execute(
            f"UPDATE {table} SET {', '.join(f'{q(name)} = d.{name}' for name in COMPARED)}, computed_at = %s "
            f"FROM rollup_diff d WHERE d.stored_id = {table}.id AND d.changed = 1",
            [now],
        )
        columns = ", ".join(q(name) for name in ("campaign_id", "on", "level", "unit_code", *COMPARED, "computed_at"))
        self._execute(
            f"INSERT INTO {table} ({columns}) SELECT %s, d.day, d.level, d.code, "
            f"{', '.join(f'd.{name}' for name in COMPARED)}, %s FROM rollup_diff d WHERE d.stored_id IS NULL",
            [self.campaign.pk, now],
        )
        self._execute("SELECT COUNT(*), COUNT(stored_id) FROM rollup_diff")
        rows, matched = self.cursor.fetchone()
        self._remove_gone(matched)
        return rows

    def _remove_gone(self, matched: int) -> None:
        """Rows of a stored date for a unit that no longer exists (a street merged away) are removed. Looked for
        only when the stored dates hold more rows than this run matched (a one-time filter, so usually no scan)."""
        q = connection.ops.quote_name
        table = _table(ProgressSnapshot)
        stored_days = f"{q('on')} IN (SELECT day FROM rollup_day WHERE store)"
        self._execute(
            f"DELETE FROM {table} WHERE campaign_id = %s AND {stored_days} "
            f"AND (SELECT COUNT(*) FROM {table} s WHERE s.campaign_id = %s AND s.{stored_days}) <> %s "
            f"AND NOT EXISTS (SELECT 1 FROM rollup_row r WHERE r.day = {table}.{q('on')} "
            f"AND r.level = {table}.{q('level')} AND r.code = {table}.unit_code)",
            [self.campaign.pk, self.campaign.pk, matched],
        )
