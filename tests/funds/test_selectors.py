"""The rollups: per source and per district in one grouped query each, counted the way the pages show them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from districts.models import Community, District
from reporting.funds.selectors import funds_by_district, funds_by_source, funds_panel, funds_years, wan

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(heping_staff, hexi_staff, heping_communities, hexi_community, sources, add_line):
    a, b, _c = heping_communities
    add_line(a, 2021, sources["old-estate"], "3000000", "2500000", by=heping_staff)
    add_line(a, 2021, sources["fiscal"], "200000", "200000", by=heping_staff)
    add_line(b, 2021, sources["old-estate"], "1000000", "400000", by=heping_staff)
    add_line(b, 2022, sources["social-capital"], "50000", "0", by=heping_staff)
    add_line(hexi_community, 2021, sources["sponge-city"], "800000", "123456.78", by=hexi_staff)


def _row(by_source, code):
    return next(r.totals for r in by_source.rows if r.source.code == code)


def test_a_districts_year_is_summed_per_source(lines, heping):
    result = funds_by_source(year=2021, district=heping)
    old_estate = _row(result, "old-estate")
    assert (old_estate.committed, old_estate.spent, old_estate.communities) == (
        Decimal("4000000.00"),
        Decimal("2900000.00"),
        2,
    )
    assert (old_estate.committed_wan, old_estate.spent_wan) == (Decimal("400.00"), Decimal("290.00"))
    assert _row(result, "sponge-city").is_empty  # 河西区's line is not 和平区's
    assert (result.total.committed, result.total.spent, result.total.communities) == (
        Decimal("4200000.00"),
        Decimal("3100000.00"),
        2,
    )
    assert [r.source.name for r in result.rows][:2] == ["城镇老旧小区改造", "绿色建筑"]


def test_the_city_sums_every_district(lines):
    result = funds_by_source(year=2021)
    assert result.total.committed == Decimal("5000000.00") and result.total.communities == 3
    assert _row(result, "sponge-city").spent == Decimal("123456.78")
    assert wan(Decimal("123456.78")) == Decimal("12.35")


def test_the_matrix_has_a_cell_per_district_and_source_and_their_totals(lines, heping, hexi):
    matrix = funds_by_district(year=2021)
    assert len(matrix.rows) == District.objects.count()
    rows = {row.district.code: row for row in matrix.rows}
    codes = [s.code for s in matrix.sources]
    assert rows["120101"].by_source[codes.index("fiscal")].committed == Decimal("200000.00")
    assert rows["120101"].total.committed == Decimal("4200000.00") and rows["120101"].total.communities == 2
    assert rows["120103"].by_source[codes.index("sponge-city")].spent == Decimal("123456.78")
    assert rows["120104"].total.is_empty
    assert matrix.by_source[codes.index("old-estate")].committed == Decimal("4000000.00")
    assert matrix.total.committed == Decimal("5000000.00") and matrix.total.communities == 3


def test_years_and_the_dashboard_panels_year(lines, heping):
    assert funds_years() == [2022, 2021] and funds_years(district=heping) == [2022, 2021]
    assert funds_panel(on_year=2021, district=heping).year == 2021
    assert funds_panel(on_year=2026, district=heping).year == 2022  # the latest year with funds, not an empty one
    assert funds_panel(on_year=2020).is_empty and funds_panel(on_year=2020).year == 2020


def test_the_rollups_take_the_same_few_queries_however_many_lines(heping_staff, sources, add_line):
    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as by_source:
            funds_by_source(year=2021)
        with CaptureQueriesContext(connection) as by_district:
            funds_by_district(year=2021)
        return len(by_source), len(by_district)

    communities = list(Community.objects.filter(district__code="120101").order_by("code")[:20])
    add_line(communities[0], 2021, sources["fiscal"], "1", "0", by=heping_staff)
    few = count()
    for community in communities[1:]:
        for source in list(sources.values())[:4]:
            add_line(community, 2021, source, "100", "50", by=heping_staff)
    # The matrix: its districts, cells, rows' totals, columns' totals, grand total, sources.
    assert count() == few and few[0] <= 3 and few[1] <= 6


def test_the_dashboard_panel_is_one_query_with_the_years_figures(lines, heping, django_assert_num_queries):
    with django_assert_num_queries(1):
        panel = funds_panel(on_year=2021, district=heping)
    assert [row.source.name for row in panel.rows] == ["城镇老旧小区改造", "财政专项"]
    assert (panel.total.committed, panel.total.spent, panel.total.communities) == (
        Decimal("4200000.00"),
        Decimal("3100000.00"),
        2,
    )
    with django_assert_num_queries(1):
        city = funds_panel(on_year=2030)
    assert city.year == 2022 and city.total.communities == 1 and city.rows[0].source.name == "社会资本"
