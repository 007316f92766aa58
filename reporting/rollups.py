"""The progress rollups: the campaign's figures for the city, every district and every street-level unit as of a
date, stored as `ProgressSnapshot` rows that the dashboards, bulletins and the API read.

Set-based: for one date a fixed handful of GROUP BY queries give each street-level unit's counts, however many
communities there are; districts and the city are the sums of their streets, added up here over those rows (a
loop over units, never over communities). The rows are upserted in one transaction per date, keyed by (campaign,
date, level, unit), so a repeated or retried run rewrites the same rows and never adds copies.
"""

from __future__ import annotations

import calendar
import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from districts.models import District, Street
from standards.acceptance import latest_signed, met_inspections
from standards.models import InspectionAnswer, SelfAssessment, StandardItem, period_start

from .models import Campaign, Enrolment, Milestone, ProgressSnapshot, RollupRequest
from .selectors import active_enrolments, campaign_months, month_end, roster_communities
from .timeliness import reporting_rates

# The division list has no row for the city itself; its snapshot goes under the province-level code.
CITY_CODE, CITY_NAME = "12", "天津市"
# A unit whose projection reaches this share of the target is at risk rather than behind.
AT_RISK_FROM = Decimal("0.85")
# The pace is measured over this many months before the date.
PACE_MONTHS = 3
SHARE_PLACES = Decimal("0.0001")
# How long a recalculation stays "pending" before a new request may schedule another (a lost task heals itself).
REQUEST_STALE_AFTER = datetime.timedelta(minutes=15)
REQUEST_DELAY_SECONDS = 60
TODAY_REQUEST = "today"

Level = ProgressSnapshot.Level
Status = ProgressSnapshot.Status
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
KEY_FIELDS = ("campaign", "on", "level", "unit_code")
COLUMNS = (
    "campaign_id",
    "on",
    "level",
    "unit_code",
    "unit_name",
    "parent_code",
    *COUNTS,
    "met_share",
    "target_share",
    "target_due_on",
    "projected_share",
    "status",
    "item_results",
    "computed_at",
)
UPDATED = COLUMNS[4:]


# --- dates ----------------------------------------------------------------------------------------------------


def rollup_dates(campaign: Campaign, today: datetime.date) -> list[datetime.date]:
    """Every month's end from the campaign's first month up to `today` (or the campaign's end, if sooner), and
    that last day itself when it is not a month's end."""
    last = min(today, campaign.ends_on)
    if last < campaign.starts_on:
        return []
    dates = [month_end(month) for month in campaign_months(campaign, until=last) if month_end(month) <= last]
    if not dates or dates[-1] != last:
        dates.append(last)
    return dates


def months_between(start: datetime.date, end: datetime.date) -> Decimal:
    """Calendar months from `start` to `end`: whole months plus each day as a fraction of its month, so from one
    month's end to another's is a whole number (31 Aug → 30 Nov is 3)."""
    whole = (end.year - start.year) * 12 + end.month - start.month
    return whole + _month_fraction(end) - _month_fraction(start)


def _month_fraction(day: datetime.date) -> Decimal:
    return Decimal(day.day) / calendar.monthrange(day.year, day.month)[1]


