"""An inspector on site with a phone and a line that drops: nothing answered is lost, and the signed record shows
what was found.

The commission sets up a round, a team with inspector-1 and one 和平区 community through the admin (the only way
into the separate server's database is HTTP); then inspector-1 answers at phone size, goes offline half way,
comes back, reloads and signs.
"""

from __future__ import annotations

import os
import re
import time

import pytest

from tests.e2e.conftest import PHONE, SCREENSHOTS, acceptance_set_up, has_horizontal_overflow, login, png, shoot

pytestmark = pytest.mark.e2e

FAILING_ITEM = 10
FINDING = "未设置垃圾分类投放点，居民反映无处投放"
SAVE_TIMEOUT_MS = 20_000


def _item(page, n: int):
    return page.locator(f"#item-{n}")


def _answer(page, n: int, result: str = "meets", note: str = "") -> None:
    _item(page, n).locator(f"input[value={result}]").check()
    if note:
        _item(page, n).locator("textarea").fill(note)


def _min_height(page, selector: str) -> float:
    return page.evaluate(
        "(s) => Math.min(...Array.from(document.querySelectorAll(s)).map((e) => e.getBoundingClientRect().height))",
        selector,
    )


def test_answers_given_offline_reach_the_server_and_the_signed_record(page):
    from playwright.sync_api import expect

    round_name = f"离线验收演练{os.getpid()}-{int(time.time())}"
    code, _name = acceptance_set_up(page, round_name, "离线测试组")

    page.set_viewport_size(PHONE)
    login(page, "inspector-1")
    page.goto("/inspect/")
    section = page.locator("section.inspect-round").filter(has=page.locator("h2", has_text=round_name))
    card = section.locator(f"a.assignment-card[data-code='{code}']")
    expect(card).to_contain_text("未开始")
    assert _min_height(page, "a.assignment-card") >= 44
    assert not has_horizontal_overflow(page)
    shoot(page, "inspection-assignments-phone")
    with page.expect_navigation():
        card.click()

    expect(page.locator("#save-bar")).to_have_text("全部已保存")
    assert page.locator("fieldset.inspect-item").count() == 16
    assert not has_horizontal_overflow(page), "the checklist scrolls sideways on a phone"
    for selector in (".choice", ".photo-pick", "#sign-button", "textarea"):
        assert _min_height(page, f"#checklist {selector}") >= 44, selector
    shoot(page, "inspection-checklist-phone")

    for n in range(1, 6):
        _answer(page, n)
    for n in range(1, 6):
        expect(_item(page, n).locator(".item-state")).to_have_text(re.compile(r"^已保存 \d\d:\d\d$"))
    expect(page.locator("#save-bar")).to_have_text("全部已保存")

    page.context.set_offline(True)
    for n in range(6, 17):
        if n == FAILING_ITEM:
            _answer(page, n, "fails", FINDING)
        else:
            _answer(page, n)
    _item(page, FAILING_ITEM).locator("input[type=file]").set_input_files(
        files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": png()}]
    )

    offline_items = "、".join(str(n) for n in range(6, 17))
    bar = page.locator("#save-bar")
    expect(bar).to_contain_text(f"有 11 项未保存，网络恢复后自动重试（第 {offline_items} 项）")
    expect(bar).to_contain_text("1 张照片未上传")
    for n in range(6, 17):
        expect(_item(page, n).locator(".item-state")).to_have_text("未保存")
    for n in range(1, 6):
        expect(_item(page, n).locator(".item-state")).to_have_text(re.compile("^已保存"))
    expect(_item(page, FAILING_ITEM).locator(".photo-pending")).to_contain_text("照片未上传")
    expect(page.locator("#sign-button")).to_be_disabled()
    # The answers wait in the browser's storage, so even a reload would keep them; leaving the page asks first.
    held = page.evaluate(
        "Object.keys(JSON.parse(localStorage.getItem(document.getElementById('checklist').dataset.storageKey)))"
    )
    assert sorted(map(int, held)) == list(range(6, 17))
    leaving = "() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented; }"
    assert page.evaluate(leaving) is True
    assert not has_horizontal_overflow(page)
    # What the inspector sees while offline: the failed item, its waiting photo and the bar stuck to the top.
    _item(page, FAILING_ITEM).scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 120)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inspection-offline-phone-screen.png"))
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "inspection-offline-phone")

    page.context.set_offline(False)
    expect(bar).to_have_text("全部已保存", timeout=SAVE_TIMEOUT_MS)
    expect(_item(page, FAILING_ITEM).locator(".inspect-photos img")).to_have_count(1)
    expect(page.locator("#sign-button")).to_be_enabled()
    assert page.evaluate(leaving) is False

    page.reload()
    expect(bar).to_have_text("全部已保存")
    for n in range(1, 17):
        result = "fails" if n == FAILING_ITEM else "meets"
        expect(_item(page, n).locator(f"input[value={result}]")).to_be_checked()
        expect(_item(page, n).locator(".item-state")).to_have_text(re.compile("^已保存"))
    expect(_item(page, FAILING_ITEM).locator("textarea")).to_have_value(FINDING)
    expect(_item(page, FAILING_ITEM).locator(".inspect-photos img")).to_have_count(1)

    with page.expect_navigation():
        page.click("#sign-button")
    expect(page.locator(".sign-counts .count-meets strong")).to_have_text("15")
    expect(page.locator(".sign-counts .count-fails strong")).to_have_text("1")
    expect(page.locator(".failure-items")).to_contain_text(FINDING)
    assert not has_horizontal_overflow(page)
    shoot(page, "inspection-sign-phone")
    page.check("input[name=confirm]")
    with page.expect_navigation():
        page.click("#confirm-sign")

    assert re.search(r"/acceptance/inspections/\d+/$", page.url), page.url
    expect(page.locator("#verdict")).to_contain_text("已签署：未达到创建标准")
    expect(page.locator("main")).to_contain_text("达标15项，不达标1项，不适用0项")
    expect(page.locator(".answer-row.result-meets")).to_have_count(15)
    failed = page.locator(f".answer-row.result-fails[data-item='{FAILING_ITEM}']")
    expect(failed).to_contain_text(FINDING)
    expect(failed.locator(".inspect-photos img")).to_have_count(1)
    # The thumbnail is lazy-loaded below the fold; fetch it as the inspector to check it is served.
    thumbnail = page.request.get(failed.locator(".inspect-photos img").get_attribute("src"))
    assert thumbnail.status == 200 and thumbnail.headers["content-type"] == "image/webp"
    expect(page.locator("#signed-by")).to_have_text("高振华")  # inspector-1's name in the demo data, not the login
    assert not has_horizontal_overflow(page), "the record scrolls sideways on a phone"
    shoot(page, "inspection-record-phone")

    page.goto("/inspect/")
    expect(section.locator(f"a.assignment-card[data-code='{code}']")).to_contain_text("已签署：未通过")
