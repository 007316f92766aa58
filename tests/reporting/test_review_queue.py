"""The review queue: what waits for the commission, and the reports returned to their filers, with how long."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from districts.models import District
from reporting.models import Campaign, Report, ReportEvent
from reporting.reports.services import report_open, report_return, report_save, report_submit

pytestmark = pytest.mark.django_db
D = datetime.date


def _months_before(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months
    return D(index // 12, index % 12 + 1, min(day.day, 28))


def _filed(campaign, staff, period, district="120101"):
    report = report_open(
        campaign=campaign, kind="monthly", period=period, district=District.objects.get(code=district), by=staff
    )
    report = report_save(report=report, version=report.version, data={"progress": "推进试点"}, by=staff)
    return report_submit(report=report, by=staff)


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def _cells(page: str, heading: str) -> list[str]:
    """The text of each row's last cell in the table after `heading` (the first table when heading is '')."""
    found = re.search(rf"{heading}.*?<tbody>(.*?)</tbody>", page, re.S)
    assert found, heading
    table = found.group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.split("<td")[-1].split(">", 1)[1])).strip() for row in rows]


def test_both_tables_say_how_long_the_same_way(heping_staff, reviewer, client_for):
    """Issue 14 item 10: the queue said "1488天" in one table and "5 年，11 月" in the next; both now say years and
    months past a year, about N months past 60 days, and days below."""
    campaign = Campaign.objects.current()
    today = timezone.localdate()
    waiting_long = _filed(campaign, heping_staff, D(2021, 3, 1))
    waiting_days = _filed(campaign, heping_staff, D(2021, 4, 1))
    Report.objects.filter(pk=waiting_long.pk).update(submitted_at=_at(_months_before(today, 4 * 12 + 1)))
    Report.objects.filter(pk=waiting_days.pk).update(submitted_at=_at(today - datetime.timedelta(days=12)))
    returned = report_return(report=_filed(campaign, heping_staff, D(2021, 5, 1)), comment="补充", by=reviewer)
    ReportEvent.objects.filter(report=returned, action="returned").update(at=_at(_months_before(today, 5 * 12 + 11)))
    returned_lately = report_return(report=_filed(campaign, heping_staff, D(2021, 6, 1)), comment="补充", by=reviewer)
    ReportEvent.objects.filter(report=returned_lately, action="returned").update(
        at=_at(today - datetime.timedelta(days=75))
    )

    page = client_for(reviewer).get(reverse("report_review_queue")).content.decode()
    assert _cells(page, "") == ["4年1个月", "12天"]
    returned_cells = _cells(page, "已退回、等待重新提交")
    assert [cell.split("已等待")[1] for cell in returned_cells] == ["5年11个月", "约2个月"]
    assert "年，" not in page and "月，" not in page