def _months_back(on: datetime.date, months: int) -> datetime.date:
    """The end of the month `months` before `on`'s month."""
    index = on.year * 12 + on.month - 1 - months
    return month_end(datetime.date(index // 12, index % 12 + 1, 1))


# --- judging progress against the milestone -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    share: Decimal | None = None
    due_on: datetime.date | None = None


def target_for(milestones: Iterable[Milestone], on: datetime.date) -> Target:
    """The first met-share milestone due on or after `on`, else the last one; none when the campaign has none."""
    shares = sorted(
        (m for m in milestones if m.kind == Milestone.Kind.MET_SHARE and m.target_share is not None),
        key=lambda m: m.due_on,
    )
    chosen = next((m for m in shares if m.due_on >= on), shares[-1] if shares else None)
    return Target(share=Decimal(chosen.target_share), due_on=chosen.due_on) if chosen else Target()


def share_of(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part) / whole).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Earlier:
    """A unit's met share at an earlier date, from which the pace is measured."""

    on: datetime.date
    share: Decimal
    self_assessed: Decimal = Decimal(0)


def judge(
    *,
    share: Decimal,
    roster: int,
    on: datetime.date,
    target: Target,
    earlier: Earlier,
    self_assessed: Decimal = Decimal(0),
) -> tuple[Decimal | None, str]:
    """(projected share at the target date, status).

    Once the target date has come, the share itself is judged. Before it, the share is projected at the pace of
    the months since `earlier`: on track if the projection reaches the target, at risk if it reaches
    AT_RISK_FROM of it, else behind. Acceptance comes in a year-end batch, so the met share stands still for most of
    the year; the share self-assessed as meeting (what the next round will inspect) leads it. The projection is the
    higher of the two, each at its own pace. A unit without urban communities, or a campaign without a target,
    has none.
    """
    if target.share is None or target.due_on is None or not roster:
        return None, Status.NONE
    if on >= target.due_on:
        return share, Status.ON_TRACK if share >= target.share else Status.BEHIND
    span = months_between(earlier.on, on)
    ahead = months_between(on, target.due_on)

    def projection(now: Decimal, then: Decimal) -> Decimal:
        pace = (now - then) / span if span > 0 else Decimal(0)
        return now + pace * ahead

    projected = max(projection(share, earlier.share), projection(self_assessed, earlier.self_assessed))
    projected = min(max(projected, Decimal(0)), Decimal(1)).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)
    if projected >= target.share:
        return projected, Status.ON_TRACK
    if projected >= target.share * AT_RISK_FROM:
        return projected, Status.AT_RISK
    return projected, Status.BEHIND


# --- the figures ----------------------------------------------------------------------------------------------


@dataclass
class Unit:
    level: str
    code: str
    name: str
    parent_code: str = ""
    counts: list[int] = field(default_factory=lambda: [0] * len(COUNTS))  # in the order of COUNTS
    # [answers, meets of the first item, answered of the first item, meets of the second, ...] in item order;
    # empty while no community of the unit has a signed inspection.
    items: list[int] = field(default_factory=list)

    def add(self, other: Unit) -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        if other.items:
            self.items = [a + b for a, b in zip(self.items, other.items, strict=True)] if self.items else other.items


ROSTER, PARTICIPATING, PILOTS, STREETS, STREETS_WITH_PILOT, SELF_ASSESSED, MET = range(7)
REPORTS = slice(7, 10)


def _item_results_format(numbers: list[int]) -> str:
    """A format for the item results as JSON, {"1": [meets, answered], ...}; filled from `Unit.items`, it writes
    44,000 units' results in a fraction of the time building and encoding dictionaries takes."""
    return "{" + ", ".join(f'"{number}": [%d, %d]' for number in numbers) + "}"


@dataclass(frozen=True)
class Divisions:
    """The units a rollup writes: (id, code, name, kind, district id) of each street, (id, code, name) of each
    district. Loaded once for a run over many dates."""

    streets: list[tuple[int, str, str, str, int]]
    districts: list[tuple[int, str, str]]

    @classmethod
    def load(cls) -> Divisions:
        return cls(
            streets=list(Street.objects.order_by("code").values_list("id", "code", "name", "kind", "district_id")),
            districts=list(District.objects.order_by("code").values_list("id", "code", "name")),
        )


