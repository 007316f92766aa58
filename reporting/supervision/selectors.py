"""Reads of supervision: the list with its filters, the overdue required actions for the home page and the red
flags, and the bulletin's month by district. Every figure is computed from dates, so an earlier day or month
shows what stood then."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from districts.models import District

from .models import RequiredAction, Supervision

Status = RequiredAction.Status
OVERDUE_LIMIT = 20


@dataclass(frozen=True)
class ListFilters:
    kind: str = ""
    district: District | None = None
    state: str = ""  # "" every action; "pending": with a required action not closed; "overdue": one overdue today
    year: int | None = None


def supervision_list(*, user: Any, filters: ListFilters, on: datetime.date) -> QuerySet[Supervision]:
    """The actions `user` may read, newest first, with the counts the list shows (of the required actions the user
    may read: a district counts only its own)."""
    rows = Supervision.objects.visible_to(user)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.district is not None:
        rows = rows.filter(districts=filters.district)
    if filters.year:
        rows = rows.filter(held_on__year=filters.year)
    readable = RequiredAction.objects.visible_to(user).filter(supervision=OuterRef("pk"))
    if filters.state == "pending":
        rows = rows.filter(Exists(readable.exclude(status=Status.CLOSED)))
    elif filters.state == "overdue":
        rows = rows.filter(Exists(readable.overdue_on(on)))
    ids = RequiredAction.objects.visible_to(user).values("pk")
    return (
        rows.select_related("opened_by_department")
        .prefetch_related("districts")
        .annotate(
            required_count=Count("required_actions", filter=Q(required_actions__in=ids), distinct=True),
            closed_count=Count(
                "required_actions",
                filter=Q(required_actions__in=ids, required_actions__status=Status.CLOSED),
                distinct=True,
            ),
            overdue_count=Count(
                "required_actions",
                filter=Q(required_actions__in=ids, required_actions__due_on__lt=on)
                & ~Q(required_actions__status=Status.CLOSED),
                distinct=True,
            ),
        )
        .order_by("-held_on", "-id")
    )


def overdue_required_actions(
    *, user: Any, on: datetime.date, district: District | None = None
) -> QuerySet[RequiredAction]:
    """Required actions the user may read that are overdue on `on` (deadline passed, not closed by then)."""
    rows = RequiredAction.objects.visible_to(user).overdue_on(on)
    if district is not None:
        rows = rows.filter(district=district)
    return rows.select_related("district", "supervision", "supervision__opened_by_department").order_by(
        "due_on", "district__code", "id"
    )


@dataclass(frozen=True)
class OverdueFlags:
    rows: list[RequiredAction]
    count: int
    districts: int


def overdue_flags(*, user: Any, on: datetime.date, district: District | None = None) -> OverdueFlags:
    """The oldest overdue required actions (at most OVERDUE_LIMIT), how many in all and in how many districts, in one
    query: a supervision sets tens of required actions a year, not thousands, so all the overdue ones are read."""
    rows = list(overdue_required_actions(user=user, on=on, district=district))
    return OverdueFlags(rows=rows[:OVERDUE_LIMIT], count=len(rows), districts=len({row.district_id for row in rows}))


@dataclass(frozen=True)
class BulletinRow:
    district: District | None  # None: the city total
    visits: int
    opened: int
    closed: int
    overdue: int


@dataclass(frozen=True)
class BulletinSupervision:
    month: datetime.date
    month_end: datetime.date
    rows: list[BulletinRow]  # only districts with something to report, in code order
    overdue: list[RequiredAction]  # overdue at the month's end, oldest deadline first

    @property
    def totals(self) -> BulletinRow | None:
        if not self.rows:
            return None
        return BulletinRow(
            district=None,
            visits=sum(r.visits for r in self.rows),
            opened=sum(r.opened for r in self.rows),
            closed=sum(r.closed for r in self.rows),
            overdue=sum(r.overdue for r in self.rows),
        )


def bulletin_supervision(*, month: datetime.date, month_end: datetime.date) -> BulletinSupervision:
    """Per district: the supervision held in the month, the required actions set and closed in it, and those
    overdue at its end — from the dates recorded, so a bulletin for an earlier month shows that month."""
    in_month = Q(held_on__gte=month, held_on__lte=month_end)
    actions = RequiredAction.objects.filter(district=OuterRef("pk")).order_by()

    visits = Supervision.objects.filter(in_month, districts=OuterRef("pk")).order_by().values("districts")
    districts = District.objects.annotate(
        visits=_count_of(visits),
        opened=_count_of(actions.filter(set_on__gte=month, set_on__lte=month_end).values("district")),
        closed=_count_of(actions.filter(closed_on__gte=month, closed_on__lte=month_end).values("district")),
        overdue=_count_of(actions.overdue_on(month_end).values("district")),
    ).order_by("code")
    rows = [
        BulletinRow(district=d, visits=d.visits, opened=d.opened, closed=d.closed, overdue=d.overdue)
        for d in districts
        if d.visits or d.opened or d.closed or d.overdue
    ]
    overdue = list(
        RequiredAction.objects.overdue_on(month_end)
        .select_related("district", "supervision__opened_by_department", "community")
        .order_by("due_on", "district__code", "id")
    )
    return BulletinSupervision(month=month, month_end=month_end, rows=rows, overdue=overdue)


def _count_of(grouped: QuerySet) -> Coalesce:
    """How many rows of `grouped` (already reduced to one group per outer row) belong to the outer row; 0 for none."""
    return Coalesce(Subquery(grouped.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0))
