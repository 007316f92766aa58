"""The list pages page their districts: Tianjin's 16 with the page size lowered stand in for a national roster's
3,000. A page shows at most the page size, the pager keeps the other query parameters, totals stay everyone's and
a page number out of range still gives a page."""

import datetime
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.test import RequestFactory

from districts import officials_views
from districts.models import Community, District
from greencommunity.paging import paged
from reporting import views
from reporting.figures.timeliness import rates_by_district
from reporting.funds import views as funds_views
from reporting.funds.models import FundingSource
from reporting.funds.services import fund_entry_create
from reporting.models import Campaign, Report
from reporting.reports import timeliness_views
from standards import acceptance_views

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _codes() -> list[str]:
    return list(District.objects.order_by("code").values_list("code", flat=True))


def _roster_codes(page: str) -> list[str]:
    return re.findall(r'href="/roster/district/(\d+)/"', page)


def test_the_helper_gives_the_last_page_past_the_end_and_keeps_the_other_parameters():
    request = RequestFactory().get("/roster/", {"page": "99", "on": "2021-06-10", "q": "和平"})
    pager = paged(request, list(range(16)), per_page=5)
    assert pager.page.number == 4 and list(pager.rows) == [15]
    assert pager.previous_url == "?on=2021-06-10&q=%E5%92%8C%E5%B9%B3&page=3" and pager.next_url == ""
    first = paged(RequestFactory().get("/roster/", {"page": "abc"}), list(range(16)), per_page=5)
    assert first.page.number == 1 and first.next_url == "?page=2"


def test_a_given_count_spares_the_count_query(django_assert_num_queries):
    request = RequestFactory().get("/", {"page": "2"})
    with django_assert_num_queries(1):  # the page's rows only
        pager = paged(request, District.objects.order_by("code"), per_page=5, count=16)
        assert len(list(pager.rows)) == 5


def test_the_city_roster_fits_on_one_page_without_a_pager(client_for, commission_admin):
    page = client_for(commission_admin).get("/roster/").content.decode()
    assert _roster_codes(page) == _codes()
    assert 'class="pagination"' not in page and "共16个" not in page


def test_the_roster_shows_a_page_of_districts_and_the_next_page_the_next_ones(
    client_for, commission_admin, monkeypatch
):
    monkeypatch.setattr(views, "DISTRICTS_PER_PAGE", 5)
    client = client_for(commission_admin)
    first = client.get("/roster/", {"on": "2021-06-10"}).content.decode()
    second = client.get("/roster/", {"on": "2021-06-10", "page": "2"}).content.decode()
    assert _roster_codes(first) == _codes()[:5] and _roster_codes(second) == _codes()[5:10]
    assert "共16个" in first and "第1页，共4页" in first
    assert 'href="?on=2021-06-10&amp;page=2"' in first  # the date is kept
    assert 'href="?on=2021-06-10&amp;page=1"' in second and 'href="?on=2021-06-10&amp;page=3"' in second


def test_a_page_number_out_of_range_gives_the_last_page(client_for, commission_admin, monkeypatch):
    monkeypatch.setattr(views, "DISTRICTS_PER_PAGE", 5)
    client = client_for(commission_admin)
    for number in ("99", "-1", "abc", ""):
        response = client.get("/roster/", {"page": number})
        assert response.status_code == 200
    last = client.get("/roster/", {"page": "99"}).content.decode()
    assert _roster_codes(last) == _codes()[15:] and "第4页，共4页" in last


def test_the_home_page_pages_its_districts(client_for, commission_admin, monkeypatch):
    monkeypatch.setattr(views, "DISTRICTS_PER_PAGE", 5)
    page = client_for(commission_admin).get("/", {"page": "4"}).content.decode()
    assert _roster_codes(page) == _codes()[15:]
    assert 'href="?page=3#districts"' in page


def _table(page: str, marker: str) -> str:
    start = page.index(marker)
    return page[start : page.index("</table>", start)]