def _by_street(queryset: QuerySet) -> dict[int, tuple[int, ...]]:
    """A grouped count query's rows by street id, as the database returns them: only integers here, so Django's
    per-value converters (seconds at national size) are skipped."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def street_figures(
    *, campaign: Campaign, on: datetime.date, items: list[tuple[int, int]]
) -> dict[int, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Each street-level unit's (roster, participating, pilots, self-assessed, met) and item answers (see
    `Unit.items`) as of `on`, from five GROUP BY queries whatever the number of communities.

    `items` are the standard's (id, number) in order. Units without urban communities are left out.
    """
    roster = roster_communities(campaign=campaign, on=on)
    in_roster = Q(community__in=roster)
    street = "community__street_id"

    sizes = _by_street(roster.order_by().values("street_id").annotate(n=Count("pk")).values_list("street_id", "n"))
    enrolled = _by_street(
        active_enrolments(campaign=campaign, on=on)
        .filter(in_roster)
        .order_by()
        .values(street)
        .annotate(
            participating=Count("community", distinct=True),
            pilots=Count("community", distinct=True, filter=Q(kind=Enrolment.Kind.PILOT)),
        )
        .values_list(street, "participating", "pilots")
    )
    # One self-assessment per community and month, one latest inspection per community: plain counts suffice.
    assessed = _by_street(
        SelfAssessment.objects.filter(in_roster, period=period_start(on), stage=SelfAssessment.Stage.MEETS)
        .order_by()
        .values(street)
        .annotate(n=Count("pk"))
        .values_list(street, "n")
    )
    met = _by_street(
        met_inspections(on).filter(in_roster).order_by().values(street).annotate(n=Count("pk")).values_list(street, "n")
    )
    # Every signed inspection answers every item, so a unit with any answers has a figure for each item.
    per_item: dict[str, Count] = {"answers": Count("pk")}
    for item_id, number in items:
        per_item[f"meets_{number}"] = Count("pk", filter=Q(item_id=item_id, result=InspectionAnswer.Result.MEETS))
        per_item[f"answered_{number}"] = Count(
            "pk", filter=Q(item_id=item_id) & ~Q(result=InspectionAnswer.Result.NOT_APPLICABLE)
        )
    answers = _by_street(
        InspectionAnswer.objects.filter(inspection__in=latest_signed(on).filter(in_roster).values("pk"))
        .order_by()
        .values("inspection__community__street_id")
        .annotate(**per_item)
        .values_list("inspection__community__street_id", *per_item)
    )
    return {
        street_id: (
            (size, *enrolled.get(street_id, (0, 0)), *assessed.get(street_id, (0,)), *met.get(street_id, (0,))),
            answers.get(street_id, ()),
        )
        for street_id, (size,) in sizes.items()
    }


def _earlier_shares(
    *, campaign: Campaign, on: datetime.date
) -> tuple[datetime.date, dict[tuple[str, str], tuple[Decimal, Decimal]]]:
    """The date PACE_MONTHS month-ends before `on` and each unit's (met, self-assessed) shares stored for it (none
    before the campaign began)."""
    then = _months_back(on, PACE_MONTHS)
    if then < campaign.starts_on:
        return then, {}
    rows = ProgressSnapshot.objects.filter(campaign=campaign, on=then).values_list(
        "level", "unit_code", "met_share", "self_assessed", "roster"
    )
    return then, {(level, code): (share, share_of(assessed, roster)) for level, code, share, assessed, roster in rows}


def _units(*, campaign: Campaign, on: datetime.date, divisions: Divisions, items: list[tuple[int, int]]) -> list[Unit]:
    """The city, then every district, then every street-level unit, with their counts as of `on`."""
    figures = street_figures(campaign=campaign, on=on, items=items)
    rates = {
        row.district.pk: row for row in reporting_rates(campaign=campaign, on=on, districts=District.objects.all())
    }
    city = Unit(Level.CITY, CITY_CODE, CITY_NAME)
    districts: dict[int, Unit] = {}
    for district_id, code, name in divisions.districts:
        district = districts[district_id] = Unit(Level.DISTRICT, code, name, parent_code=CITY_CODE)
        rate = rates.get(district_id)
        if rate is not None:
            district.counts[REPORTS] = [rate.expected, rate.submitted, rate.timely]
    streets = []
    no_figures = ((0, 0, 0, 0, 0), ())
    for street_id, code, name, kind, district_id in divisions.streets:
        (roster, participating, pilots, self_assessed, met), answers = figures.get(street_id, no_figures)
        # Pilot coverage counts 街道 only; towns and the like are shown, not counted. Streets file no reports.
        subdistrict = kind == Street.Kind.SUBDISTRICT
        with_pilot = int(subdistrict and pilots > 0)
        counts = [roster, participating, pilots, int(subdistrict), with_pilot, self_assessed, met, 0, 0, 0]
        street = Unit(Level.STREET, code, name, parent_code=districts[district_id].code, counts=counts)
        street.items = list(answers)
        districts[district_id].add(street)
        streets.append(street)
    for district in districts.values():
        city.add(district)
    return [city, *districts.values(), *streets]


