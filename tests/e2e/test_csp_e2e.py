"""The Content-Security-Policy in a real browser: the pages, their charts (tooltips included), htmx and the admin run
without one violation, and what used to be inline handlers (confirm, autosubmit, print, tick all) still works."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

# Every violation, whatever the console says: Chromium also fires this event for each one.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile);
});
"""


def _watch(page) -> list[str]:
    console: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: console.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    return console


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def _hover_chart(page, chart_id: str) -> None:
    page.locator(f"#{chart_id}[data-rendered]").wait_for(state="attached")
    box = page.locator(f"#{chart_id} canvas").first.bounding_box()
    for fx, fy in ((0.5, 0.5), (0.3, 0.6), (0.7, 0.4)):
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        page.wait_for_timeout(150)


def test_the_portal_runs_under_its_csp_without_a_violation(page):
    console = _watch(page)
    response = page.goto("/accounts/login/")
    policy = response.headers["content-security-policy"]
    assert (
        "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "img-src 'self' data: blob:" in policy
    )
    login(page, "commission")
    seen: dict[str, list[str]] = {}
    for url in (
        "/",
        "/dashboard/",
        "/dashboard/district/120116/",
        "/dashboard/department/",
        "/roster/",
        "/roster/street/120101001/",
        "/reports/review/",
        "/reports/timeliness/",
        "/acceptance/rounds/",
        "/acceptance/rectifications/",
        "/audit/",
        "/notifications/",
        "/documents/",
        "/admin/",
        "/admin/districts/community/",
    ):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if url == "/dashboard/":
            _hover_chart(page, "map")
            _hover_chart(page, "trend")
        if url == "/roster/street/120101001/":
            search = page.locator("input[name=q]")
            if search.count():
                search.first.fill("社区")  # htmx swaps the rows in
                page.wait_for_load_state("networkidle")
        seen[url] = _violations(page)
    assert not {url: v for url, v in seen.items() if v}, seen
    assert not console, console


def test_confirm_autosubmit_print_and_tick_all_work_without_inline_handlers(page):
    console = _watch(page)
    login(page, "district-120103")
    page.goto("/reports/")
    with page.expect_navigation():
        page.get_by_role("link", name="填报", exact=True).first.click()
    report_url = page.url

    # Tick all: every community's box follows the header's.
    tick_all = page.locator("input[data-tick-all]")
    tick_all.check()
    boxes = page.locator("input[form=bulk][name=row]")
    assert boxes.count() > 1
    assert page.evaluate("[...document.querySelectorAll('input[form=bulk][name=row]')].every(b => b.checked)")
    tick_all.uncheck()
    assert page.evaluate("[...document.querySelectorAll('input[form=bulk][name=row]')].every(b => !b.checked)")

    # Submitting asks first; declining sends nothing.
    asked: list[str] = []

    def decline(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", decline)
    page.get_by_role("button", name="提交市住房城乡建设委").click()
    page.wait_for_timeout(300)
    assert asked == ["确定向市住房城乡建设委提交本报告吗？审核期间不能修改。"]
    assert page.url == report_url and not page.locator(".messages .msg-success").count()

    # Print: the button calls the browser's print.
    page.goto(report_url + "print/")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.locator("[data-print]").click()
    assert page.evaluate("window.__printed === true")

    # A select that sends its form when changed (the audit trail's filter).
    page.goto("/audit/")
    with page.expect_navigation():
        page.select_option("select[name=action]", "update")
    assert "action=update" in page.url
    assert not console, console
