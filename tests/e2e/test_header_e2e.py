"""The header at phone width (Issue 14 item 15): one short line with a menu button that opens the whole menu,
stacked, by mouse or keyboard; the desktop keeps its one-row header with every item in sight."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE, has_horizontal_overflow, login, shoot

pytestmark = pytest.mark.e2e

ROLES = ["commission", "reviewer", "district-120101", "street-120101001", "dept-zjw", "inspector-1"]
MAX_PHONE_HEADER = 120
DESKTOP_WIDE = {"width": 1280, "height": 900}


def _watch_csp(page) -> list[str]:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    return console


def _header_height(page) -> float:
    return page.evaluate("document.querySelector('header').getBoundingClientRect().height")


def _outside_the_viewport(page, selector: str) -> list[str]:
    """The elements matching `selector` that are not drawn whole within the viewport's width."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].filter((el) => {
             const box = el.getBoundingClientRect();
             return box.width === 0 || box.height === 0 || box.left < 0 || box.right > window.innerWidth;
           }).map((el) => el.textContent.trim())""",
        selector,
    )


@pytest.mark.parametrize("username", ROLES)
def test_the_phone_header_is_compact_and_its_menu_shows_every_item(page, username):
    """Issue 14 item 15."""
    console = _watch_csp(page)
    page.set_viewport_size(PHONE)
    login(page, username)

    assert _header_height(page) <= MAX_PHONE_HEADER
    toggle = page.locator("header button.menu-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert toggle.get_attribute("aria-controls") == "portal-menu"
    assert "菜单" in toggle.inner_text()
    items = page.locator("nav.mainnav a")
    labels = [label.strip() for label in items.all_text_contents()]
    assert "首页" in labels and len(labels) >= 2
    assert not page.locator("nav.mainnav").is_visible()
    assert not has_horizontal_overflow(page)

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert all(items.nth(i).is_visible() for i in range(items.count())), labels
    assert _outside_the_viewport(page, "nav.mainnav a") == []
    assert _outside_the_viewport(page, "header .who a, header .who button, header .lang button") == []
    # Stacked: one item a line, each below the one before.
    tops = page.evaluate("[...document.querySelectorAll('nav.mainnav a')].map((a) => a.getBoundingClientRect().top)")
    assert tops == sorted(tops) and len(set(tops)) == len(tops), tops
    assert not has_horizontal_overflow(page)
    shoot(page, f"header-phone-open-{username}")

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("nav.mainnav").is_visible()
    assert not console, console


def test_district_staff_reach_reports_and_rectifications_from_the_phone_menu(page):
    """Issue 14 item 15: 报告 and 整改事项 were scrolled out of sight in a sideways strip."""
    page.set_viewport_size(PHONE)
    login(page, "district-120101")
    toggle = page.locator("header button.menu-toggle")

    toggle.click()
    with page.expect_navigation():
        page.locator("nav.mainnav").get_by_role("link", name="报告", exact=True).click()
    assert page.url.endswith("/reports/")
    assert toggle.get_attribute("aria-expanded") == "false"

    toggle.click()
    current = page.locator("nav.mainnav a[aria-current='page']")
    assert current.inner_text().strip() == "报告" and current.is_visible()
    with page.expect_navigation():
        page.locator("nav.mainnav").get_by_role("link", name="整改事项", exact=True).click()
    assert page.url.endswith("/acceptance/rectifications/")
    assert _header_height(page) <= MAX_PHONE_HEADER


def test_the_phone_menu_works_with_the_keyboard(page):
    """Issue 14 item 15: Tab reaches the button, Enter opens the menu, Tab walks into it, Escape closes it."""
    page.set_viewport_size(PHONE)
    login(page, "district-120101")
    toggle = page.locator("header button.menu-toggle")

    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('nav.mainnav') !== null")
    assert page.evaluate("document.activeElement.textContent.trim()") == "首页"
    # Every item is a stop on the way, in order.
    labels = [label.strip() for label in page.locator("nav.mainnav a").all_text_contents()]
    reached = ["首页"]
    for _ in labels[1:]:
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert reached == labels

    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")
    assert not page.locator("nav.mainnav").is_visible()


@pytest.mark.parametrize("username", ["commission", "district-120101"])
def test_the_desktop_header_shows_every_item_in_one_row_without_a_menu_button(page, username):
    """Issue 14 item 15: the desktop header keeps every menu item in sight on one row, without a menu button."""
    page.set_viewport_size(DESKTOP_WIDE)
    login(page, username)

    assert not page.locator("header button.menu-toggle").is_visible()
    items = page.locator("nav.mainnav a")
    assert items.count() >= 2 and all(items.nth(i).is_visible() for i in range(items.count()))
    tops = page.evaluate("[...document.querySelectorAll('nav.mainnav a')].map((a) => a.getBoundingClientRect().top)")
    assert len(set(tops)) == 1, tops
    assert page.locator("header .who").is_visible() and page.locator("header form.lang").is_visible()
    # The commission's menu (17 items) takes the row under the portal's name; the user's own links (with the Django
    # admin, 系统管理) the next: three short rows at most, never a wrapped menu.
    assert _header_height(page) <= MAX_PHONE_HEADER
    shoot(page, f"header-desktop-{username}")