@pytest.fixture
def heping_reports(campaign, heping_staff):
    """和平区 submitted its first two monthly reports on time: it ranks last (the best) among 16 districts."""
    from reporting.reports.services import report_open, report_save, report_submit

    heping = District.objects.get(code="120101")
    for period, filed in ((datetime.date(2020, 11, 1), (2020, 12, 2)), (datetime.date(2020, 12, 1), (2021, 1, 4))):
        report = report_open(campaign=campaign, kind="monthly", period=period, district=heping, by=heping_staff)
        report = report_save(report=report, version=report.version, data={"progress": "完成摸底"}, by=heping_staff)
        report = report_submit(report=report, by=heping_staff)
        at = datetime.datetime(*filed, 10, tzinfo=SHANGHAI)  # filed back then, before the due day (the 5th)
        Report.objects.filter(pk=report.pk).update(created_at=at, first_submitted_at=at, submitted_at=at)
    return heping


@pytest.fixture
def campaign():
    return Campaign.objects.current()


def test_the_timeliness_page_ranks_all_districts_in_sql_and_totals_them_all(
    client_for, reviewer, campaign, heping_reports, monkeypatch
):
    monkeypatch.setattr(timeliness_views, "RATES_PER_PAGE", 5)
    monkeypatch.setattr(timeliness_views, "MATRIX_PER_PAGE", 4)
    on = datetime.date(2021, 6, 10)
    expected, ranked = rates_by_district(campaign=campaign, on=on, districts=District.objects.all())
    assert expected == 7 and [d.code for d in ranked][-1] == "120101"  # the worst first, the only filer last
    client = client_for(reviewer)
    last = client.get("/reports/timeliness/", {"on": "2021-06-10", "page": "4"}).content.decode()
    rates = _table(last, 'class="timeliness-rates"')
    assert rates.count("<tr>") == 1 + 1 and "和平区" in rates  # the heading and the page's one district
    # The total is the 16 districts': 16 × 7 due, 2 submitted (on time) by 和平区, which is on no other page.
    total = rates[rates.index('<tr class="total">') :]
    assert "112" in total and "1.8%" in total
    # The matrix has its own pages and its links keep the rates' page.
    matrix = client.get("/reports/timeliness/", {"on": "2021-06-10", "page": "4", "matrix_page": "2"})
    body = matrix.content.decode()
    assert _table(body, 'class="matrix"').count('class="matrix-district">') == 1 + 4
    assert 'href="?on=2021-06-10&amp;page=4&amp;matrix_page=3#matrix"' in body
    assert 'href="?on=2021-06-10&amp;matrix_page=2&amp;page=3#rates"' in body


def test_the_funds_total_is_the_citys_whichever_page_is_shown(client_for, commission_admin, heping_staff, monkeypatch):
    monkeypatch.setattr(funds_views, "DISTRICTS_PER_PAGE", 5)
    community = Community.objects.filter(district__code="120101").order_by("code").first()
    source = FundingSource.objects.filter(is_active=True).order_by("pk").first()
    fund_entry_create(
        community=community,
        year=2021,
        source=source,
        committed=Decimal("1230000"),
        spent=Decimal("0"),
        note="",
        by=heping_staff,
    )
    page = client_for(commission_admin).get("/funds/", {"year": "2021", "page": "2"}).content.decode()
    matrix = _table(page, 'class="funds-matrix"')
    assert matrix.count("<tr data-code=") == 5 and "120101" not in matrix.split("<tfoot>")[0]
    assert "123" in matrix.split("<tfoot>")[1]  # 123 万元 of 和平区, on page 1, in the city's total
    assert 'href="?year=2021&amp;page=3#districts-heading"' in page


def test_the_officials_list_pages_its_districts(client_for, commission_admin, monkeypatch):
    monkeypatch.setattr(officials_views, "DISTRICTS_PER_PAGE", 5)
    page = client_for(commission_admin).get("/officials/", {"page": "2"}).content.decode()
    names = District.objects.order_by("code").values_list("name", flat=True)
    assert all(name in page for name in names[5:10]) and names[0] not in page
    assert "第2页，共4页" in page


def test_the_item_pass_rates_page_their_districts(client_for, commission_admin, monkeypatch):
    monkeypatch.setattr(acceptance_views, "DISTRICTS_PER_PAGE", 5)
    response = client_for(commission_admin).get("/acceptance/items/", {"page": "4"})
    assert response.status_code == 200
    table = _table(response.content.decode(), 'id="rates-districts"')
    body = table.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == 1 and "蓟州区" in body and "<tfoot>" in table  # the 16th district; the total
