"""Reading the roster as of an earlier date: names (and parents and kinds) that a later release changed."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from ..models import DivisionChange


def values_as_of(*, level: str, field: str, codes: Iterable[str], on: datetime.date) -> dict[str, str]:
    """{code: value as of `on`} for the units among `codes` whose `field` changed after `on`; the others have their
    current value. One query: the earliest change after `on` holds the value the unit had on that date."""
    codes = list(codes)
    if not codes:
        return {}
    earlier: dict[str, str] = {}
    changes = (
        DivisionChange.objects.filter(level=level, field=field, code__in=codes, effective_on__gt=on)
        .order_by("-effective_on", "-id")
        .values_list("code", "old_value")
    )
    for code, old in changes:
        earlier[code] = old  # the last one written wins: the earliest change after `on`
    return earlier


def names_as_of(units: Iterable[Any], *, level: str, on: datetime.date, code: str = "code", name: str = "name") -> None:
    """Give each unit (a District, Street or Community, a rollup snapshot with code="unit_code", name="unit_name", or
    a dict with those keys) the name it had on `on`, in place. One query (none when there is no unit)."""
    names_as_of_levels([(units, level)], on=on, code=code, name=name)


def names_as_of_levels(
    groups: Iterable[tuple[Iterable[Any], str]], *, on: datetime.date, code: str = "code", name: str = "name"
) -> None:
    """`names_as_of` for units of several levels at once ([(streets, "street"), (communities, "community")]), in one
    query, so that a page pays one query for its history whatever it shows."""

    def get(unit: Any, key: str) -> Any:
        return unit[key] if isinstance(unit, dict) else getattr(unit, key)

    groups = [([unit for unit in units if unit is not None], level) for units, level in groups]
    wanted = Q()
    for units, level in groups:
        if units:
            wanted |= Q(level=level, code__in={get(unit, code) for unit in units})
    if not wanted:
        return
    earlier: dict[tuple[str, str], str] = {}
    changes = (
        DivisionChange.objects.filter(wanted, field="name", effective_on__gt=on)
        .order_by("-effective_on", "-id")
        .values_list("level", "code", "old_value")
    )
    for level, unit_code, old in changes:
        earlier[(level, unit_code)] = old  # the last one written wins: the earliest change after `on`
    if not earlier:
        return
    for units, level in groups:
        for unit in units:
            value = earlier.get((level, get(unit, code)))
            if value is None:
                continue
            if isinstance(unit, dict):
                unit[name] = value
            else:
                setattr(unit, name, value)
