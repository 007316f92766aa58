"""The home page's to-dos are the reports `/reports/` lists as not yet submitted: overdue, due, returned or draft,
oldest due first, also long after the campaign has ended."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from districts.models import Department, District
from reporting.figures.selectors import filer_reports
from reporting.models import Campaign
from reporting.reports.services import report_open, report_return, report_save, report_submit

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = "2026-12-07"  # after the 2020–2022 campaign, as in the issue


@pytest.fixture
def campaign():
    return Campaign.objects.current()


def _todos(page: str) -> list[str]:
    """The to-do list's items, as text, in the page's order."""
    section = re.search(r'id="todos".*?</div>', page, re.S)
    assert section, "the home page has no to-do list"
    items = re.findall(r"<li>(.*?)</li>", section.group(0), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]


def _reports_page_open_rows(client) -> list[str]:
    """The periods `/reports/` shows with no submitted report (not started, draft or returned)."""
    page = client.get(reverse("report_list") + f"?on={TODAY}").content.decode()
    rows = re.findall(r"<tr><td data-label=\"报告\">(.*?)</tr>", page, re.S)
    open_rows = []
    for row in rows:
        if any(mark in row for mark in ("未填报", "status-draft", "status-returned")):
            found = re.search(r'data-label="报告期">(.*?)</td>', row)
            assert found, row
            period = found.group(1)
            kind = re.sub(r"<[^>]+>", "", row.split("</td>")[0]).strip()
            open_rows.append(f"{period} · {kind}")
    return open_rows


def test_a_districts_home_lists_every_report_still_owed_oldest_first(campaign, heping_staff, reviewer, client_for):
    """Issue 14 item 4: the home page of a district no longer says nothing is due while `/reports/` shows overdue,
    unstarted, draft and returned reports; its to-dos are the same rows, oldest due first, up to December 2022's
    monthly report (due 2023-01-05)."""
    heping = District.objects.get(code="120101")
    plan = report_open(
        campaign=campaign, kind="implementation_plan", period=campaign.starts_on, district=heping, by=heping_staff
    )
    plan = report_save(report=plan, version=plan.version, data={"overall_target": "60%达标"}, by=heping_staff)
    report_submit(report=plan, by=heping_staff)
    report_open(campaign=campaign, kind="monthly", period=D(2021, 3, 1), district=heping, by=heping_staff)
    april = report_open(campaign=campaign, kind="monthly", period=D(2021, 4, 1), district=heping, by=heping_staff)
    april = report_save(report=april, version=april.version, data={"progress": "推进试点"}, by=heping_staff)
    report_return(report=report_submit(report=april, by=heping_staff), comment="补充名单", by=reviewer)

    client = client_for(heping_staff)
    page = client.get(f"/?on={TODAY}").content.decode()
    todos = _todos(page)
    assert "本次创建行动已无待报送事项" not in page
    open_rows = _reports_page_open_rows(client)
    assert len(todos) == len(open_rows) > 20
    for row in open_rows:
        assert sum(row in todo for todo in todos) == 1, row
    assert not any("区级实施方案" in todo for todo in todos)  # submitted: not a to-do any more
    assert "2020年11月" in todos[0] and "已逾期" in todos[0]
    assert "2022年12月" in todos[-1] and "已逾期" in todos[-1] and "2023年1月5日" in todos[-1]
    assert "草稿" in next(todo for todo in todos if "2021年3月 · " in todo)
    assert "已退回" in next(todo for todo in todos if "2021年4月 · " in todo)
    expected = filer_reports(user=heping_staff, campaign=campaign, on=D(2026, 12, 7))
    assert len(todos) == sum(1 for row in expected.rows if row.is_open)
    assert 'name="period" value="2022-12-01"' in page  # a report not started can be started from the list


def test_a_departments_home_lists_its_annual_reports_until_they_are_submitted(campaign, department_staff, client_for):
    """Issue 14 item 4: a department's home lists its draft and its unstarted, overdue annual reports, as
    `/reports/` does, and says all are submitted only once they are."""
    zjw = Department.objects.get(code="zjw")
    draft = report_open(campaign=campaign, kind="annual", period=D(2021, 1, 1), department=zjw, by=department_staff)
    client = client_for(department_staff)
    todos = _todos(client.get(f"/?on={TODAY}").content.decode())
    assert len(todos) == len(_reports_page_open_rows(client)) == 2
    assert "2021年度" in todos[0] and "草稿" in todos[0] and "2021年11月15日" in todos[0]
    assert "2022年度" in todos[1] and "未开始" in todos[1] and "已逾期" in todos[1]

    for period in (D(2021, 1, 1), D(2022, 1, 1)):
        report = report_open(campaign=campaign, kind="annual", period=period, department=zjw, by=department_staff)
        report = report_save(report=report, version=report.version, data={"progress": "年度总结"}, by=department_staff)
        report_submit(report=report, by=department_staff)
    page = client.get(f"/?on={TODAY}").content.decode()
    assert _todos(page) == [] and "截至2026年12月7日应报送的报告均已提交" in page
    draft.refresh_from_db()
    assert draft.status == "submitted" and zjw.reports.count() == 2


def test_the_commission_and_inspectors_see_what_waits_for_them(
    campaign, heping_staff, reviewer, inspector, commission_admin, client_for
):
    """Issue 14 item 4: the commission's home counts the reports its review queue lists; an inspector's home no
    longer says nothing is assigned while communities wait for their inspection."""
    from standards.acceptance import assignments_create, round_create, team_create

    heping = District.objects.get(code="120101")
    for period in (D(2021, 3, 1), D(2021, 4, 1)):
        report = report_open(campaign=campaign, kind="monthly", period=period, district=heping, by=heping_staff)
        report = report_save(report=report, version=report.version, data={"progress": "推进"}, by=heping_staff)
        report_submit(report=report, by=heping_staff)
    page = client_for(reviewer).get(f"/?on={TODAY}").content.decode()
    assert re.search(r'待审核报告</div>\s*<div class="value"><a href="/reports/review/">2</a>', page)

    today = timezone.localdate()
    round_ = round_create(
        name="年度验收", year=today.year, opens_on=today, closes_on=today + datetime.timedelta(days=30), by=reviewer
    )
    team = team_create(round=round_, name="第一检查组", members=[inspector], by=commission_admin)
    communities = list(heping.communities.order_by("code")[:3])
    assignments_create(round=round_, communities=communities, team=team, by=commission_admin)
    page = client_for(inspector).get("/").content.decode()
    assert "分配给您的3个社区尚未完成验收签署" in page and "暂未向您分配社区" not in page
