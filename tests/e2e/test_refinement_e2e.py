"""A district's refinements on the inspector's phone: the demo's approved sub-indicators of 和平区 show under their
item of a 和平区 community's checklist, a sub-check is saved with the item's answer and is still there after a
reload, and the page does not scroll sideways."""

from __future__ import annotations

import os
import re
import time

import pytest

from tests.e2e.conftest import PHONE, acceptance_set_up, has_horizontal_overflow, login, shoot

pytestmark = pytest.mark.e2e

SAVE_TIMEOUT_MS = 20_000


def test_a_districts_sub_indicators_guide_the_phone_checklist_and_a_sub_check_is_kept(page):
    from playwright.sync_api import expect

    round_name = f"细化指标验收{os.getpid()}-{int(time.time())}"
    code, _name = acceptance_set_up(page, round_name, "细化指标测试组", row=2)

    page.set_viewport_size(PHONE)
    login(page, "inspector-1")
    page.goto("/inspect/")
    section = page.locator("section.inspect-round").filter(has=page.locator("h2", has_text=round_name))
    with page.expect_navigation():
        section.locator(f"a.assignment-card[data-code='{code}']").click()

    item = page.locator("#item-5")
    guides = item.locator("details.refinements")
    expect(guides.locator("summary")).to_have_text("和平区细化指标（2项）")
    expect(guides).to_contain_text("垃圾分类投放点每个楼栋不少于1处")
    # Another district's sub-indicators never show here (河西区 refined the same item).
    expect(page.locator("#checklist")).not_to_contain_text("厨余垃圾单独收运")
    assert not has_horizontal_overflow(page), "the checklist scrolls sideways on a phone"

    guides.locator("input[data-sub][value=not_met]").first.check()
    item.locator("input[name=result-5][value=meets]").check()
    expect(item.locator(".item-state")).to_have_text(re.compile(r"^已保存 \d\d:\d\d$"), timeout=SAVE_TIMEOUT_MS)
    shoot(page, "refinement-checklist-phone")

    page.reload()
    item = page.locator("#item-5")
    expect(item.locator("input[data-sub][value=not_met]").first).to_be_checked()
    expect(item.locator("input[name=result-5][value=meets]")).to_be_checked()
