"""An independent statement of the status rule, for the tests that recompute the stored figures from scratch
(`test_seed_demo`): written from DESIGN.md, apart from the rollup's SQL (`rollup_sql.Rollup._rows`), which is the
portal's only statement of it. If the two disagree, a test says where."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from reporting.figures.rollups import AT_RISK_FROM, Target, months_between
from reporting.models import ProgressSnapshot

SHARE_PLACES = Decimal("0.0001")
Status = ProgressSnapshot.Status


@dataclass(frozen=True)
class Earlier:
    """A unit's met share at an earlier date, from which the pace is measured."""

    on: datetime.date
    share: Decimal
    self_assessed: Decimal = Decimal(0)


def share_of(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part) / whole).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


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
