"""The "as of" date every page and report takes: ?on=YYYY-MM-DD, defaulting to today in Asia/Shanghai."""

import datetime

from django.http import HttpRequest
from django.utils import timezone


def as_of(request: HttpRequest) -> tuple[datetime.date, bool]:
    """(date, was_given). A malformed value falls back to today; the page shows which date it used."""
    raw = request.GET.get("on", "").strip()
    if raw:
        try:
            return datetime.date.fromisoformat(raw), True
        except ValueError:
            pass
    return timezone.localdate(), False