def rollup_date(*, campaign: Campaign, on: datetime.date, divisions: Divisions | None = None) -> int:
    """Compute and store the snapshots of every unit as of `on`; returns how many rows were written.

    A fixed number of queries whatever the number of communities. The pace reads the snapshots of PACE_MONTHS
    month-ends earlier, so compute those first (`rollup_all` goes in date order); a unit without one is
    measured from the campaign's start, when its share was 0. Snapshots of units that no longer exist are removed.
    """
    divisions = divisions or Divisions.load()
    target = target_for(campaign.milestones.all(), on)
    then, shares_then = _earlier_shares(campaign=campaign, on=on)
    start = Earlier(on=campaign.starts_on - datetime.timedelta(days=1), share=Decimal(0))
    with transaction.atomic():
        _tune_postgresql()
        items = list(StandardItem.objects.order_by("number").values_list("id", "number"))
        item_results = _item_results_format([number for _id, number in items])
        now = timezone.now()
        rows = []
        for unit in _units(campaign=campaign, on=on, divisions=divisions, items=items):
            roster = unit.counts[ROSTER]
            share = share_of(unit.counts[MET], roster)
            stored = shares_then.get((unit.level, unit.code))
            earlier = start if stored is None else Earlier(on=then, share=stored[0], self_assessed=stored[1])
            projected, status = judge(
                share=share,
                roster=roster,
                on=on,
                target=target,
                earlier=earlier,
                self_assessed=share_of(unit.counts[SELF_ASSESSED], roster),
            )
            answered = item_results % tuple(unit.items[1:]) if unit.items and unit.items[0] else "{}"
            rows.append(
                (
                    campaign.pk,
                    on,
                    str(unit.level),
                    unit.code,
                    unit.name,
                    unit.parent_code,
                    *unit.counts,
                    share,
                    target.share,
                    target.due_on,
                    projected,
                    str(status),
                    answered,
                    now,
                )
            )
        _upsert(rows)
        # Every row of this run carries `now`; any other row for the date is a unit that no longer exists.
        ProgressSnapshot.objects.filter(campaign=campaign, on=on).exclude(computed_at=now).delete()
    return len(rows)


