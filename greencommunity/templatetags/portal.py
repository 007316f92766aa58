"""The portal's own filters, built into every template (settings: TEMPLATES builtins), documents included."""

from __future__ import annotations

import datetime
from typing import Any

from django import template

from greencommunity.dates import how_long as _how_long
from greencommunity.people import person_name

register = template.Library()


@register.filter
def person(user: Any) -> str:
    """{{ report.updated_by|person }}: the person's full name, or their login name when they have none."""
    return person_name(user)


@register.filter
def how_long(start: datetime.date | datetime.datetime | None, end: Any = None) -> str:
    """{{ report.submitted_at|how_long:now }}: how long since `start`, until `end` or today."""
    if not start:
        return ""
    return _how_long(start, end or None)
