"""Reads of commendations: the published list of a year, grouped by kind, and the proposals a user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from .models import Commendation

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

KIND_ORDER = Case(
    *[When(kind=kind, then=Value(n)) for n, kind in enumerate(Commendation.Kind.values)],
    output_field=IntegerField(),
)


def approved_by_kind(year: int) -> list[tuple[StrOrPromise, list[Commendation]]]:
    """[(kind label, commendations)] approved for `year`, in the order units, individuals, practices."""
    rows = (
        Commendation.objects.approved()
        .filter(year=year)
        .select_related("district", "department")
        .annotate(kind_order=KIND_ORDER)
        .order_by("kind_order", "district__code", "department__order", "id")
    )
    groups: dict[str, list[Commendation]] = {}
    for row in rows:
        groups.setdefault(row.kind, []).append(row)
    return [(label, groups[kind]) for kind, label in Commendation.Kind.choices if kind in groups]


def approved_years() -> list[int]:
    return list(Commendation.objects.approved().order_by("-year").values_list("year", flat=True).distinct())


def proposals_for(user: Any) -> QuerySet[Commendation]:
    """Every proposal `user` may see, waiting ones first, newest first."""
    waiting_first = Case(When(status=Commendation.Status.PROPOSED, then=Value(0)), default=Value(1))
    return (
        Commendation.objects.visible_to(user)
        .select_related("district", "department", "proposed_by", "decided_by")
        .annotate(waiting_first=waiting_first)
        .order_by("waiting_first", "-year", "-proposed_at", "-id")
    )
