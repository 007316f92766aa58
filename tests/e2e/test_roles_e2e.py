"""Every role in a real browser: log in, land on a Chinese home page, see only its own scope, log out.

The portal runs as `make run` runs it (see conftest.py), seeded by seed_demo; all logins use password demo12345.
Assertions on Chinese text use data (district, street and campaign names), which is there whether or not the
zh_Hans catalogue is compiled; one test checks the catalogue itself once locale/zh_Hans/LC_MESSAGES/django.mo exists.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, ROOT, has_horizontal_overflow, html_lang, login, logout, shoot

pytestmark = pytest.mark.e2e

CAMPAIGN = "天津市绿色社区创建行动"
TIANJIN_DISTRICTS = [
    "和平区",
    "河东区",
    "河西区",
    "南开区",
    "河北区",
    "红桥区",
    "东丽区",
    "西青区",
    "津南区",
    "北辰区",
    "武清区",
    "宝坻区",
    "滨海新区",
    "宁河区",
    "静海区",
    "蓟州区",
]
HEPING_STREETS = ["劝业场街道", "小白楼街道", "五大道街道", "新兴街道", "南营门街道", "南市街道"]
HEXI_STREET = "大营门街道"  # 120103001, 河西区
COMPILED_CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"

# What each role's home page shows beyond the campaign name: (text in the header, text in <main>, text not in <main>).
ROLE_HOME = {
    "commission": ("", ["和平区", "滨海新区", "蓟州区"], []),
    "reviewer": ("", ["和平区", "滨海新区", "蓟州区"], []),
    "district-120101": ("和平区", ["和平区", "南市街道"], ["河西区", "滨海新区"]),
    "street-120101001": ("和平区 劝业场街道", ["和平区"], ["河西区", "滨海新区"]),
    "dept-zjw": ("市住房城乡建设委", ["推进社区基础设施绿色化", "和平区"], []),
    "inspector-1": ("", [], ["和平区", "滨海新区"]),
}


def main_text(page) -> str:
    return page.inner_text("main")


def roster_link(page):
    return page.locator("nav.mainnav a[href='/roster/']")


@pytest.mark.parametrize("username", list(ROLE_HOME))
def test_each_role_lands_on_its_chinese_home_page(page, live_portal, username):
    login(page, username)

    assert page.url == f"{live_portal.url}/"
    assert html_lang(page) == "zh-hans"
    header, shown, hidden = ROLE_HOME[username]
    who = page.inner_text("header .who")
    assert username not in who and re.match(r"[\u4e00-\u9fff]{2,4} · ", who), who  # a person's name, not the login
    if header:
        assert header in page.inner_text("header .who")
    text = main_text(page)
    assert CAMPAIGN in text
    for name in shown:
        assert name in text, f"{username}'s home page should show {name}"
    for name in hidden:
        assert name not in text, f"{username}'s home page should not show {name}"


def test_commission_sees_all_sixteen_districts(page):
    login(page, "commission")
    with page.expect_navigation():
        roster_link(page).click()

    assert page.url.endswith("/roster/")
    assert html_lang(page) == "zh-hans"
    rows = page.locator("main table tbody tr")
    assert rows.count() == 16
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(16)] == TIANJIN_DISTRICTS


def test_district_staff_sees_only_its_district(page):
    login(page, "district-120101")
    with page.expect_navigation():
        roster_link(page).click()

    assert page.url.endswith("/roster/district/120101/")
    assert "和平区" in page.inner_text("main h1")
    streets = page.locator("main table tbody tr td:first-child a")
    assert streets.all_inner_texts() == HEPING_STREETS
    assert HEXI_STREET not in main_text(page)

    for other in ("/roster/district/120103/", "/roster/street/120103001/", "/communities/120103001001/"):
        response = page.goto(other)
        assert response.status == 404, other
        assert HEXI_STREET not in page.content()


def test_street_staff_sees_only_its_street(page):
    login(page, "street-120101001")
    with page.expect_navigation():
        roster_link(page).click()

    assert page.url.endswith("/roster/street/120101001/")
    assert "劝业场街道" in page.inner_text("main h1")
    codes = page.locator("main table tbody tr td:nth-child(2)").all_inner_texts()
    assert codes, "the street's communities are listed"
    assert all(code.startswith("120101001") for code in codes), codes
    for other in ("/roster/street/120101002/", "/roster/district/120103/", "/communities/120101002002/"):
        response = page.goto(other)
        assert response.status == 404, other
        assert "小白楼街道" not in page.content()


def test_department_staff_reads_the_whole_city(page):
    login(page, "dept-zjw")
    with page.expect_navigation():
        roster_link(page).click()

    assert page.locator("main table tbody tr").count() == 16
    assert page.get_by_role("link", name="滨海新区").is_visible()


def test_inspector_has_no_roster(page):
    login(page, "inspector-1")

    assert roster_link(page).count() == 0
    response = page.goto("/roster/")
    assert response.status == 404
    response = page.goto("/roster/district/120101/")
    assert response.status == 404


def test_logout(page, live_portal):
    login(page, "district-120101")
    logout(page)

    assert "/accounts/login/" in page.url
    assert page.locator("header .who").count() == 0
    page.goto("/roster/")
    assert re.search(r"/accounts/login/\?next=/roster/", page.url), page.url


def test_language_switch(page):
    login(page, "commission")
    assert html_lang(page) == "zh-hans"

    with page.expect_navigation():
        page.click("header form.lang button[value='en']")
    assert html_lang(page) == "en"
    assert page.url.endswith("/")
    assert page.get_by_role("button", name="Log out").is_visible()
    assert CAMPAIGN in main_text(page)  # data stays Chinese

    page.goto("/roster/")
    assert html_lang(page) == "en", "the choice sticks across pages"

    with page.expect_navigation():
        page.click("header form.lang button[value='zh-hans']")
    assert html_lang(page) == "zh-hans"
    assert page.url.endswith("/roster/")


def test_login_page_is_translated(page):
    if not COMPILED_CATALOGUE.exists():
        pytest.skip("no compiled catalogue")
    page.goto("/accounts/login/")

    assert html_lang(page) == "zh-hans"
    button = page.locator("form:has(#id_username) button[type=submit]").inner_text().strip()
    assert button != "Log in"
    assert page.inner_text("main h1").strip() != "Log in to the green community portal"


@pytest.mark.parametrize("username", ["commission", "district-120101"])
@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_home_and_roster_layout(page, username, size, viewport):
    page.set_viewport_size(viewport)
    login(page, username)

    for name, path in (("home", "/"), ("roster", "/roster/")):
        if path != "/":
            page.goto(path)
        page.wait_for_load_state("load")
        assert html_lang(page) == "zh-hans"
        shoot(page, f"{username}-{name}-{size}")
        if size == "phone":
            assert not has_horizontal_overflow(page), f"{username}'s {name} page scrolls sideways at phone width"
