"""The experience library in a real browser: 和平区 writes a case with a photo and submits it, the commission
publishes it, and a street officer finds it by searching for one of its standard items — on a phone."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, has_horizontal_overflow, login, logout, png, shoot

pytestmark = pytest.mark.e2e
TITLE = "楼门口袋花园共建共管"


def test_experience_case_from_district_to_published_and_found_by_item(page):
    page.on("dialog", lambda dialog: dialog.accept())

    # 和平区 writes the case: its own communities to choose from, standard item 7, and a photo.
    login(page, "district-120101")
    page.goto("/experience/new/")
    assert "和平区经验做法" in page.inner_text("h1")
    page.fill("#id_title", TITLE)
    community = page.locator("#id_communities option").first
    community_name = community.inner_text().split("·")[-1].strip()
    page.select_option("#id_communities", index=0)
    page.get_by_label("7. 社区绿地布局合理，有公共活动空间和设施").check()
    page.fill("#id_measures", "居民认领楼门前的边角地，社区提供苗木，共建口袋花园并轮流养护。")
    page.fill("#id_results", "建成口袋花园9处，新增绿地300平方米。")
    page.fill("#id_cost", "-100")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert "投入费用不能为负数" in page.inner_text("form .errorlist")
    page.fill("#id_cost", "23000")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert re.search(r"/experience/\d+/$", page.url)
    case_url = page.url
    page.set_input_files("input[name=file]", {"name": "口袋花园.png", "mimeType": "image/png", "buffer": png()})
    with page.expect_navigation():
        page.get_by_role("button", name="上传").click()
    assert "口袋花园.png" in page.inner_text(".evidence-list")
    with page.expect_navigation():
        page.get_by_role("button", name="提交市住房城乡建设委").click()
    assert "经验做法已提交市住房城乡建设委" in page.inner_text(".messages")
    assert page.locator("a:text-is('编辑')").count() == 0
    logout(page)

    # The commission finds it waiting, and publishes it after ticking the confirmation.
    login(page, "reviewer")
    page.goto("/experience/")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("待审核")).click()
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(TITLE)).click()
    assert page.url == case_url
    page.get_by_label("可复制可推广").first.check()
    page.get_by_label("我了解发布后所有登录用户均可查阅该经验做法").check()
    with page.expect_navigation():
        page.get_by_role("button", name="发布", exact=True).click()
    assert "经验做法已发布" in page.inner_text(".messages")
    logout(page)

    # A street officer of 和平区, on a phone, searches the library by item 7 and opens the case.
    page.set_viewport_size(PHONE)
    login(page, "street-120101001")
    page.goto("/experience/")
    page.select_option("#id_item", label="7. 社区绿地布局合理，有公共活动空间和设施")
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    assert "item=7" in page.url
    titles = page.locator(".case-list .assignment-name").all_inner_texts()
    assert TITLE in titles and "垃圾分类“绿色积分”兑换" not in titles  # the demo's sorting case is item 5 and 15
    assert not has_horizontal_overflow(page)
    shoot(page, "experience-list-phone")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(TITLE)).click()
    body = page.inner_text("main")
    assert community_name in body and "23000元" in body and "可复制可推广" in body and "口袋花园.png" in body
    assert page.locator("form[action$='/publish/']").count() == 0 and page.locator("input[type=file]").count() == 0
    assert not has_horizontal_overflow(page)
    shoot(page, "experience-detail-phone")
    page.set_viewport_size(DESKTOP)
    shoot(page, "experience-detail-desktop")
    page.goto("/experience/")
    shoot(page, "experience-list-desktop")
    page.goto("/commendations/?year=2021")
    assert "劝业场街道" in page.inner_text("main") and "光明路社区居委会" not in page.inner_text("main")
    shoot(page, "commendations-desktop")
    page.set_viewport_size(PHONE)
    assert not has_horizontal_overflow(page)
    shoot(page, "commendations-phone")
