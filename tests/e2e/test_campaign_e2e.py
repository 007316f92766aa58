"""Issue 17 item 3 in a real browser: the commission opens a new campaign with an edited copy of the standard and
makes it current; a district enrols a community in it and files its first monthly report against the new items.

The demo's campaign runs 2020-11 to 2022-12; the new one covers today, so the district's list offers its months.
"""

from __future__ import annotations

import datetime
import re

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, PHONE, browser_page, has_horizontal_overflow, logout, shoot

pytestmark = pytest.mark.e2e


@pytest.fixture
def page(browser, own_portal):
    """This test makes a new campaign current, which changes every page: it runs on a portal of its own."""
    yield from browser_page(browser, own_portal)


NEW_TEXT = "社区议事协商常态化开展，居民广泛参与"
ADDED_TEXT = "开展绿色生活创建宣传，居民知晓率不低于90%"


def _login_to(page, username: str, path: str) -> None:
    """Log in and land on `path`: the home page's figures for a seeded city are not what this test is about, and on
    a loaded machine they may take longer than a navigation is given."""
    page.goto(f"/accounts/login/?next={path}")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    with page.expect_navigation(timeout=60_000):
        page.click("form:has(#id_username) button[type=submit]")
    assert "/accounts/login/" not in page.url, page.url


def test_the_commission_opens_a_campaign_and_a_district_files_its_first_monthly_report(page):
    page.on("dialog", lambda dialog: dialog.accept())
    today = datetime.date.today()
    starts_on = datetime.date(today.year, 1, 1)

    _login_to(page, "commission", "/campaigns/new/")
    page.fill("input[name=name]", f"天津市绿色社区巩固提升行动（{today.year}—{today.year + 2}年）")
    page.fill("input[name=issued_by]", "天津市住房和城乡建设委员会")
    page.fill("input[name=starts_on]", starts_on.isoformat())
    page.fill("input[name=ends_on]", datetime.date(today.year + 2, 12, 31).isoformat())
    page.fill("input[name=monthly_due_day]", "10")
    page.fill("input[name=standard_name]", f"天津市绿色社区创建标准（{today.year}年版）")
    page.fill("input[name=phase-0-name]", "巩固提升阶段")
    page.fill("input[name=phase-0-starts_on]", starts_on.isoformat())
    page.fill("input[name=phase-0-ends_on]", datetime.date(today.year + 2, 12, 31).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="建立创建行动").click()
    assert re.search(r"/campaigns/\d+/standard/$", page.url), page.inner_text("main")
    assert "尚无记录按此标准填报" in page.inner_text("main")

    # Edit item 1 and add a 17th item before the campaign opens.
    page.fill("#item-1 input[name$=-text]", NEW_TEXT)
    with page.expect_navigation():
        page.locator("#item-1").get_by_role("button", name="保存").click()
    assert "第1项已保存" in page.inner_text(".messages")
    page.fill("#add-item input[name=new-text]", ADDED_TEXT)
    with page.expect_navigation():
        page.locator("#add-item").get_by_role("button", name="添加").click()
    assert "第17项已添加" in page.inner_text(".messages")
    shoot(page, "campaign-standard-desktop")

    with page.expect_navigation():
        page.get_by_role("link", name="设为当前行动").click()
    page.check("#make-current input[name=confirm]")
    with page.expect_navigation():
        page.locator("#make-current").get_by_role("button", name="设为当前行动").click()
    assert "现为当前创建行动" in page.inner_text(".messages")
    # Two campaigns now: the picker shows, on the new one.
    assert "巩固提升行动" in page.locator("#campaign-picker select option:checked").inner_text()
    logout(page)

    _login_to(page, "district-120101", "/enrolment/120101/?street=120101001")
    page.fill("form[action$='/enrol/'] input[name=joined_on]", starts_on.replace(day=5).isoformat())
    page.locator("input[name=community]").first.check()
    with page.expect_navigation():
        page.get_by_role("button", name="将所选社区纳入创建名单").click()

    page.goto("/reports/")
    label = f"{starts_on.year}年1月"
    row = page.locator("table.reports tr", has=page.locator(f"td:text-is('{label}')"))
    with page.expect_navigation():
        row.get_by_role("button", name="开始填报").click()
    assert re.search(r"/reports/\d+/$", page.url)
    first = page.locator("#rows-table tbody tr").first
    assert "0/17" in first.inner_text()
    first_id = first.get_attribute("id")
    first.get_by_role("button", name="编辑").click()
    editing = page.locator(f"#{first_id}.editing")
    assert NEW_TEXT in editing.inner_text() and ADDED_TEXT in editing.inner_text()
    editing.locator("select[name=item-1]").select_option("meets")
    editing.locator("select[name=item-17]").select_option("in_progress")
    editing.get_by_role("button", name="保存本社区").click()
    page.locator(f"#{first_id}:not(.editing) .saved").wait_for()
    assert "1/17" in page.locator(f"#{first_id}").inner_text()
    page.fill("textarea[name=progress]", "新一轮创建行动启动，首批社区开展自评。")
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    page.set_viewport_size(PHONE)
    assert not has_horizontal_overflow(page)
    shoot(page, "campaign-first-report-phone")
    with page.expect_navigation():
        page.get_by_role("button", name="提交市住房城乡建设委").click()
    assert "已提交" in page.inner_text(".messages")
