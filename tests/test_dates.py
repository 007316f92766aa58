"""How long something took, said one way everywhere (`greencommunity.dates.how_long` and its template filter)."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from greencommunity.dates import how_long

D = datetime.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("start", "end", "chinese", "english"),
    [
        (D(2026, 12, 7), D(2026, 12, 7), "不到1天", "less than a day"),
        (D(2026, 12, 6), D(2026, 12, 7), "1天", "1 day"),
        (D(2026, 10, 9), D(2026, 12, 7), "59天", "59 days"),
        (D(2026, 10, 8), D(2026, 12, 7), "约2个月", "about 2 months"),
        (D(2025, 12, 8), D(2026, 12, 7), "约11个月", "about 11 months"),
        (D(2025, 12, 7), D(2026, 12, 7), "1年", "1 year"),
        (D(2022, 10, 25), D(2026, 12, 7), "4年1个月", "4 years 1 month"),
        (D(2022, 8, 1), D(2026, 12, 7), "4年4个月", "4 years 4 months"),
    ],
)
def test_days_under_two_months_then_months_then_years_and_months(start, end, chinese, english):
    """Issue 14 item 10: one way to say how long, in days under 60 days, then about N months, then years and
    months: never 1488天 beside "5 年，11 月"."""
    with translation.override("zh-hans"):
        assert how_long(start, end) == chinese
    with translation.override("en"):
        assert how_long(start, end) == english


def test_times_count_calendar_days_in_shanghai():
    """Issue 14 item 10: half past eleven at night to half past midnight is a day later in Tianjin."""
    late = datetime.datetime(2026, 12, 6, 23, 30, tzinfo=SHANGHAI)
    early = datetime.datetime(2026, 12, 7, 0, 30, tzinfo=SHANGHAI)
    with translation.override("zh-hans"):
        assert how_long(late, early) == "1天"
        assert Template("{{ start|how_long:end }}").render(Context({"start": late, "end": early})) == "1天"
        assert Template("{{ start|how_long:end }}").render(Context({"start": None, "end": early})) == ""


def test_no_template_says_how_long_another_way():
    """Issue 14 item 10: every duration on a page goes through the `how_long` filter; Django's timesince and
    timeuntil, and day counts spelled out in a template, would say it differently."""
    other_ways = re.compile(r"\|\s*(timesince|timeuntil|naturaltime)\b|\bdays?\s*{%\s*plural|{{\s*\w+\s*}}\s*days?\b")
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in (Path(settings.BASE_DIR) / "templates").rglob("*.html")
        if other_ways.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
