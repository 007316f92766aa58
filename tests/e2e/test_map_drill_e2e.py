"""Issue 14 in a real browser, on the seeded demo data: the commission's map draws all 16 districts as a labelled
schematic (蓟州区 with a shape of its own), and the drill-down runs from the city dashboard through a district and a
street to a community's campaign progress by clicking links, keeping the dashboard's date and breadcrumbs.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import PHONE, has_horizontal_overflow, login, shoot

pytestmark = pytest.mark.e2e

# What ECharts drew: the series' data (the districts' figures) and the regions of its map, each with its extent.
DRAWN = """() => {
  const chart = echarts.getInstanceByDom(document.querySelector('#map'));
  const series = chart.getModel().getSeriesByIndex(0);
  return {
    data: chart.getOption().series[0].data.map(d => d.name),
    regions: series.coordinateSystem.regions.map(region => {
      const box = region.getBoundingRect();
      return {name: region.name, width: box.width, height: box.height};
    }),
  };
}"""


def test_the_map_draws_sixteen_districts_each_with_a_shape(page):
    """Issue 14 item 1."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, "commission")
    page.goto("/dashboard/")
    page.locator("#map[data-rendered]").wait_for(state="attached")
    drawn = page.evaluate(DRAWN)
    assert len(drawn["data"]) == 16 and "蓟州区" in drawn["data"]
    shapes = {region["name"]: region for region in drawn["regions"]}
    assert set(shapes) == set(drawn["data"])
    assert [name for name, box in shapes.items() if not (box["width"] > 0 and box["height"] > 0)] == []
    assert "天津市各区示意图" in page.inner_text("#map-caption")
    page.locator("#map").scroll_into_view_if_needed()
    shoot(page, "map-desktop")
    assert errors == []


def test_drill_from_the_city_dashboard_to_a_communitys_progress(page):
    """Issue 14 item 5: city → district → street → community, by the links a reader clicks."""
    login(page, "reviewer")
    page.goto("/dashboard/?on=2022-06-30")
    with page.expect_navigation():
        page.locator("#ranking tbody tr[data-code='120101'] th a").click()
    assert page.url.endswith("/dashboard/district/120101/?on=2022-06-30")

    street = page.locator("#streets tbody tr th a").first
    street_name = street.inner_text()
    with page.expect_navigation():
        street.click()
    assert re.search(r"/dashboard/street/\d{9}/\?on=2022-06-30$", page.url)
    assert page.inner_text("h1") == f"{street_name}创建进度"
    assert page.inner_text("nav.crumbs") == f"创建进度看板 › 和平区 › {street_name}"
    assert "截至2022年6月30日" in page.inner_text(".as-of")
    rows = page.locator("#communities tbody tr")
    assert rows.count() > 0

    met = page.locator("#communities tbody tr:has-text('已达标') td a")
    community = met.first if met.count() else rows.first.locator("td a")
    community_name = community.inner_text()
    with page.expect_navigation():
        community.click()
    assert re.search(r"/dashboard/community/\d{12}/\?on=2022-06-30$", page.url)
    assert page.inner_text("h1") == f"{community_name}创建进度"
    assert page.inner_text("nav.crumbs") == f"创建进度看板 › 和平区 › {street_name} › {community_name}"
    assert page.locator("#items tbody tr").count() == 16
    assert page.inner_text("#met-state").strip()
    for heading in ("#inspections-heading", "#rectifications-heading", "#objections-heading"):
        assert page.locator(heading).count() == 1
    shoot(page, "community-progress-desktop")

    # Back up the breadcrumbs: the street, then the district, still on the same date.
    with page.expect_navigation():
        page.locator("nav.crumbs a", has_text=street_name).click()
    assert re.search(r"/dashboard/street/\d{9}/\?on=2022-06-30$", page.url)
    page.go_back()

    page.set_viewport_size(PHONE)
    page.reload()
    assert not has_horizontal_overflow(page)
    shoot(page, "community-progress-phone")
