"""The rollup's figures for many dates at once, in SQL: a fixed handful of set-based statements whatever the number
of dates, units or communities, and no row of data passing through Python.

`rollups.py` decides which dates to compute and what each is judged against (`Day`); this module turns that into
statements over temporary tables. The dates are numbered 0…n-1, and everything that counts does so over a span of
date numbers: a community is on the roster from its opening to its closing, takes part from joining to withdrawing,
an inspection is its community's latest from its signing to the next one's, and met once its notice period is over.
So the work grows with the number of things counted, not with things × dates:

    rollup_day         the dates: those to store, and the dates three months earlier that their pace reads
    rollup_position    every calendar day between the first and last date → the number of the first date on or after
    rollup_expected    each month whose monthly report a date expects, with the number of the first such date
    rollup_community   each community the campaign counts, with its span on the roster
    rollup_participation  each community's spans taking part (its enrolments merged where they overlap)
    rollup_inspection  each signed acceptance inspection: its span as the latest, its notice, its revocation, its answers
    rollup_span        every span: (street, from, until) and what it adds while it lasts; a community's reported
                       self-assessment that meets is one too, from its month to the next reported one's, while the
                       community takes part
    rollup_item        per unit (street, district, city), its item results at each date number where they change:
                       a running sum of the inspections' spans' edges, summed apart from the counts below
    rollup_change      per unit, its figures at each date number where they change — a
                       running sum of the spans' edges; the figures of any date are those of its latest change.
                       A district's monthly reports are spans too: counted from the first date that expects the
                       month and follows the report's first submission
    rollup_unit        every unit's code, name, parent and number of 街道

Each stored date then gets a key: a hash of what its figures are computed from (the change rows in force on it,
the communities on the roster, the same for the date its pace reads, its target, the units, this code), summed per
date from the change rows' edges without expanding them (`_plan`). Only the dates whose key differs from the one
stored with their snapshots (`RollupKey`), or whose rows are not all there, are computed again, together with the
dates their pace reads: one query expands the changes to every unit × date computed again, judges them (share, projection, status:
the rule is written once, in `Rollup._rows`), hashes each row's figures into its fingerprint and pairs the rows with
the stored ones by key, keeping those that are new, changed (another fingerprint) or no longer computed
(`rollup_diff`); an UPDATE rewrites the changed, an INSERT adds the new, a DELETE removes the gone. The same
statements run on PostgreSQL and SQLite.

Every definition is the one the ORM selectors use: `Community.objects.on_roster` and `urban`,
`Enrolment.objects.active_on`, `selectors.self_assessed_communities` (whose reported self-assessments are
`selectors.reported_assessments`, compiled into the statement), `standards.acceptance.latest_signed` and
`met_inspections`, `timeliness.reporting_rates`. The tests compare the stored figures with them.
"""

# ruff: noqa: S608 — every name in these statements comes from the models or this module; values go as parameters.
from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.models import Case, DateField, Value, When
from django.db.models.functions import TruncDate

from districts.models import Community, District, DivisionChange, Street
from greencommunity.db import planner_settings
from reporting.figures.selectors import reported_assessments
from reporting.figures.timeliness import LOCAL
from reporting.models import Enrolment, ProgressSnapshot, Report, RollupKey
from standards.models import AcceptanceRound, Inspection, InspectionAnswer, Objection, Revocation, SelfAssessment

Level = ProgressSnapshot.Level
Status = ProgressSnapshot.Status
# The levels as numbers inside the temporary tables: sorted and hashed many times, an integer is cheaper than text.
NUMBER: dict[str, int] = {Level.CITY: 0, Level.DISTRICT: 1, Level.STREET: 2}
TEMPORARY = (
    "rollup_day",
    "rollup_position",
    "rollup_expected",
    "rollup_community",
    "rollup_participation",
    "rollup_inspection",
    "rollup_span",
    "rollup_item",
    "rollup_change",
    "rollup_unit",
    "rollup_diff",
)
# What a span adds while it lasts, besides each item's meets and applicable answers (m1, a1, …).
SPAN_COUNTS = ("roster", "participating", "pilots", "self_assessed", "met", "answers")
# What districts and the city count besides the sums of the spans: 街道 with a pilot, monthly reports.
DISTRICT_COUNTS = ("streets_with_pilot", "reports_submitted", "reports_timely")
ONE_DAY = datetime.timedelta(days=1)
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
# What the stored row holds besides its key and fingerprint: what a run writes when the fingerprint differs.
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


# Part of every date's key (`Rollup._plan`): a release that changes how the figures are computed recomputes every
# date once, whatever its inputs.
SOURCE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


@dataclass(frozen=True)
class Day:
    """One date to compute, with what judging its units needs worked out once (not once per unit)."""

    on: datetime.date
    store: bool  # False for a date computed only because a stored date's pace reads it
    then: datetime.date | None  # the date the pace runs from; None: the campaign's start, when every share was 0
    span: Decimal  # months from `then` (or the start) to `on`
    ahead: Decimal  # months from `on` to the target's date
    target_share: Decimal | None
    target_due_on: datetime.date | None
    at_risk_share: Decimal | None  # from this projection on, a unit is at risk rather than behind
    expected_periods: Sequence[datetime.date]  # the months whose monthly report is due by `on`


