"""Supervision (督导) in a real browser: 市住房城乡建设委 opens a directive (督办) on 河北区 for December 2022 and sets a
required action; 河北区 answers with a photo; the department closes it; the December 2022 city bulletin, made on the
documents page, lists it in its section 督导情况.

河北区 (120105) has no demo supervision, so its row in the bulletin is this test's alone.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.e2e.conftest import PHONE, has_horizontal_overflow, login, logout, png, shoot

pytestmark = pytest.mark.e2e
TITLE = "既有建筑绿色化改造督办"


def _pdf_text(path: str) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("poppler-utils (pdftotext) must be installed to read the bulletin back")
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", path, "-"], check=True, capture_output=True)
    return done.stdout.decode()


def test_a_directive_is_answered_with_a_photo_closed_and_listed_in_the_next_bulletin(page):
    page.on("dialog", lambda dialog: dialog.accept())

    # The department opens the directive and sets what 河北区 must do.
    login(page, "dept-zjw")
    page.goto("/supervision/")
    with page.expect_navigation():
        page.get_by_role("link", name="发起督导").click()
    page.select_option("select[name=kind]", "directive")
    page.fill("input[name=title]", TITLE)
    page.fill("input[name=held_on]", "2022-12-05")
    page.check("input[name=districts][value='120105']")
    page.check("input[name=items][value='6']")
    page.fill("textarea[name=participants]", "市住房城乡建设委建筑节能处，河北区住房建设委")
    with page.expect_navigation():
        page.get_by_role("button", name="发起督导").click()
    assert re.search(r"/supervision/\d+/$", page.url)
    detail = page.url
    assert page.inner_text("h1") == TITLE and "由市住房城乡建设委发起" in page.inner_text("main")
    page.get_by_text("提出督办事项…").click()
    form = page.locator("form[action$='/actions/']")
    form.locator("select[name=district]").select_option("120105")
    form.locator("textarea[name=text]").fill("完成3栋公共建筑节能改造方案并报送")
    form.locator("input[name=due_on]").fill("2022-12-20")
    form.locator("input[name=set_on]").fill("2022-12-05")
    with page.expect_navigation():
        form.get_by_role("button", name="提出督办事项").click()
    assert "已向河北区提出督办事项。" in page.inner_text(".messages")
    logout(page)

    # 河北区 answers, with a photo, on a phone.
    page.set_viewport_size(PHONE)
    login(page, "district-120105")
    page.goto(detail)
    action = page.locator("article.required-action").first
    assert "待办理" in action.inner_text() and "完成3栋公共建筑节能改造方案并报送" in action.inner_text()
    action.locator("textarea[name=text]").fill("已完成3栋公共建筑节能改造方案，于12月15日报送。")
    action.locator("input[type=file]").set_input_files(
        files=[{"name": "改造方案现场.png", "mimeType": "image/png", "buffer": png()}]
    )
    action.locator("input[name=on]").fill("2022-12-15")
    with page.expect_navigation():
        action.get_by_role("button", name="报送答复").click()
    assert "答复已报送" in page.inner_text(".messages")
    action = page.locator("article.required-action").first
    assert "已答复，待办结" in action.inner_text() and "改造方案现场.png" in action.inner_text()
    assert not has_horizontal_overflow(page)
    shoot(page, "supervision-answered-phone")
    logout(page)

    # The department closes it, after confirming.
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, "dept-zjw")
    page.goto(detail)
    close = page.locator("form.close-action")
    close.locator("input[name=on]").fill("2022-12-20")
    close.locator("input[name=confirm]").check()
    with page.expect_navigation():
        close.get_by_role("button", name="办结").click()
    assert "督办事项已办结。" in page.inner_text(".messages")
    action = page.locator("article.required-action").first
    assert "已办结" in action.inner_text() and "2022年12月20日" in action.inner_text()
    assert page.locator("form.answer, form.close-action").count() == 0
    shoot(page, "supervision-closed-desktop")
    logout(page)

    # December 2022's bulletin lists the directive for 河北区: one visit, one action set, one closed, none overdue.
    login(page, "commission")
    page.goto("/documents/")
    page.select_option("select[name=kind]", "city-bulletin")
    page.fill("input[name=period]", "2022-12")
    with page.expect_navigation():
        page.click("form.document-request button[type=submit]")
    link = page.locator(".document-status").first.locator("a[href$='/download/']")
    link.wait_for(timeout=90_000)
    with page.expect_download() as download_info:
        link.click()
    text = _pdf_text(download_info.value.path())
    flat = re.sub(r"\s+", "", text)
    assert "督导情况" in flat
    section = text[text.index("督导情况") :]
    row = next(line for line in section.splitlines() if line.strip().startswith("河北区"))
    assert re.findall(r"\d+", row) == ["1", "1", "1", "0"]
    assert "2022年12月，市住房城乡建设委和市级部门到各区开展督导1次" in flat
