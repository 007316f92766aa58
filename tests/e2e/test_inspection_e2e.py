"""Year-end acceptance end to end, at phone size for the inspector: one failed item with a photo, signing, the
record frozen, the district's rectification and request, the commission's re-inspection, a pass, and the
community counted as met once the public notice has run.

The round, team and first assignment are made as the commission through the admin (the test reaches the separate
server's database only over HTTP); everything after that goes through the portal's own pages.
"""

from __future__ import annotations

import datetime
import os
import re
import time
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import PHONE, acceptance_set_up, has_horizontal_overflow, login, logout, png, shoot

pytestmark = pytest.mark.e2e

FAILING_ITEM = 5
FINDING = "社区绿色公约未张贴公示"


def _inspect(page, round_name: str, code: str, *, fail: bool) -> str:
    """As inspector-1: open the community's newest assignment in the round, answer all 16 items, sign; return the
    record's URL."""
    from playwright.sync_api import expect

    page.goto("/inspect/")
    section = page.locator("section.inspect-round").filter(has=page.locator("h2", has_text=round_name))
    card = section.locator(f"a.assignment-card[data-code='{code}']").filter(has_not_text="已签署")
    with page.expect_navigation():
        card.first.click()
    for n in range(1, 17):
        item = page.locator(f"#item-{n}")
        if fail and n == FAILING_ITEM:
            item.locator("input[value=fails]").check()
            item.locator("textarea").fill(FINDING)
        else:
            item.locator("input[value=meets]").check()
    if fail:
        page.locator(f"#item-{FAILING_ITEM} input[type=file]").set_input_files(
            files=[{"name": "公约栏.png", "mimeType": "image/png", "buffer": png("olivedrab")}]
        )
        expect(page.locator(f"#item-{FAILING_ITEM} .inspect-photos img")).to_have_count(1, timeout=15_000)
    expect(page.locator("#save-bar")).to_have_text("全部已保存", timeout=15_000)
    assert not has_horizontal_overflow(page)
    with page.expect_navigation():
        page.click("#sign-button")
    page.check("input[name=confirm]")
    with page.expect_navigation():
        page.click("#confirm-sign")
    assert re.search(r"/acceptance/inspections/\d+/$", page.url), page.url
    return page.url


def test_inspection_failure_rectification_reinspection_and_notice(page):
    from playwright.sync_api import expect

    page.on("dialog", lambda dialog: dialog.accept())
    round_name = f"复验演练{os.getpid()}-{int(time.time())}"
    code, name = acceptance_set_up(page, round_name, "复验演练组", row=1)

    page.set_viewport_size(PHONE)
    login(page, "inspector-1")
    record_url = _inspect(page, round_name, code, fail=True)
    expect(page.locator("#verdict")).to_contain_text("已签署：未达到")
    failed = page.locator(f".answer-row.result-fails[data-item='{FAILING_ITEM}']")
    expect(failed).to_contain_text(FINDING)
    expect(failed.locator(".inspect-photos img")).to_have_count(1)
    shoot(page, "inspection-e2e-record-failed-phone")
    # Signed means frozen: an answer sent anyway is refused and the record stays as signed.
    inspection_pk = re.search(r"/acceptance/inspections/(\d+)/", record_url).group(1)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        f"/inspect/answer/{inspection_pk}/",
        form={"item": str(FAILING_ITEM), "result": "meets", "note": ""},
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert refused.status == 409
    page.reload()
    expect(page.locator(f".answer-row.result-fails[data-item='{FAILING_ITEM}']")).to_contain_text(FINDING)
    logout(page)

    # The district sees the item, puts it right and asks for re-inspection.
    login(page, "district-120101")
    page.goto("/acceptance/rectifications/")
    group = page.locator(f"#c-{code}")
    expect(group).to_contain_text(FINDING)
    group.locator("textarea[name=note]").fill("已在公告栏张贴社区绿色公约")
    with page.expect_navigation():
        group.locator("form.rectification-done button[type=submit]").click()
    group = page.locator(f"#c-{code}")
    group.locator("form.reinspection input[name=confirm]").check()
    with page.expect_navigation():
        group.locator("form.reinspection button[type=submit]").click()
    expect(page.locator(f"#c-{code}")).to_contain_text("已申请复验")
    shoot(page, "inspection-e2e-rectification-phone")
    logout(page)

    # The commission assigns the re-inspection from the request.
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, "commission")
    page.goto("/acceptance/rectifications/?status=requested")
    with page.expect_navigation():
        page.locator(f"#c-{code}").get_by_role("link", name="安排复验").click()
    page.select_option("select[name=team]", label="复验演练组")
    with page.expect_navigation():
        page.get_by_role("button", name="查看涵盖的社区").click()
    preview = page.locator("#assign-preview")
    expect(preview).to_contain_text(name)
    with page.expect_navigation():
        preview.locator("button[type=submit]").click()
    logout(page)

    page.set_viewport_size(PHONE)
    login(page, "inspector-1")
    _inspect(page, round_name, code, fail=False)
    expect(page.locator("#verdict")).to_contain_text("已签署：达到绿色社区创建标准")
    logout(page)

    # Met only once the 7-day notice has run.
    login(page, "commission")
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    page.goto(f"/acceptance/communities/{code}/?on={today.isoformat()}")
    expect(page.locator("main")).to_contain_text("公示中")
    page.goto(f"/acceptance/communities/{code}/?on={(today + datetime.timedelta(days=7)).isoformat()}")
    expect(page.locator("main")).to_contain_text("达到创建要求")
    shoot(page, "inspection-e2e-acceptance-record-phone")
