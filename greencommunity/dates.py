"""The "as of" date every page and report takes (?on=YYYY-MM-DD, defaulting to today in Asia/Shanghai), and how
the portal says how long something has taken."""

import datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext


def as_of(request: HttpRequest) -> tuple[datetime.date, bool]:
    """(date, was_given). A malformed value falls back to today; the page shows which date it used."""
    raw = request.GET.get("on", "").strip()
    if raw:
        try:
            return datetime.date.fromisoformat(raw), True
        except ValueError:
            pass
    return timezone.localdate(), False


def _local_day(moment: datetime.date | datetime.datetime) -> datetime.date:
    if isinstance(moment, datetime.datetime):
        return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    return moment


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole calendar months from `start` to `end` (31 January → 28 February is 0, → 1 March is 1)."""
    return (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)


def how_long(start: datetime.date | datetime.datetime, end: datetime.date | datetime.datetime | None = None) -> str:
    """How long from `start` to `end` (today by default), said the one way the portal says it everywhere.

    Whole days under 60 days, because deadlines, reminders and alerts are counted in days; after that a count of
    days no longer reads at a glance (1488天), so about N months, and from a year on years and months (4年1个月).
    """
    first, last = _local_day(start), _local_day(end if end is not None else timezone.now())
    days = max((last - first).days, 0)
    months = months_between(first, last)
    if months >= 12:
        years, months = divmod(months, 12)
        in_years = ngettext("%(years)d year", "%(years)d years", years) % {"years": years}
        if not months:
            return in_years
        in_months = ngettext("%(months)d month", "%(months)d months", months) % {"months": months}
        return pgettext("a duration", "%(years)s %(months)s") % {"years": in_years, "months": in_months}
    if days >= 60:
        return ngettext("about %(months)d month", "about %(months)d months", max(months, 2)) % {
            "months": max(months, 2)
        }
    if days < 1:
        return _("less than a day")
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
