"""The dashboards in a real browser, on the seeded demo data with its progress snapshots: the commission's map of
the 16 districts, the trend and the ranking; drill-down from the map and the table to a district, a street and a
community; district staff sent to their own district; a city bulletin made and downloaded as a PDF.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import PHONE, has_horizontal_overflow, login, shoot

pytestmark = pytest.mark.e2e

MAP_AREAS = "echarts.getInstanceByDom(document.querySelector('#map')).getOption().series[0].data.length"
# 滨海新区's label point: the largest district, easy to hit with a click at any size.
BINHAI_POINT = [117.654173, 39.032846]


def _wait_for_map(page) -> None:
    page.wait_for_function(
        "() => { const c = window.echarts && echarts.getInstanceByDom(document.querySelector('#map'));"
        " const o = c && c.getOption(); return !!(o && o.series && o.series[0].data.length); }"
    )


def _wait_until_drawn(page, *chart_ids: str) -> None:
    """Wait until each chart has finished drawing, its animation included (dashboard.js marks it)."""
    for chart_id in chart_ids:
        page.locator(f"#{chart_id}[data-rendered]").wait_for(state="attached")


def test_commission_dashboard_map_trend_and_ranking_at_desktop_and_phone(page):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, "commission")
    page.goto("/dashboard/")
    assert page.inner_text("h1") == "创建进度看板"
    assert "数据截至" in page.inner_text(".snapshot-note")
    _wait_for_map(page)
    assert page.evaluate(MAP_AREAS) == 16
    labels = page.evaluate(
        "echarts.getInstanceByDom(document.querySelector('#map')).getOption().series[0].data.map(d => d.label)"
    )
    assert {"和平区", "滨海新区", "蓟州区"} <= set(labels)
    trend = page.evaluate("echarts.getInstanceByDom(document.querySelector('#trend')).getOption().series")
    assert trend[0]["name"] == "达标率" and len(trend[0]["data"]) >= 24
    assert [point[1] for point in trend[1]["data"]] == [30, 60]
    assert page.locator("#ranking tbody tr").count() == 16
    assert page.locator(".dashboard-flags li").count() >= 1
    _wait_until_drawn(page, "map", "trend")
    shoot(page, "dashboard-city-desktop")

    page.set_viewport_size(PHONE)
    page.reload()
    _wait_for_map(page)
    width = page.evaluate("document.querySelector('#map canvas').getBoundingClientRect().width")
    assert 300 <= width <= PHONE["width"]
    assert not has_horizontal_overflow(page)
    _wait_until_drawn(page, "map", "trend")
    shoot(page, "dashboard-city-phone")
    assert errors == []


def test_drill_down_from_the_map_and_the_ranking_to_a_community(page):
    login(page, "reviewer")
    page.goto("/dashboard/")
    _wait_for_map(page)
    x, y = page.evaluate(
        f"echarts.getInstanceByDom(document.querySelector('#map')).convertToPixel({{seriesIndex: 0}}, {BINHAI_POINT})"
    )
    page.locator("#map").scroll_into_view_if_needed()
    box = page.locator("#map").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)
    assert page.url.endswith("/dashboard/district/120116/")
    assert "滨海新区" in page.inner_text("h1")

    page.goto("/dashboard/")
    with page.expect_navigation():
        page.locator("#ranking tbody tr[data-code='120101'] a").click()
    assert page.url.endswith("/dashboard/district/120101/")
    streets = page.locator("#streets tbody tr")
    page.wait_for_function("() => echarts.getInstanceByDom(document.querySelector('#bars')).getOption().series")
    bars = page.evaluate("echarts.getInstanceByDom(document.querySelector('#bars')).getOption().series[0].data.length")
    assert bars == streets.count() > 0
    _wait_until_drawn(page, "bars", "trend")
    shoot(page, "dashboard-district-desktop")

    street = streets.first.locator("th a")
    street_name = street.inner_text()
    with page.expect_navigation():
        street.click()
    assert re.search(r"/dashboard/street/\d{9}/$", page.url)
    assert street_name in page.inner_text("main")
    community = page.locator("a[href^='/dashboard/community/']").first
    community_name = community.inner_text()
    with page.expect_navigation():
        community.click()
    assert re.search(r"/dashboard/community/\d{12}/$", page.url)
    assert community_name in page.inner_text("h1")


def test_district_staff_land_on_their_districts_dashboard_on_a_phone(page):
    page.set_viewport_size(PHONE)
    login(page, "district-120103")
    page.goto("/dashboard/")
    assert page.url.endswith("/dashboard/district/120103/")
    assert page.inner_text("h1") == "河西区创建进度看板"
    page.wait_for_function("() => echarts.getInstanceByDom(document.querySelector('#bars')).getOption().series")
    assert page.locator("#streets tbody tr").count() > 0
    assert not has_horizontal_overflow(page)
    _wait_until_drawn(page, "bars", "trend")
    shoot(page, "dashboard-district-phone")
    assert page.goto("/dashboard/district/120101/").status == 404


def test_a_city_bulletin_is_made_with_its_progress_shown_and_downloads(page):
    login(page, "commission")
    page.goto("/documents/")
    page.select_option("select[name=kind]", "city-bulletin")
    page.fill("input[name=period]", "2022-06")
    with page.expect_navigation():
        page.click("form.document-request button[type=submit]")
    status = page.locator(".document-status").first
    status.locator("progress, a[href$='/download/']").first.wait_for()
    link = status.locator("a[href$='/download/']")
    link.wait_for(timeout=60_000)
    with page.expect_download() as download_info:
        link.click()
    path = download_info.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