@dataclass(frozen=True)
class Plan:
    """What `Rollup._plan` decided: the key of each date to compute again, and how many units each date has."""

    keys: dict[datetime.date, str]
    unit_count: int


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
        only_these: bool = False,
        force: bool = False,
    ) -> None:
        self.campaign = campaign
        self.days = sorted(days, key=lambda day: day.on)
        self.n = len(self.days)
        self.numbers = [number for _id, number in items]
        self.items = items  # the standard's (id, number), in order
        self.city_code, self.city_name = city
        self.now = now
        self.only_these = only_these  # remove the campaign's snapshots of every other date
        self.force = force  # compute every stored date, whatever its key
        self.postgresql = connection.vendor == "postgresql"
        self.greatest, self.least = ("GREATEST", "LEAST") if self.postgresql else ("MAX", "MIN")

    def run(self) -> int:
        """Returns how many rows were stored or found unchanged (every unit of every stored date)."""
        if not self.days:
            return 0
        with connection.cursor() as cursor:
            self.cursor = cursor
            if self.postgresql:
                # One rollup at a time, from reading the data to storing the snapshots: a second waits, then
                # reads what the first committed and finds little to do. Taken before reading, so a run that
                # waited never stores figures older than those it waited for.
                self._execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
            self._drop()
            self._days()
            self._communities()
            self._inspections()
            self._spans()
            self._changes()
            self._units()
            plan = self._plan()
            if plan.keys:
                self._store()
            self._keep(plan.keys)
            self._drop()
        return plan.unit_count * sum(1 for day in self.days if day.store)

    # --- helpers ----------------------------------------------------------------------------------------------

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(sql, params)

    def _drop(self) -> None:
        if self.postgresql:
            self._execute(f"DROP TABLE IF EXISTS {', '.join(TEMPORARY)}")
            return
        for table in TEMPORARY:  # SQLite drops one table a statement
            self._execute(f"DROP TABLE IF EXISTS {table}")

    def _analyze(self, table: str, columns: str = "") -> None:
        """Otherwise PostgreSQL's planner knows nothing of a new temporary table's size; `columns` limits the
        statistics to those the later statements join or filter on."""
        if self.postgresql:
            self._execute(f"ANALYZE {table}" + (f" ({columns})" if columns else ""))

    def _number(self, value: Decimal | None) -> Any:
        # SQLite keeps numbers as floats; a Decimal would reach it as text.
        return value if value is None or self.postgresql else float(value)

    @property
    def item_values(self) -> list[str]:
        """Each item's meets and applicable answers: m1, a1, m2, a2, …"""
        return [f"{p}{n}" for n in self.numbers for p in ("m", "a")]

    @property
    def item_sums(self) -> list[str]:
        """What the item rows sum: the answers, then each item's meets and applicable answers."""
        return ["answers", *self.item_values]

    def _position(self, expression: str, *, empty: str) -> str:
        """The index of the first date on or after `expression`: a date before the first counts from 0, one after
        the last never (`self.n`); `empty` is the index a NULL stands for (0 for "since always", n for "never")."""
        first, last = self.days[0].on.isoformat(), self.days[-1].on.isoformat()
        return (
            f"(CASE WHEN {expression} IS NULL THEN {empty} WHEN {expression} <= '{first}' THEN 0 "
            f"WHEN {expression} > '{last}' THEN {self.n} "
            f"ELSE (SELECT p.k FROM rollup_position p WHERE p.on_day = {expression}) END)"
        )

    # --- the dates --------------------------------------------------------------------------------------------

    def _days(self) -> None:
        """The dates, numbered 0…n-1 in order; `rollup_position` numbers every calendar day between the first and
        the last by the first date on or after it, so that "from day x" becomes "from date number k"."""
        index = {day.on: k for k, day in enumerate(self.days)}
        self._execute(
            "CREATE TEMPORARY TABLE rollup_day (k integer PRIMARY KEY, day date, store integer, period date, "
            "then_k integer, back integer, span numeric, ahead numeric, target_share numeric, target_due_on date, "
            "at_risk_share numeric, expected integer, dirty integer, needed integer)"
        )
        rows = []
        for k, day in enumerate(self.days):
            then_k = index.get(day.then) if day.then is not None else None
            rows.append(
                (
                    k,
                    day.on,
                    int(day.store),
                    day.on.replace(day=1),
                    then_k,
                    k - then_k if then_k is not None else 0,
                    self._number(day.span),
                    self._number(day.ahead),
                    self._number(day.target_share),
                    day.target_due_on,
                    self._number(day.at_risk_share),
                    len(day.expected_periods),
                    int(day.store),  # until `_plan` tells which stored dates changed
                    1,
                )
            )
        self.cursor.executemany(
            "INSERT INTO rollup_day VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows
        )
        self._execute("CREATE TEMPORARY TABLE rollup_position (on_day date PRIMARY KEY, k integer)")
        positions, k, on = [], 1, self.days[0].on + ONE_DAY
        while on <= self.days[-1].on:
            positions.append((on, k))
            if on == self.days[k].on:
                k += 1
            on += ONE_DAY
        if positions:
            self.cursor.executemany("INSERT INTO rollup_position VALUES (%s, %s)", positions)
        self._execute("CREATE TEMPORARY TABLE rollup_expected (period date PRIMARY KEY, k integer)")
        first: dict[datetime.date, int] = {}
        for k, day in enumerate(self.days):
            for period in day.expected_periods:
                first.setdefault(period, k)
        if first:
            self.cursor.executemany("INSERT INTO rollup_expected VALUES (%s, %s)", list(first.items()))
        self._analyze("rollup_day")
        self._analyze("rollup_position")
        self._analyze("rollup_expected")

    # --- communities and inspections --------------------------------------------------------------------------

    def _communities(self) -> None:
        """Every community the campaign counts, in spans of the dates it is on the roster (`on_roster` and `urban`)
        with the street and kind it had then: a roster release that moves a community to another street or changes
        its kind takes effect on its date (`DivisionChange`), so a date before it counts the community where it was
        and as what it was. A community without such changes has one span."""
        changes = _table(DivisionChange)
        level, fields = DivisionChange.Level.COMMUNITY, (DivisionChange.Field.PARENT, DivisionChange.Field.KIND)
        points = (
            f"SELECT code, effective_on FROM {changes} WHERE level = '{level}' AND field IN {tuple(map(str, fields))} "
            f"GROUP BY code, effective_on"
        )
        # Each span ends where a change takes effect (the last one runs on); before that date the unit had the
        # `old_value` of the earliest change on or after the span's end, else its current value.
        spans = (
            f"SELECT c.id, c.code, c.street_id, c.kind, c.established_on, c.closed_on, p.span_from, p.span_until "
            f"FROM {_table(Community)} c JOIN (SELECT code, LAG(effective_on) OVER (PARTITION BY code "
            f"ORDER BY effective_on) AS span_from, effective_on AS span_until FROM ({points}) x) p ON p.code = c.code "
            f"UNION ALL SELECT c.id, c.code, c.street_id, c.kind, c.established_on, c.closed_on, l.last_on, NULL "
            f"FROM {_table(Community)} c LEFT JOIN (SELECT code, MAX(effective_on) AS last_on FROM ({points}) y "
            f"GROUP BY code) l ON l.code = c.code"
        )

        def before(field: str) -> str:
            return (
                f"(SELECT h.old_value FROM {changes} h WHERE h.level = '{level}' AND h.field = '{field}' "
                f"AND h.code = g.code AND h.effective_on >= g.span_until ORDER BY h.effective_on, h.id LIMIT 1)"
            )

        # The last span (most communities' only one) has the current values: no lookup.
        street = (
            f"CASE WHEN g.span_until IS NULL THEN g.street_id ELSE COALESCE((SELECT s.id FROM {_table(Street)} s "
            f"WHERE s.code = {before(DivisionChange.Field.PARENT)}), g.street_id) END"
        )
        kind = (
            f"CASE WHEN g.span_until IS NULL THEN g.kind ELSE COALESCE({before(DivisionChange.Field.KIND)}, g.kind) END"
        )
        k_from = f"{self.greatest}({self._position('g.established_on', empty='0')}, {self._position('g.span_from', empty='0')})"
        k_until = f"{self.least}({self._position('g.closed_on', empty=str(self.n))}, {self._position('g.span_until', empty=str(self.n))})"
        counted, params = "", []
        if not self.campaign.counts_similar_communities:
            counted, params = "AND t.kind = %s", [Community.Kind.RESIDENTS_COMMITTEE]
        self._execute(
            "CREATE TEMPORARY TABLE rollup_community (id integer, street_id integer, k_from integer, k_until integer, "
            "PRIMARY KEY (id, k_from))"
        )
        self._execute(
            f"INSERT INTO rollup_community SELECT t.id, t.street_id, t.k_from, t.k_until FROM "
            f"(SELECT g.id, {street} AS street_id, {kind} AS kind, {k_from} AS k_from, {k_until} AS k_until "
            f"FROM ({spans}) g) t WHERE t.k_from < t.k_until {counted}",
            params,
        )
        self._analyze("rollup_community")

    def _inspections(self) -> None:
        """Each signed acceptance inspection of a counted community with the dates it is the community's latest and
        the community on the roster (`latest_signed`: from its signing day until the next one's, in signing order;
        a re-check's inspections are not counted), whether objections were raised against it, the first date a
        revocation dated after its signing day stops it counting as met (k_revoked), and its answers: how many, and
        per item how many meet and how many apply."""
        per_item, params = [], []
        for item_id, number in self.items:
            per_item += [
                f"SUM(CASE WHEN a.item_id = %s AND a.result = %s THEN 1 ELSE 0 END) AS m{number}",
                f"SUM(CASE WHEN a.item_id = %s AND a.result <> %s THEN 1 ELSE 0 END) AS a{number}",
            ]
            params += [item_id, InspectionAnswer.Result.MEETS, item_id, InspectionAnswer.Result.NOT_APPLICABLE]
        answers = (
            f"SELECT a.inspection_id, {', '.join(['COUNT(*) AS answers', *per_item])} "
            f"FROM {_table(InspectionAnswer)} a GROUP BY a.inspection_id"
        )
        counted = ", ".join(f"COALESCE(n.{name}, 0)" for name in ["answers", *self.item_values])
        items = "".join(f", {c} integer" for c in self.item_values)
        self._execute(
            "CREATE TEMPORARY TABLE rollup_inspection (id integer, street_id integer, passed integer, "
            f"objected integer, k_from integer, k_until integer, k_notice integer, k_revoked integer, "
            f"answers integer{items})"
        )
        latest = (
            f"SELECT i.id, i.community_id, i.passed, i.notice_ends_on, i.signed_on, "
            f"LEAD(i.signed_on) OVER (PARTITION BY i.community_id ORDER BY i.signed_at, i.id) AS until_day "
            f"FROM {_table(Inspection)} i JOIN {_table(AcceptanceRound)} r ON r.id = i.round_id "
            f"WHERE i.status = %s AND r.kind = %s"
        )
        revoked = (
            f"(SELECT MIN(v.revoked_on) FROM {_table(Revocation)} v "
            f"WHERE v.community_id = i.community_id AND v.revoked_on > i.signed_on)"
        )
        self._execute(
            f"INSERT INTO rollup_inspection SELECT i.id, c.street_id, CASE WHEN i.passed THEN 1 ELSE 0 END, "
            f"CASE WHEN EXISTS (SELECT 1 FROM {_table(Objection)} o WHERE o.inspection_id = i.id) THEN 1 ELSE 0 END, "
            f"{self.greatest}({self._position('i.signed_on', empty='0')}, c.k_from), "
            f"{self.least}({self._position('i.until_day', empty=str(self.n))}, c.k_until), "
            f"{self._position('i.notice_ends_on', empty=str(self.n))}, "
            f"{self._position(revoked, empty=str(self.n))}, {counted} "
            f"FROM ({latest}) i JOIN rollup_community c ON c.id = i.community_id "
            f"LEFT JOIN ({answers}) n ON n.inspection_id = i.id",
            [Inspection.Status.SIGNED, AcceptanceRound.Kind.ACCEPTANCE, *params],
        )
        self._analyze("rollup_inspection", "id, street_id, passed, objected, k_from, k_until, k_notice, k_revoked")

    # --- what counts on which dates: spans of date numbers ----------------------------------------------------

    def _spans(self) -> None:
        """Each thing counted, as the street-level unit it counts for, the date numbers it counts on [k_from,
        k_until), and what it adds: a community on the roster (roster), a community taking part or a pilot (its
        enrolments merged, so overlapping ones count once: `active_on` with DISTINCT), the answers of a community's
        latest inspection, and a passed inspection once its notice period is over until a revocation (met). A passed
        inspection with objections is counted date by date, for the dates no objection blocks it
        (`met_inspections`)."""
        self._execute(
            "CREATE TEMPORARY TABLE rollup_span (street_id integer, k_from integer, k_until integer, "
            + ", ".join(f"{c} integer DEFAULT 0" for c in [*SPAN_COUNTS, *self.item_values])
            + ")"
        )
        self._execute(
            "INSERT INTO rollup_span (street_id, k_from, k_until, roster) "
            "SELECT street_id, k_from, k_until, 1 FROM rollup_community WHERE k_from < k_until"
        )
        participation, params = self._enrolments(None)
        self._execute(
            "CREATE TEMPORARY TABLE rollup_participation (community_id integer, street_id integer, k_from integer, "
            "k_until integer)"
        )
        self._execute(f"INSERT INTO rollup_participation {participation}", params)
        self._analyze("rollup_participation")
        self._execute(
            "INSERT INTO rollup_span (street_id, k_from, k_until, participating) "
            "SELECT street_id, k_from, k_until, 1 FROM rollup_participation"
        )
        pilots, params = self._enrolments(Enrolment.Kind.PILOT)
        self._execute(
            f"INSERT INTO rollup_span (street_id, k_from, k_until, pilots) "
            f"SELECT street_id, k_from, k_until, 1 FROM ({pilots}) p",
            params,
        )
        self._assessed_spans()
        answers = ", ".join(self.item_sums)
        self._execute(
            f"INSERT INTO rollup_span (street_id, k_from, k_until, {answers}) "
            f"SELECT street_id, k_from, k_until, {answers} FROM rollup_inspection "
            f"WHERE answers > 0 AND k_from < k_until"
        )
        self._execute(
            f"INSERT INTO rollup_span (street_id, k_from, k_until, met) "
            f"SELECT street_id, {self.greatest}(k_from, k_notice), {self.least}(k_until, k_revoked), 1 "
            f"FROM rollup_inspection WHERE passed = 1 AND objected = 0 "
            f"AND {self.greatest}(k_from, k_notice) < {self.least}(k_until, k_revoked)"
        )
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
        objections, objection_params = queryset.query.sql_with_params()
        # Blocking from the day it was received until the local day it was dismissed, or for good while pending
        # or once upheld (NULL).
        self._execute(
            f"INSERT INTO rollup_span (street_id, k_from, k_until, met) "
            f"SELECT i.street_id, d.k, d.k + 1, 1 FROM rollup_inspection i "
            f"JOIN rollup_day d ON d.k >= {self.greatest}(i.k_from, i.k_notice) "
            f"AND d.k < {self.least}(i.k_until, i.k_revoked) "
            f"WHERE i.passed = 1 AND i.objected = 1 AND NOT EXISTS (SELECT 1 FROM ({objections}) o "
            f"WHERE o.inspection_id = i.id AND o.received_on <= d.day "
            f"AND (o.blocks_until IS NULL OR o.blocks_until > d.day))",
            objection_params,
        )
        self._analyze("rollup_span", "street_id, k_from, k_until")

    def _enrolments(self, kind: str | None) -> tuple[str, list[Any]]:
        """The campaign's enrolments (of `kind`, or all) on the roster, merged per community where they overlap:
        (community_id, street_id, k_from, k_until), as a query and its parameters."""
        params: list[Any] = [self.campaign.pk]
        which = ""
        if kind is not None:
            which, params = " AND e.kind = %s", [*params, kind]
        spans = (
            f"SELECT e.community_id, c.street_id, "
            f"{self.greatest}({self._position('e.joined_on', empty='0')}, c.k_from) AS k_from, "
            f"{self.least}({self._position('e.withdrawn_on', empty=str(self.n))}, c.k_until) AS k_until "
            f"FROM {_table(Enrolment)} e JOIN rollup_community c ON c.id = e.community_id "
            f"WHERE e.campaign_id = %s{which}"
        )
        ordered = "PARTITION BY s.community_id ORDER BY s.k_from, s.k_until"
        reach = (
            f"SELECT s.*, MAX(s.k_until) OVER ({ordered} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach "
            f"FROM ({spans}) s WHERE s.k_from < s.k_until"
        )
        islands = (
            f"SELECT s.*, SUM(CASE WHEN s.reach IS NULL OR s.k_from > s.reach THEN 1 ELSE 0 END) "
            f"OVER ({ordered} ROWS UNBOUNDED PRECEDING) AS island FROM ({reach}) s"
        )
        return (
            f"SELECT s.community_id, s.street_id, MIN(s.k_from) AS k_from, MAX(s.k_until) AS k_until "
            f"FROM ({islands}) s GROUP BY s.community_id, s.street_id, s.island",
            params,
        )

    def _assessed_spans(self) -> None:
        """Self-assessed (`selectors.self_assessed_communities`): each community's reported self-assessments in
        month order, each in force from its month until the next reported one's (a month without a report carries
        it forward); those that meet count while the community takes part, so a withdrawal ends them."""
        reported, params = (
            reported_assessments(campaign=self.campaign)
            .order_by()
            .values("community_id", "period", "stage")
            .query.sql_with_params()
        )
        latest = (
            f"SELECT r.community_id, r.stage, r.period, "
            f"LEAD(r.period) OVER (PARTITION BY r.community_id ORDER BY r.period) AS until_period FROM ({reported}) r"
        )
        k_from = f"{self.greatest}({self._position('a.period', empty='0')}, p.k_from)"
        k_until = f"{self.least}({self._position('a.until_period', empty=str(self.n))}, p.k_until)"
        self._execute(
            f"INSERT INTO rollup_span (street_id, k_from, k_until, self_assessed) "
            f"SELECT p.street_id, {k_from}, {k_until}, 1 FROM ({latest}) a "
            f"JOIN rollup_participation p ON p.community_id = a.community_id "
            f"WHERE a.stage = %s AND {k_from} < {k_until}",
            [*params, SelfAssessment.Stage.MEETS],
        )

    # --- the figures where they change ------------------------------------------------------------------------

    def _changes(self) -> None:
        """Each unit's figures at the date numbers where they change (and at 0): a running sum of the spans'
        edges for street-level units; for districts and the city, of their members' changes. Pilot coverage counts
        街道 only (towns and the like are shown, not counted).

        The item results change only with inspections, so they are summed apart over the inspections' spans
        (`_item_changes`), and each change row points at the item row in force on its date (`item_k`). Every
        inspection's edge also changes `answers` here, so no item row starts between two change rows."""
        self._item_changes()
        counts = [*SPAN_COUNTS, *DISTRICT_COUNTS]
        self._execute(
            "CREATE TEMPORARY TABLE rollup_change (level integer, unit_id integer, k integer, k_next integer, "
            + ", ".join(f"{c} integer" for c in counts)
            + ", item_k integer, items_hash varchar(32))"
        )
        values = ", ".join(SPAN_COUNTS)
        negated = ", ".join(f"-{c}" for c in SPAN_COUNTS)
        self._insert_changes(
            Level.STREET,
            f"SELECT street_id AS unit_id, k_from AS k, {values} FROM rollup_span WHERE k_from < k_until "
            f"UNION ALL SELECT street_id, k_until, {negated} FROM rollup_span "
            f"WHERE k_from < k_until AND k_until < {self.n} "
            f"UNION ALL SELECT id, 0, {', '.join('0' for _ in SPAN_COUNTS)} FROM {_table(Street)}",
            pilot=f"CASE WHEN s.kind = '{Street.Kind.SUBDISTRICT}' AND x.pilots > 0 THEN 1 ELSE 0 END",
            join=f"JOIN {_table(Street)} s ON s.id = x.unit_id",
        )
        zeros = ", ".join("0" for _ in counts)
        reports, params = self._report_edges(counts)
        self._insert_changes(
            Level.DISTRICT,
            f"SELECT s.district_id AS unit_id, x.k, {', '.join(f'x.{c}' for c in counts)} "
            f"FROM ({self._member_changes('rollup_change', Level.STREET, counts)}) x "
            f"JOIN {_table(Street)} s ON s.id = x.unit_id "
            f"UNION ALL {reports} "
            f"UNION ALL SELECT id, 0, {zeros} FROM {_table(District)}",
            pilot="x.streets_with_pilot",
            params=params,
        )
        self._insert_changes(
            Level.CITY,
            f"SELECT 0 AS unit_id, k, {', '.join(counts)} "
            f"FROM ({self._member_changes('rollup_change', Level.DISTRICT, counts)}) x "
            f"UNION ALL SELECT 0, 0, {zeros}",
            pilot="x.streets_with_pilot",
        )
        self._analyze("rollup_change", "level, unit_id, k")

    def _running(self, edges: str, values: Sequence[str]) -> str:
        """Running sums of `edges` (unit_id, k, `values`…) per unit: one row per unit and date number where one of
        them has an edge, lasting until the unit's next such row (k_next) or to the end."""
        running = ", ".join(f"SUM(SUM(e.{c})) OVER w AS {c}" for c in values)
        return (
            f"SELECT e.unit_id, e.k, LEAD(e.k, 1, {self.n}) OVER w AS k_next, {running} FROM ({edges}) e "
            f"GROUP BY e.unit_id, e.k WINDOW w AS (PARTITION BY e.unit_id ORDER BY e.k)"
        )

    def _member_changes(self, table: str, level: str, values: Sequence[str]) -> str:
        """The changes of `table`'s rows of `level` as edges: each row's values less the same unit's before."""
        diffs = ", ".join(f"{c} - LAG({c}, 1, 0) OVER (PARTITION BY unit_id ORDER BY k) AS {c}" for c in values)
        return f"SELECT unit_id, k, {diffs} FROM {table} WHERE level = {NUMBER[level]}"

    def _insert_changes(
        self, level: str, edges: str, *, pilot: str, join: str = "", params: Sequence[Any] = ()
    ) -> None:
        """The running sums of `edges` for `level`'s units, with the item row in force at each."""
        summed = [*SPAN_COUNTS] + (list(DISTRICT_COUNTS) if level != Level.STREET else [])
        reports = "x.reports_submitted, x.reports_timely" if level != Level.STREET else "0, 0"
        self._execute(
            f"INSERT INTO rollup_change (level, unit_id, k, k_next, {', '.join([*SPAN_COUNTS, *DISTRICT_COUNTS])}, "
            f"item_k, items_hash) SELECT {NUMBER[level]}, x.unit_id, x.k, x.k_next, "
            f"{', '.join(f'x.{c}' for c in SPAN_COUNTS)}, {pilot}, {reports}, i.k, i.items_hash "
            f"FROM ({self._running(edges, summed)}) x {join} "
            f"LEFT JOIN rollup_item i ON i.level = {NUMBER[level]} AND i.unit_id = x.unit_id "
            f"AND i.k <= x.k AND x.k < i.k_next",
            params,
        )

    def _item_changes(self) -> None:
        """Per unit, its item results where they change: running sums of the latest inspections' answers (how
        many, and per item how many meet and how many apply), over the inspections' spans alone, with the
        results as JSON ({"1": [meets, answered], …}) and their hash. A unit without an inspection has no row."""
        values = self.item_sums
        self._execute(
            "CREATE TEMPORARY TABLE rollup_item (level integer, unit_id integer, k integer, k_next integer, "
            + ", ".join(f"{c} integer" for c in values)
            + ", items "
            + ("jsonb" if self.postgresql else "text")
            + ", items_hash varchar(32))"
        )
        inspected = "answers > 0 AND k_from < k_until"
        self._insert_items(
            Level.STREET,
            f"SELECT street_id AS unit_id, k_from AS k, {', '.join(values)} FROM rollup_span WHERE {inspected} "
            f"UNION ALL SELECT street_id, k_until, {', '.join(f'-{c}' for c in values)} FROM rollup_span "
            f"WHERE {inspected} AND k_until < {self.n}",
        )
        self._insert_items(
            Level.DISTRICT,
            f"SELECT s.district_id AS unit_id, x.k, {', '.join(f'x.{c}' for c in values)} "
            f"FROM ({self._member_changes('rollup_item', Level.STREET, values)}) x "
            f"JOIN {_table(Street)} s ON s.id = x.unit_id",
        )
        self._insert_items(
            Level.CITY,
            f"SELECT 0 AS unit_id, k, {', '.join(values)} "
            f"FROM ({self._member_changes('rollup_item', Level.DISTRICT, values)}) x",
        )
        self._analyze("rollup_item", "level, unit_id, k")

    def _insert_items(self, level: str, edges: str) -> None:
        """The running sums of `edges` for `level`'s units, with their results as JSON and its hash."""
        values = self.item_sums
        pairs = " || ', ' || ".join(f"'\"{n}\": [' || x.m{n} || ', ' || x.a{n} || ']'" for n in self.numbers)
        results = f"CASE WHEN x.answers > 0 THEN '{{' || {pairs} || '}}' END" if pairs else "NULL"
        fence = " OFFSET 0" if self.postgresql else ""  # the results' text is built once, then stored and hashed
        self._execute(
            f"INSERT INTO rollup_item (level, unit_id, k, k_next, {', '.join(values)}, items, items_hash) "
            f"SELECT {NUMBER[level]}, t.unit_id, t.k, t.k_next, {', '.join(f't.{c}' for c in values)}, "
            f"{'CAST(t.results AS jsonb)' if self.postgresql else 't.results'}, MD5(t.results) "
            f"FROM (SELECT x.*, {results} AS results FROM ({self._running(edges, values)}) x{fence}) t"
        )

    # --- which dates to compute again -------------------------------------------------------------------------

    def _hash(self, columns: Sequence[str]) -> str:
        """A hash of `columns` as an integer that can be negated and summed per date without overflowing: 63 bits
        on PostgreSQL (its 64-bit hash halved), 40 on SQLite."""
        if self.postgresql:
            return f"(hash_record_extended(ROW({', '.join(columns)}), 0) >> 1)"
        return f"rollup_hash({', '.join(columns)})"  # registered in `reporting.apps`

    def _sums(self, edges: str) -> dict[int, Any]:
        """The running sum over the date numbers of `edges` (k, h): the sum of what is in force on each date."""
        self._execute(f"SELECT e.k, SUM(e.h) FROM ({edges}) e GROUP BY e.k")
        deltas = dict(self.cursor.fetchall())
        running, total = {}, 0
        for k in range(self.n):
            total += deltas.get(k) or 0
            running[k] = total
        return running

    def _inputs(self) -> dict[int, tuple]:
        """Per date number, a digest of everything its figures are computed from: the sum of the hashes of the
        change rows in force on it (every count, the item results' hash), of the communities on the roster
        (which street each is in)."""
        change = self._hash(["level", "unit_id", *SPAN_COUNTS, *DISTRICT_COUNTS, "items_hash"])
        changes = self._sums(
            f"SELECT k, {change} AS h FROM rollup_change "
            f"UNION ALL SELECT k_next, -{change} FROM rollup_change WHERE k_next < {self.n}"
        )
        community = self._hash(["id", "street_id"])
        roster = self._sums(
            f"SELECT k_from AS k, {community} AS h FROM rollup_community WHERE k_from < k_until "
            f"UNION ALL SELECT k_until, -{community} FROM rollup_community WHERE k_from < k_until AND k_until < {self.n}"
        )
        return {k: (str(changes[k]), str(roster[k])) for k in range(self.n)}

    def _plan(self) -> Plan:
        """Which stored dates to compute again: those whose key — a hash of every input of their figures and of
        the pace's date, of the units and of this code — differs from the one stored with their snapshots, and
        those whose rows are not all there (one row per unit). The others' rows are left as they are: a nightly
        run computes the dates its changes reach, not every month since the campaign began. `force` computes
        every date again, whatever its key.

        Only the dates computed again and the dates their pace reads are expanded to every unit; the pace then
        reads its earlier figures `back` rows before among those (`rollup_day.back`). Returns the keys of the
        dates computed again and how many units there are; marks those dates in `rollup_day`."""
        inputs = self._inputs()
        self._execute(
            f"SELECT COUNT(*), SUM({self._hash(['level', 'unit_id', 'code', 'name', 'parent_code', 'streets'])}) "
            f"FROM rollup_unit"
        )
        unit_count, units = self.cursor.fetchone()
        common = (SOURCE, self.items, self.city_code, self.city_name, unit_count, str(units))
        index = {day.on: k for k, day in enumerate(self.days)}
        then = {k: index[day.then] for k, day in enumerate(self.days) if day.then in index}
        keys = {}
        for k, day in enumerate(self.days):
            if day.store:
                own = (day.on, day.then, day.span, day.ahead, day.target_share, day.target_due_on, day.at_risk_share)
                payload = (
                    common,
                    own,
                    tuple(day.expected_periods),
                    inputs[k],
                    inputs[then[k]] if k in then and then[k] in inputs else None,
                )
                keys[k] = hashlib.sha256(repr(payload).encode()).hexdigest()
        known = dict(
            RollupKey.objects.filter(campaign=self.campaign, on__in=[self.days[k].on for k in keys]).values_list(
                "on", "key"
            )
        )
        q = connection.ops.quote_name
        self._execute(
            f"SELECT s.{q('on')}, COUNT(*) FROM {_table(ProgressSnapshot)} s WHERE s.campaign_id = %s "
            f"AND s.{q('on')} IN (SELECT day FROM rollup_day WHERE store = 1) GROUP BY s.{q('on')}",
            [self.campaign.pk],
        )
        rows = {str(on)[:10]: count for on, count in self.cursor.fetchall()}
        dirty = {
            k
            for k, key in keys.items()
            if self.force or known.get(self.days[k].on) != key or rows.get(self.days[k].on.isoformat()) != unit_count
        }
        needed = sorted(dirty | {then[k] for k in dirty if k in then})
        position = {k: p for p, k in enumerate(needed)}
        updates = []
        for k in range(self.n):
            back = position[k] - position[then[k]] if k in position and then.get(k) in position else 0
            updates.append((int(k in dirty), int(k in position), back, k))
        self.cursor.executemany("UPDATE rollup_day SET dirty = %s, needed = %s, back = %s WHERE k = %s", updates)
        return Plan(keys={self.days[k].on: keys[k] for k in dirty}, unit_count=unit_count)

    # --- the units, and the figures that are not spans --------------------------------------------------------

    def _units(self) -> None:
        """Every unit: its code, name, parent's code, and how many 街道 it has."""
        self._execute(
            "CREATE TEMPORARY TABLE rollup_unit (level integer, unit_id integer, level_name varchar(8), code varchar(12), "
            "name varchar(100), parent_code varchar(12), streets integer, PRIMARY KEY (level, unit_id))"
        )
        subdistrict = f"CASE WHEN s.kind = '{Street.Kind.SUBDISTRICT}' THEN 1 ELSE 0 END"
        self._execute(
            f"INSERT INTO rollup_unit SELECT {NUMBER[Level.STREET]}, s.id, '{Level.STREET}', s.code, s.name, t.code, {subdistrict} "
            f"FROM {_table(Street)} s JOIN {_table(District)} t ON t.id = s.district_id"
        )
        self._execute(
            f"INSERT INTO rollup_unit SELECT {NUMBER[Level.DISTRICT]}, t.id, '{Level.DISTRICT}', t.code, t.name, %s, "
            f"(SELECT COUNT(*) FROM {_table(Street)} s WHERE s.district_id = t.id AND s.kind = %s) "
            f"FROM {_table(District)} t",
            [self.city_code, Street.Kind.SUBDISTRICT],
        )
        self._execute(
            f"INSERT INTO rollup_unit SELECT {NUMBER[Level.CITY]}, 0, '{Level.CITY}', %s, %s, '', "
            f"(SELECT COUNT(*) FROM {_table(Street)} s WHERE s.kind = %s)",
            [self.city_code, self.city_name, Street.Kind.SUBDISTRICT],
        )
        self._analyze("rollup_unit")

    def _report_edges(self, members: list[str]) -> tuple[str, Sequence[Any]]:
        """Each district's monthly report as an edge (district, k, … submitted, on time): counted from the first
        date that expects its month and is on or after the local day it was first submitted (`reporting_rates`)."""
        reports = (
            Report.objects.order_by()
            .filter(campaign=self.campaign, kind=Report.Kind.MONTHLY, district__isnull=False)
            .annotate(first_on=TruncDate("first_submitted_at", tzinfo=LOCAL))
            .values("district_id", "period", "due_on", "first_on")
        )
        sql, params = reports.query.sql_with_params()
        values = {
            "reports_submitted": "1",
            "reports_timely": "CASE WHEN r.first_on <= r.due_on THEN 1 ELSE 0 END",
        }
        k_from = f"{self.greatest}(x.k, {self._position('r.first_on', empty=str(self.n))})"
        return (
            f"SELECT r.district_id, {k_from}, {', '.join(values.get(c, '0') for c in members)} "
            f"FROM ({sql}) r JOIN rollup_expected x ON x.period = r.period "
            f"WHERE {k_from} < {self.n}",
            params,
        )

    # --- judging and storing ----------------------------------------------------------------------------------

    def _rows(self) -> str:
        """Every unit of every stored date, judged: the rows to store, as one query.

        The figures of each date come from the unit's latest change on or before it. The rule (the only statement
        of it): the met share is met ÷ roster, rounded to 4 places. A unit without urban communities, or a date
        without a target, has no projection and status "none". Once the target's date has come, the share itself is
        judged: on track if it reaches the target, else behind. Before it, the share is projected to the target's
        date at the pace of the months since `then` (three months earlier, or the campaign's start when every share
        was 0), and so is the share self-assessed as meeting, which leads the met share (acceptance comes in a
        year-end batch); the projection is the higher of the two, kept within 0 and 1: on track if it reaches the
        target, at risk if it reaches `at_risk_share` (85% of it), else behind. The pace's earlier shares are the same
        unit's `back` dates earlier among the dates computed in this run."""
        fence = " OFFSET 0" if self.postgresql else ""  # PostgreSQL would otherwise compute each projection per use
        share = "CASE WHEN {r} > 0 THEN ROUND({p} * 1.0 / {r}, 4) ELSE 0 END"
        # Narrow until the pace is read: that needs the rows in order, and sorting carries every column. The
        # item results join afterwards, for the rows written.
        grid = (
            f"SELECT c.level, c.unit_id, d.k, d.then_k, d.back, d.day, d.dirty, d.span, d.ahead, d.target_share, "
            f"d.target_due_on, d.at_risk_share, "
            f"CASE c.level WHEN {NUMBER[Level.STREET]} THEN 0 WHEN {NUMBER[Level.DISTRICT]} THEN d.expected "
            f"ELSE d.expected * (SELECT COUNT(*) FROM rollup_unit WHERE level = {NUMBER[Level.DISTRICT]}) END "
            f"AS reports_expected, c.item_k, c.roster, c.participating, "
            f"c.pilots, c.streets_with_pilot, c.met, c.reports_submitted, c.reports_timely, c.items_hash, "
            f"c.self_assessed, {share.format(r='c.roster', p='c.met')} AS share, "
            f"{share.format(r='c.roster', p='c.self_assessed')} AS assessed "
            f"FROM rollup_change c JOIN rollup_day d ON d.k >= c.k AND d.k < c.k_next AND d.needed = 1{fence}"
        )
        then = "CASE WHEN g.then_k IS NULL THEN 0 ELSE COALESCE(LAG(g.{c}, g.back) OVER w, 0) END AS {c}_then"
        paced = (
            f"SELECT g.*, {then.format(c='share')}, {then.format(c='assessed')} FROM ({grid}) g "
            f"WINDOW w AS (PARTITION BY g.level, g.unit_id ORDER BY g.k)"
        )
        pace = "CASE WHEN s.span > 0 THEN s.{now} + (s.{now} - s.{now}_then) / s.span * s.ahead ELSE s.{now} END"
        projected = (
            f"SELECT s.*, {pace.format(now='share')} AS by_met, {pace.format(now='assessed')} AS by_assessed "
            f"FROM ({paced}) s WHERE s.dirty = 1{fence}"
        )
        g, least = self.greatest, self.least
        clamped = f"ROUND({least}({g}({g}(p.by_met, p.by_assessed), 0), 1), 4)"
        judged = (
            f"SELECT p.*, CASE WHEN p.target_share IS NULL OR p.target_due_on IS NULL OR p.roster = 0 THEN NULL "
            f"WHEN p.day >= p.target_due_on THEN p.share ELSE {clamped} END AS projected FROM ({projected}) p{fence}"
        )
        status = (
            f"CASE WHEN j.projected IS NULL THEN '{Status.NONE}' "
            f"WHEN j.day >= j.target_due_on THEN CASE WHEN j.share >= j.target_share "
            f"THEN '{Status.ON_TRACK}' ELSE '{Status.BEHIND}' END "
            f"WHEN j.projected >= j.target_share THEN '{Status.ON_TRACK}' "
            f"WHEN j.projected >= j.at_risk_share THEN '{Status.AT_RISK}' ELSE '{Status.BEHIND}' END"
        )
        # Every figure the stored row holds. PostgreSQL hashes them as they are (64 bits: a collision among a
        # unit's rows is not a practical concern); SQLite hashes them as text, the unit's name last (the only free
        # text, so no two rows read alike). Each database only compares with what it wrote itself.
        figures = [
            "u.parent_code",
            *(f"j.{c}" for c in COUNTS if c != "streets"),
            "u.streets",
            "j.share",
            "j.target_share",
            "j.target_due_on",
            "j.projected",
            status,
            "j.items_hash",
            "u.name",
        ]
        if self.postgresql:
            fingerprint = f"CAST(hash_record_extended(ROW({', '.join(figures)}), 0) AS text)"
        else:
            fingerprint = "MD5(" + " || '|' || ".join(f"COALESCE(CAST({f} AS TEXT), '-')" for f in figures) + ")"
        return (
            f"SELECT j.day AS day, u.level_name AS level, u.code AS code, j.roster AS roster, "
            f"j.participating AS participating, j.pilots AS pilots, u.streets AS streets, j.streets_with_pilot AS streets_with_pilot, "
            f"j.self_assessed AS self_assessed, j.met AS met, j.reports_expected AS reports_expected, "
            f"j.reports_submitted AS reports_submitted, j.reports_timely AS reports_timely, j.share AS met_share, "
            f"j.target_share AS target_share, j.target_due_on AS target_due_on, j.projected AS projected_share, "
            f"{status} AS status, j.level AS level_number, j.unit_id AS unit_id, j.item_k AS item_k, "
            f"{fingerprint} AS fingerprint "
            f"FROM ({judged}) j JOIN rollup_unit u ON u.level = j.level AND u.unit_id = j.unit_id"
        )

    def _store(self) -> None:
        """Rewrite the stored rows of the dates computed again whose figures changed, add the new ones, remove
        those of units that no longer exist: set-based, so a run touches what moved. A row's figures are compared
        through its fingerprint, one column instead of twenty. The city's rows are always rewritten: their
        `computed_at` tells when the figures were last checked."""
        q = connection.ops.quote_name
        table = _table(ProgressSnapshot)
        now = connection.ops.adapt_datetimefield_value(self.now)
        # Every join here but the dates' ranges pairs hundreds of thousands of rows by equality; the planner,
        # misjudging the sizes of what the window yields, would otherwise probe an index once per row.
        with planner_settings(enable_nestloop="off"):
            self._diff(table, q)
        self._write(table, q, now)

    def _diff(self, table: str, q: Any) -> None:
        # One pass pairs each row with the stored one: new, changed, or stored for a unit that is gone (a street
        # merged away). Only the rows kept fetch their names and item results.
        stored = (
            f"SELECT s.id, s.{q('on')} AS day, s.{q('level')} AS level, s.unit_code, s.fingerprint FROM {table} s "
            f"WHERE s.campaign_id = %s AND s.{q('on')} IN (SELECT day FROM rollup_day WHERE dirty = 1)"
        )
        empty = "CAST('{}' AS jsonb)" if self.postgresql else "'{}'"
        differs = "IS DISTINCT FROM" if self.postgresql else "IS NOT"
        self._execute(
            f"CREATE TEMPORARY TABLE rollup_diff AS SELECT d.*, u.name AS unit_name, u.parent_code AS parent_code, "
            f"COALESCE(i.items, {empty}) AS item_results "
            f"FROM (SELECT r.*, s.id AS stored_id FROM ({self._rows()}) r FULL JOIN ({stored}) s "
            f"ON s.day = r.day AND s.level = r.level AND s.unit_code = r.code "
            f"WHERE s.id IS NULL OR r.code IS NULL OR r.level = %s OR s.fingerprint {differs} r.fingerprint) d "
            f"LEFT JOIN rollup_unit u ON u.level = d.level_number AND u.unit_id = d.unit_id "
            f"LEFT JOIN rollup_item i ON i.level = d.level_number AND i.unit_id = d.unit_id AND i.k = d.item_k",
            [self.campaign.pk, Level.CITY],
        )

    def _write(self, table: str, q: Any, now: Any) -> None:
        written = (*COMPARED, "fingerprint")
        self._execute(
            f"DELETE FROM {table} WHERE id IN (SELECT stored_id FROM rollup_diff WHERE code IS NULL)",
        )
        self._execute(
            f"UPDATE {table} SET {', '.join(f'{q(name)} = d.{name}' for name in written)}, computed_at = %s "
            f"FROM rollup_diff d WHERE d.stored_id = {table}.id AND d.code IS NOT NULL",
            [now],
        )
        columns = ", ".join(q(name) for name in ("campaign_id", "on", "level", "unit_code", *written, "computed_at"))
        self._execute(
            f"INSERT INTO {table} ({columns}) SELECT %s, d.day, d.level, d.code, "
            f"{', '.join(f'd.{name}' for name in written)}, %s FROM rollup_diff d WHERE d.stored_id IS NULL",
            [self.campaign.pk, now],
        )

    def _keep(self, keys: dict[datetime.date, str]) -> None:
        """What every run does besides: record the keys of the dates computed again (`keys`); mark the city's rows of the
        others as checked now; with `only_these`, remove the snapshots and keys of every other date."""
        q = connection.ops.quote_name
        table = _table(ProgressSnapshot)
        self._execute(
            f"UPDATE {table} SET computed_at = %s WHERE campaign_id = %s AND {q('level')} = %s "
            f"AND {q('on')} IN (SELECT day FROM rollup_day WHERE store = 1 AND dirty = 0)",
            [connection.ops.adapt_datetimefield_value(self.now), self.campaign.pk, Level.CITY],
        )
        stored = [day.on for day in self.days if day.store]
        if self.only_these:
            self._execute(
                f"DELETE FROM {table} WHERE campaign_id = %s "
                f"AND {q('on')} NOT IN (SELECT day FROM rollup_day WHERE store = 1)",
                [self.campaign.pk],
            )
            RollupKey.objects.filter(campaign=self.campaign).exclude(on__in=stored).delete()
        RollupKey.objects.bulk_create(
            [RollupKey(campaign=self.campaign, on=on, key=key) for on, key in keys.items()],
            update_conflicts=True,
            unique_fields=["campaign", "on"],
            update_fields=["key"],
        )
