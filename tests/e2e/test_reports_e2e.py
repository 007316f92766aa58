"""Reports in a real browser: a district's monthly report and a department's Nov-15 annual report, each from
first edit through submission, return, resubmission, acceptance, locking and unlocking.

seed_demo leaves 和平区's 2022-12 monthly report and 市住房城乡建设委's 2022 annual report unstarted for these tests.
"""

from __future__ import annotations

import io
import re

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, has_horizontal_overflow, login, logout, shoot

pytestmark = pytest.mark.e2e


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (31, 122, 77)).save(buffer, "PNG")
    return buffer.getvalue()


def _start(page, period_label: str) -> None:
    """On the report list, start the report of `period_label` (e.g. 2022年12月) and wait for it to open."""
    page.goto("/reports/")
    row = page.locator("table.reports tr", has=page.locator(f"td:text-is('{period_label}')"))
    with page.expect_navigation():
        row.get_by_role("button", name="开始填报").click()
    assert re.search(r"/reports/\d+/$", page.url)


def _open_from_queue(page, filer: str) -> None:
    page.goto("/reports/review/")
    with page.expect_navigation():
        page.locator("table").first.get_by_role("link", name=filer).first.click()


def test_monthly_report_from_draft_to_unlock(page):
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, "district-120101")
    _start(page, "2022年12月")
    report_url = page.url
    assert "和平区" in page.inner_text("h1") and "2022年12月" in page.inner_text("h1")

    # Inline: change one community's stage from the table, then open another row and set items with a note.
    first = page.locator("#rows-table tbody tr").first
    first_id = first.get_attribute("id")
    first.locator("select[name=stage]").select_option("creating")
    page.locator(f"#{first_id} .saved").wait_for()
    second = page.locator("#rows-table tbody tr").nth(1)
    second_id = second.get_attribute("id")
    second.get_by_role("button", name="编辑").click()
    editing = page.locator(f"#{second_id}.editing")
    editing.locator("select[name=item-1]").select_option("meets")
    editing.locator("select[name=item-2]").select_option("in_progress")
    editing.locator("input[name=note-2]").fill("正在组织居民议事会")
    # A photo for this community, from the row's own upload form.
    editing.locator("input[type=file]").set_input_files(
        files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": _png()}]
    )
    editing.get_by_role("button", name="上传").click()
    page.locator(f"#{second_id} .evidence-list").get_by_text("现场照片.png").wait_for()
    meeting = editing.evaluate(
        "row => [...row.querySelectorAll('select[name^=item-]')].filter(s => ['meets', 'not_applicable'].includes(s.value)).length"
    )
    editing.get_by_role("button", name="保存本社区").click()
    page.locator(f"#{second_id}:not(.editing) .saved").wait_for()
    summary = page.locator(f"#{second_id}").inner_text()
    assert f"{meeting}/16" in summary and "\t1\t" in summary  # the items as chosen, and the photo counted

    page.fill("textarea[name=progress]", "本月完成12个社区的创建自评。")
    page.fill("textarea[name=next_plan]", "下月组织验收准备。")
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    assert "已保存" in page.inner_text(".messages")
    shoot(page, "report-monthly-draft-desktop")
    page.set_viewport_size(PHONE)
    assert not has_horizontal_overflow(page)
    shoot(page, "report-monthly-draft-phone")
    page.set_viewport_size(DESKTOP)
    with page.expect_navigation():
        page.get_by_role("button", name="提交市住房城乡建设委").click()
    assert "已提交" in page.inner_text(".messages")
    logout(page)

    login(page, "reviewer")
    _open_from_queue(page, "和平区")
    assert page.url == report_url
    page.fill("textarea[name=comment]", "请补充试点社区照片说明。")
    with page.expect_navigation():
        page.get_by_role("button", name="退回修改").click()
    logout(page)

    login(page, "district-120101")
    page.goto(report_url)
    assert "请补充试点社区照片说明。" in page.inner_text("main")
    page.fill("textarea[name=practices]", "以党建引领，发动居民参与。")
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("button", name="重新提交").click()
    logout(page)

    login(page, "reviewer")
    _open_from_queue(page, "和平区")
    with page.expect_navigation():
        page.get_by_role("button", name="审核通过").click()
    assert "已锁定" in page.inner_text(".messages")
    logout(page)

    # Accepted: the officer sees the report read-only, and a save sent anyway is refused.
    login(page, "district-120101")
    page.goto(report_url)
    assert page.locator("textarea[name=progress]").count() == 0
    assert page.locator("#rows-table select").count() == 0
    assert "并锁定" in page.inner_text("main")
    refused = page.evaluate(
        """async (url) => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const body = new URLSearchParams({version: "999", progress: "偷偷修改"});
            const r = await fetch(url + "narrative/", {method: "POST", body, headers: {"X-CSRFToken": token}});
            const page = new DOMParser().parseFromString(await r.text(), "text/html");
            return page.querySelector(".messages")?.innerText ?? "";
        }""",
        report_url,
    )
    assert "该报告已审核通过并锁定，只有市住房城乡建设委可以解锁。" in refused  # the refusal, not the page's notice
    page.goto(report_url)
    assert "偷偷修改" not in page.inner_text("main")
    logout(page)

    login(page, "commission")
    page.goto(report_url)
    page.fill("textarea[name=reason]", "区里申请更正试点数量。")
    page.check("input[name=confirm]")
    with page.expect_navigation():
        page.get_by_role("button", name="解锁报告").click()
    history = page.inner_text("#history-h + ol")
    assert "解锁" in history and "区里申请更正试点数量。" in history
    assert "退回" in history and "审核通过" in history
    shoot(page, "report-monthly-history-desktop")


def test_annual_report_of_a_department(page):
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, "dept-zjw")
    _start(page, "2022年度")
    report_url = page.url
    assert "市住房城乡建设委" in page.inner_text("h1")
    page.fill("textarea[name=progress]", "全年指导各区完成绿色社区创建。")
    page.fill("textarea[name=next_plan]", "2023年巩固创建成果。")
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    page.set_viewport_size(PHONE)
    assert not has_horizontal_overflow(page)
    shoot(page, "report-annual-phone")
    with page.expect_navigation():
        page.get_by_role("button", name="提交市住房城乡建设委").click()
    logout(page)

    login(page, "reviewer")
    _open_from_queue(page, "市住房城乡建设委")
    assert page.url == report_url
    with page.expect_navigation():
        page.get_by_role("button", name="审核通过").click()
    logout(page)

    login(page, "dept-zjw")
    page.goto("/reports/")
    row = page.locator("table.reports tr", has=page.locator("td:text-is('2022年度')"))
    assert "审核通过" in row.inner_text()
    page.goto(report_url)
    assert page.locator("textarea[name=progress]").count() == 0
    assert "全年指导各区完成绿色社区创建。" in page.inner_text("main")
    page.goto(report_url + "print/")
    assert "市住房城乡建设委" in page.inner_text("h1") and "2023年巩固创建成果。" in page.inner_text("body")
    shoot(page, "report-annual-print")
