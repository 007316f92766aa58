"""The progress rollups: the campaign's figures for the city, every district and every street-level unit as of a
date, stored as `ProgressSnapshot` rows that the dashboards, bulletins and the API read.

This module decides which dates to compute and what each is judged against (the milestone, the pace); the figures
themselves come from a fixed handful of set-based SQL statements over all those dates at once (`rollup_sql`),
however many dates, units and communities there are. Rows are keyed by (campaign, date, level, unit) and upserted
in one transaction, rewriting only what changed: a repeated or retried run leaves the same rows, never copies.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from greencommunity.db import planner_settings
from reporting.figures.rollup_sql import Day, Rollup
from reporting.figures.selectors import month_end
from reporting.figures.timeliness import expected_months
from reporting.models import Campaign, Milestone, ProgressSnapshot, RollupKey, RollupRequest
from standards.models import StandardItem

# The division list has no row for the city itself; its snapshot goes under the province-level code.
CITY_CODE, CITY_NAME = "12", "天津市"
# A unit whose projection reaches this share of the target is at risk rather than behind.
AT_RISK_FROM = Decimal("0.85")
# The pace is measured over this many months before the date.
PACE_MONTHS = 3
# How long a recalculation stays "pending" before a new request may schedule another (a lost task heals itself).
REQUEST_STALE_AFTER = datetime.timedelta(minutes=15)
REQUEST_DELAY_SECONDS = 60
TODAY_REQUEST = "today"

Status = ProgressSnapshot.Status


# --- dates ----------------------------------------------------------------------------------------------------


def rollup_dates(campaign: Campaign, today: datetime.date) -> list[datetime.date]:
    """Every month's end from the campaign's first month up to `today`, and `today` itself when it is not a month's
    end — also after the campaign has ended (DESIGN.md "Dates computed"): December's reports, objections decided,
    closures and revocations keep changing today's figures, while a past date's change only when something
    effective on or before it is recorded late."""
    if today < campaign.starts_on:
        return []
    dates, month = [], campaign.starts_on.replace(day=1)
    while month_end(month) <= today:
        dates.append(month_end(month))
        month = month_end(month) + datetime.timedelta(days=1)
    if not dates or dates[-1] != today:
        dates.append(today)
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
    if chosen is None or chosen.target_share is None:
        return Target()
    return Target(share=Decimal(chosen.target_share), due_on=chosen.due_on)


# --- computing and storing -----------------------------------------------------------------------------------


def _day(*, campaign: Campaign, on: datetime.date, store: bool, milestones: list[Milestone], expected: list) -> Day:
    """What judging the units of `on` needs, worked out once for the date (the rule: `rollup_sql.Rollup._rows`)."""
    target = target_for(milestones, on)
    then = _months_back(on, PACE_MONTHS)
    start = campaign.starts_on - datetime.timedelta(days=1)
    paced_from = then if then >= campaign.starts_on else start
    return Day(
        on=on,
        store=store,
        then=then if then >= campaign.starts_on else None,
        span=months_between(paced_from, on),
        ahead=months_between(on, target.due_on) if target.due_on else Decimal(0),
        target_share=target.share,
        target_due_on=target.due_on,
        at_risk_share=target.share * AT_RISK_FROM if target.share is not None else None,
        expected_periods=[period for period, due_on in expected if due_on <= on],
    )


def rollup_days(
    *, campaign: Campaign, days: Iterable[datetime.date], only_these: bool = False, force: bool = False
) -> int:
    """Compute and store the snapshots of every unit as of each of `days`; returns how many rows that is. With
    `only_these`, the campaign's snapshots of any other date are removed in the same transaction.

    A date whose inputs did not change since its snapshots were stored is not computed again (`Rollup._plan`);
    `force` computes every date again.

    A fixed number of statements whatever the number of dates and communities (`rollup_sql`). Each date's pace
    reads the figures of PACE_MONTHS month-ends earlier, computed in the same run whether stored or not, so a
    date's snapshots do not depend on which others were computed before. Rows whose figures did not change are
    left as they are; snapshots of units that no longer exist are removed.
    """
    stored = sorted(set(days))
    if not stored:
        return 0
    milestones = list(campaign.milestones.all())
    expected = expected_months(campaign=campaign, on=max(stored))
    paces = {_months_back(on, PACE_MONTHS) for on in stored} - set(stored)
    paces = {on for on in paces if on >= campaign.starts_on}
    plan = [
        _day(campaign=campaign, on=on, store=on in stored, milestones=milestones, expected=expected)
        for on in sorted(set(stored) | paces)
    ]
    items = list(
        StandardItem.objects.filter(version=campaign.standard_id).order_by("number").values_list("id", "number")
    )
    # For the rollup's statements only: they look expensive to PostgreSQL's planner, so it would compile each one
    # (JIT) at a cost above the query's own, and at national size (1.6 million rows) their sorts and hashes would
    # spill to disk at the default work_mem (up to 1 GB per sort or hash here). Their joins pair a few columns of
    # large temporary tables whose sizes the planner misjudges; merging them would filter every pairing row by row,
    # hashing them does not.
    with transaction.atomic(), planner_settings(jit="off", work_mem="1GB", enable_mergejoin="off"):
        return Rollup(
            campaign=campaign,
            days=plan,
            items=items,
            city=(CITY_CODE, CITY_NAME),
            now=timezone.now(),
            only_these=only_these,
            force=force,
        ).run()


def rollup_date(*, campaign: Campaign, on: datetime.date) -> int:
    """Compute and store the snapshots of every unit as of `on`; returns how many rows that is."""
    return rollup_days(campaign=campaign, days=[on])


def rollup_all(*, campaign: Campaign, today: datetime.date | None = None, force: bool = False) -> int:
    """Compute every date of `rollup_dates` at once (those whose inputs changed; with `force`, all); returns how
    many rows the dates hold.

    Snapshots of other dates (an earlier run's "today") are removed, so the stored dates are exactly these.
    """
    dates = rollup_dates(campaign, today or timezone.localdate())
    if not dates:
        with transaction.atomic():
            ProgressSnapshot.objects.filter(campaign=campaign).delete()
            RollupKey.objects.filter(campaign=campaign).delete()
        return 0
    return rollup_days(campaign=campaign, days=dates, only_these=True, force=force)


def rollup_latest(*, campaign: Campaign, today: datetime.date | None = None) -> int:
    """Recompute only the last date of `rollup_dates`: today."""
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
        from reporting.tasks import rollup_today

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