def _tune_postgresql() -> None:
    """For this transaction only: the rollup's queries look expensive to PostgreSQL's planner (correlated
    subqueries), so it would compile each one (JIT) at a cost above the query's own, and their sorts would spill
    to disk at the default work_mem."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")


def _upsert(rows: list[tuple[Any, ...]]) -> None:
    if connection.vendor == "postgresql":
        _upsert_postgresql(rows)
        return
    ProgressSnapshot.objects.bulk_create(
        [_snapshot(row) for row in rows],
        update_conflicts=True,
        unique_fields=list(KEY_FIELDS),
        update_fields=list(UPDATED),
    )


def _snapshot(row: tuple[Any, ...]) -> ProgressSnapshot:
    values = dict(zip(COLUMNS, row, strict=True))
    values["item_results"] = json.loads(values["item_results"])
    return ProgressSnapshot(**values)


def _upsert_postgresql(rows: list[tuple[Any, ...]]) -> None:
    """The same upsert as `bulk_create(update_conflicts=True)`, through COPY into a staging table.

    At national size (≈44,000 units a date) bulk_create spends seconds building and quoting parameters; COPY
    streams the rows in a fraction of that.
    """
    quote = connection.ops.quote_name
    table = quote(ProgressSnapshot._meta.db_table)
    columns = ", ".join(quote(name) for name in COLUMNS)
    keys = ", ".join(quote(ProgressSnapshot._meta.get_field(name).column) for name in KEY_FIELDS)
    updates = ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in UPDATED)
    with connection.cursor() as cursor:
        # Session-local and emptied at commit; TRUNCATE covers a run nested in an outer transaction.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS rollup_stage ON COMMIT DELETE ROWS AS "  # noqa: S608 — names from the model
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute("TRUNCATE rollup_stage")
        with cursor.cursor.copy(f"COPY rollup_stage ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM rollup_stage "  # noqa: S608 — names from the model
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
        )


def rollup_all(*, campaign: Campaign, today: datetime.date | None = None) -> int:
    """Compute every date of `rollup_dates` in date order; returns how many rows were written.

    Snapshots of other dates (an earlier run's "today") are removed, so the stored dates are exactly these.
    """
    dates = rollup_dates(campaign, today or timezone.localdate())
    divisions = Divisions.load()
    written = sum(rollup_date(campaign=campaign, on=on, divisions=divisions) for on in dates)
    ProgressSnapshot.objects.filter(campaign=campaign).exclude(on__in=dates).delete()
    return written


def rollup_latest(*, campaign: Campaign, today: datetime.date | None = None) -> int:
    """Recompute only the last date of `rollup_dates`: today, or the campaign's end once it is over."""
    dates = rollup_dates(campaign, today or timezone.localdate())
    return rollup_date(campaign=campaign, on=dates[-1]) if dates else 0


# --- asking for a recalculation after an event ----------------------------------------------------------------


def rollup_request() -> bool:
    """Ask for today's snapshots to be recomputed in about a minute, unless a recalculation is already pending.

    Called on commit after events that change the figures. Many events in a row start one run. The flag lives in the database, so it holds across web
    processes and workers; a request older than REQUEST_STALE_AFTER no longer blocks, in case its task was lost.
    Returns whether a run was scheduled.
    """
    now = timezone.now()
    claimed = (
        RollupRequest.objects.filter(key=TODAY_REQUEST)
        .filter(Q(pending=False) | Q(requested_at__lt=now - REQUEST_STALE_AFTER))
        .update(pending=True, requested_at=now)
    )
    if not claimed:
        _request, claimed = RollupRequest.objects.get_or_create(
            key=TODAY_REQUEST, defaults={"pending": True, "requested_at": now}
        )
    if claimed:
        from outbox.services import enqueue_now

        from .tasks import rollup_today

        # Through the outbox: with the broker down the run is sent later, not lost with the pending flag set.
        enqueue_now(rollup_today, countdown=REQUEST_DELAY_SECONDS)
    return bool(claimed)


def rollup_on_commit() -> None:
    """Call inside a service's transaction: `rollup_request` runs once it commits, once per transaction however
    many events it holds (a bulk import, the demo data), never while it is open and never if it rolls back."""
    db = transaction.get_connection()
    if db.in_atomic_block:
        # The transaction's pending on-commit callbacks: a new list after every commit or rollback, so finding it
        # remembered means this transaction already holds the request.
        callbacks = db.run_on_commit
        if getattr(db, "_rollup_callbacks", None) is callbacks:
            return
        db._rollup_callbacks = callbacks
    # Robust: failing to schedule the figures must not fail the change itself; the nightly run catches up.
    transaction.on_commit(rollup_request, robust=True)


def rollup_request_taken() -> None:
    """Clear the pending flag as a run starts: an event from now on needs (and schedules) another run."""
    RollupRequest.objects.filter(key=TODAY_REQUEST).update(pending=False)
