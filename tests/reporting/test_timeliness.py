"""Reporting rate and timeliness of the monthly reports, computed by hand for a few months of 2021."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from districts.models import District
from reporting.figures.timeliness import CellState, expected_months, rates_total, reporting_matrix, reporting_rates
from reporting.models import Campaign, Report
from reporting.reports.services import report_accept, report_open, report_return, report_save, report_submit

pytestmark = pytest.mark.django_db
D = datetime.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ON = D(2021, 6, 10)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """An aware datetime in Shanghai time."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def campaign():
    return Campaign.objects.current()


@pytest.fixture
def heping():
    return District.objects.get(code="120101")


@pytest.fixture
def hexi():
    return District.objects.get(code="120103")


def _file(campaign, district, staff, period, *, created, first_submitted=None):
    """Open, fill in and (with `first_submitted`) submit a monthly report, then date it as if done back then."""
    report = report_open(campaign=campaign, kind="monthly", period=period, district=district, by=staff)
    report = report_save(report=report, version=report.version, data={"progress": "完成摸底"}, by=staff)
    if first_submitted:
        report = report_submit(report=report, by=staff)
    Report.objects.filter(pk=report.pk).update(
        created_at=created, first_submitted_at=first_submitted, submitted_at=first_submitted
    )
    report.refresh_from_db()
    return report


@pytest.fixture
def heping_history(campaign, heping, heping_staff, reviewer):
    """和平区's first months, as a reviewer would find them on 2021-06-10.

    2020-11 missing · 2020-12 draft · 2021-01 submitted on the due day late in the evening · 2021-02 submitted on
    time, returned, resubmitted and accepted · 2021-03 submitted on time and returned · 2021-04 submitted late and
    accepted · 2021-05 missing · 2021-06 not due yet.
    """
    _file(campaign, heping, heping_staff, D(2020, 12, 1), created=at(2020, 12, 28, 9))
    january = _file(
        campaign,
        heping,
        heping_staff,
        D(2021, 1, 1),
        created=at(2021, 1, 29, 9),
        first_submitted=at(2021, 2, 5, 23, 30),
    )
    february = _file(
        campaign, heping, heping_staff, D(2021, 2, 1), created=at(2021, 2, 26, 9), first_submitted=at(2021, 3, 4, 10)
    )
    february = report_return(report=february, comment="请补充试点社区照片", by=reviewer)
    february = report_save(report=february, version=february.version, data={"progress": "已补充照片"}, by=heping_staff)
    february = report_submit(report=february, by=heping_staff)
    february = report_accept(report=february, by=reviewer)
    Report.objects.filter(pk=february.pk).update(submitted_at=at(2021, 3, 20, 9), accepted_at=at(2021, 3, 25, 9))
    march = _file(
        campaign, heping, heping_staff, D(2021, 3, 1), created=at(2021, 3, 30, 9), first_submitted=at(2021, 4, 3, 15)
    )
    report_return(report=march, comment="请补充试点社区照片", by=reviewer)
    april = _file(
        campaign, heping, heping_staff, D(2021, 4, 1), created=at(2021, 4, 28, 9), first_submitted=at(2021, 5, 7, 11)
    )
    report_accept(report=april, by=reviewer)
    Report.objects.filter(pk=april.pk).update(accepted_at=at(2021, 5, 10, 9))
    return {"january": january, "february": february, "march": march, "april": april}


def _row(rows, code):
    return next(row for row in rows if row.district.code == code)


def test_expected_months_are_those_whose_due_day_has_passed(campaign):
    assert expected_months(campaign=campaign, on=D(2020, 12, 4)) == []
    assert expected_months(campaign=campaign, on=D(2020, 12, 5)) == [(D(2020, 11, 1), D(2020, 12, 5))]
    months = expected_months(campaign=campaign, on=ON)
    assert [period for period, _due in months] == [D(2020, 11, 1), D(2020, 12, 1)] + [
        D(2021, m, 1) for m in range(1, 6)
    ]
    assert len(expected_months(campaign=campaign, on=D(2030, 1, 1))) == 26


def test_rates_and_timeliness_as_computed_by_hand(campaign, heping_history):
    rows = reporting_rates(campaign=campaign, on=ON, districts=District.objects.filter(code__in=["120101", "120103"]))
    heping, hexi = _row(rows, "120101"), _row(rows, "120103")
    # Seven months were due; January, February (first submission counts), March and April were submitted; April late.
    assert (heping.expected, heping.submitted, heping.timely) == (7, 4, 3)
    assert heping.rate == Decimal("57.1") and heping.timeliness == Decimal("42.9")
    assert (hexi.expected, hexi.submitted, hexi.timely) == (7, 0, 0)
    assert hexi.rate == Decimal("0.0") and hexi.timeliness == Decimal("0.0")
    assert [row.district.code for row in rows] == ["120103", "120101"]  # the worst first
    total = rates_total(rows)
    assert (total.expected, total.submitted, total.timely) == (14, 4, 3)
    assert total.rate == Decimal("28.6") and total.timeliness == Decimal("21.4")


def test_a_returned_and_resubmitted_report_counts_from_its_first_submission(campaign, heping, heping_history):
    february = Report.objects.get(pk=heping_history["february"].pk)
    assert february.status == "accepted"
    assert february.first_submitted_at == at(2021, 3, 4, 10)
    assert february.submitted_at == at(2021, 3, 20, 9)
    rows = reporting_rates(campaign=campaign, on=ON, districts=District.objects.filter(pk=heping.pk))
    months, matrix = reporting_matrix(campaign=campaign, on=ON, districts=District.objects.filter(pk=heping.pk))
    assert rows[0].timely == 3
    assert matrix[0][1][months.index(D(2021, 2, 1))].state == CellState.ACCEPTED_ON_TIME


def test_the_due_day_ends_at_midnight_in_shanghai(campaign, heping, heping_history):
    districts = District.objects.filter(pk=heping.pk)
    january = Report.objects.filter(pk=heping_history["january"].pk)
    # 2021-02-05 23:30 in Shanghai is 15:30 UTC the same day: on time.
    assert january.get().first_submitted_at == datetime.datetime(2021, 2, 5, 15, 30, tzinfo=datetime.UTC)
    assert reporting_rates(campaign=campaign, on=ON, districts=districts)[0].timely == 3
    # 2021-02-06 00:10 in Shanghai is still 2021-02-05 (16:10) in UTC, but a day late in Shanghai.
    january.update(first_submitted_at=datetime.datetime(2021, 2, 5, 16, 10, tzinfo=datetime.UTC))
    row = reporting_rates(campaign=campaign, on=ON, districts=districts)[0]
    assert (row.submitted, row.timely, row.timeliness) == (4, 2, Decimal("28.6"))
    months, matrix = reporting_matrix(campaign=campaign, on=ON, districts=districts)
    assert matrix[0][1][months.index(D(2021, 1, 1))].state == CellState.SUBMITTED_LATE


def test_the_matrix_shows_each_months_state(campaign, heping, hexi, heping_history):
    months, matrix = reporting_matrix(
        campaign=campaign, on=ON, districts=District.objects.filter(pk__in=[heping.pk, hexi.pk])
    )
    assert months == [D(2020, 11, 1), D(2020, 12, 1)] + [D(2021, m, 1) for m in range(1, 7)]
    (first, heping_cells), (second, hexi_cells) = matrix
    assert (first.code, second.code) == ("120101", "120103")
    assert [cell.state for cell in heping_cells] == [
        CellState.MISSING,
        CellState.DRAFT,
        CellState.SUBMITTED_ON_TIME,
        CellState.ACCEPTED_ON_TIME,
        CellState.RETURNED,
        CellState.ACCEPTED_LATE,
        CellState.MISSING,
        CellState.NOT_DUE,
    ]
    assert heping_cells[4].report_id == heping_history["march"].pk
    assert heping_cells[4].first_submitted_on == D(2021, 4, 3)
    assert [cell.state for cell in hexi_cells] == [CellState.MISSING] * 7 + [CellState.NOT_DUE]


def test_an_earlier_as_of_date_ignores_what_happened_after_it(campaign, heping, heping_history):
    districts = District.objects.filter(pk=heping.pk)
    on = D(2021, 5, 6)  # April was due yesterday and is submitted only tomorrow
    row = reporting_rates(campaign=campaign, on=on, districts=districts)[0]
    assert (row.expected, row.submitted, row.timely, row.rate) == (6, 3, 3, Decimal("50.0"))
    months, matrix = reporting_matrix(campaign=campaign, on=on, districts=districts)
    states = [cell.state for cell in matrix[0][1]]
    assert states[months.index(D(2021, 4, 1))] == CellState.DRAFT
    assert states[months.index(D(2021, 5, 1))] == CellState.NOT_DUE
    # February was accepted only on 2021-03-25: on 2021-03-21 it was still waiting for review.
    months, matrix = reporting_matrix(campaign=campaign, on=D(2021, 3, 21), districts=districts)
    assert matrix[0][1][months.index(D(2021, 2, 1))].state == CellState.SUBMITTED_ON_TIME


def test_nothing_due_yet_gives_no_rate(campaign, heping):
    row = reporting_rates(campaign=campaign, on=D(2020, 11, 20), districts=District.objects.filter(pk=heping.pk))[0]
    assert (row.expected, row.rate, row.timeliness) == (0, None, None)
    months, matrix = reporting_matrix(campaign=campaign, on=D(2020, 10, 1), districts=District.objects.all())
    assert months == [] and all(cells == [] for _district, cells in matrix)


def test_query_count_stays_flat_as_reports_grow(
    campaign, heping, hexi, heping_staff, hexi_staff, django_assert_num_queries
):
    districts = District.objects.all()
    with django_assert_num_queries(2):  # the deadline; the districts with their counts
        reporting_rates(campaign=campaign, on=ON, districts=districts)
    with django_assert_num_queries(3):
        reporting_matrix(campaign=campaign, on=ON, districts=districts)
    for month in (1, 2, 3):
        for district, staff in ((heping, heping_staff), (hexi, hexi_staff)):
            _file(
                campaign,
                district,
                staff,
                D(2021, month, 1),
                created=at(2021, month, 28),
                first_submitted=at(2021, month + 1, 2),
            )
    with django_assert_num_queries(2):
        rows = reporting_rates(campaign=campaign, on=ON, districts=districts)
    with django_assert_num_queries(3):
        reporting_matrix(campaign=campaign, on=ON, districts=districts)
    assert _row(rows, "120103").submitted == 3


# --- the page -------------------------------------------------------------------------------------------------


def test_district_staff_see_only_their_own_district(client_for, heping_staff, heping_history):
    response = client_for(heping_staff).get("/reports/timeliness/?on=2021-06-10")
    page = response.content.decode()
    assert response.status_code == 200
    assert "和平区" in page and "河西区" not in page and "滨海新区" not in page
    assert 'class="total"' not in page  # a district sees no city total
    # Each cell names its month and state in Chinese.
    assert "2021年1月 · 按时提交，待审核 · 报送期限2021年2月5日 · 首次提交于2021年2月5日" in page
    assert "2021年4月 · 逾期提交，已审核通过" in page and "2021年5月 · 缺报" in page
    assert "57.1%" in page and "42.9%" in page
    assert "2021年6月10日" in page
    assert f'href="/reports/{heping_history["march"].pk}/"' in page


def test_street_staff_see_their_district(client_for, heping_street_staff, heping_history):
    page = client_for(heping_street_staff).get("/reports/timeliness/?on=2021-06-10").content.decode()
    assert "和平区" in page and "河西区" not in page and "57.1%" in page


def test_the_commission_sees_every_district_and_the_city_total(client_for, reviewer, heping_history):
    page = client_for(reviewer).get("/reports/timeliness/?on=2021-06-10").content.decode()
    names = District.objects.values_list("name", flat=True)
    assert len(names) == 16
    assert all(name in page for name in names)
    # 16 districts × 7 months due; 和平区 submitted 4, 3 on time.
    assert "112" in page and "3.6%" in page and "2.7%" in page
    total = page[page.index('<tr class="total">') :]
    assert "全市合计" in total and "112" in total and "3.6%" in total
    assert page.index("河西区") < page.index("和平区")  # the worst first


def test_department_staff_see_every_district_without_report_links(client_for, department_staff, heping_history):
    page = client_for(department_staff).get("/reports/timeliness/?on=2021-06-10").content.decode()
    assert "河西区" in page and "57.1%" in page
    assert f'href="/reports/{heping_history["march"].pk}/"' not in page


def test_nothing_due_shows_a_dash(client_for, heping_staff):
    page = client_for(heping_staff).get("/reports/timeliness/?on=2020-11-20").content.decode()
    assert "—" in page and "%" not in page.split("<h2>")[1]


def test_inspectors_get_404_and_anonymous_users_log_in(client, client_for, inspector):
    response = client.get("/reports/timeliness/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(inspector).get("/reports/timeliness/").status_code == 404


def test_a_malformed_or_far_date_still_gives_a_page(client_for, reviewer, heping_history):
    client = client_for(reviewer)
    today = client.get("/reports/timeliness/?on=2021-13-45")
    assert today.status_code == 200 and "今日" in today.content.decode()
    after = client.get("/reports/timeliness/?on=9999-12-31").content.decode()
    assert "每个区应报月度报告26期" in after


def test_submitted_by_the_due_day_is_the_local_day_on_every_database(campaign, heping, hexi, heping_staff, hexi_staff):
    """23:50 on the due day (5 January, Tianjin time) is on time, 00:10 the next day is late — on PostgreSQL through
    the start of the next local day, on SQLite (the embedded default) through the local day; the page shows both."""
    from django.test import Client

    from reporting.figures.timeliness import rates_by_district, rates_city_total

    _file(
        campaign, heping, heping_staff, D(2020, 12, 1), created=at(2021, 1, 2), first_submitted=at(2021, 1, 5, 23, 50)
    )
    _file(campaign, hexi, hexi_staff, D(2020, 12, 1), created=at(2021, 1, 2), first_submitted=at(2021, 1, 6, 0, 10))
    both = District.objects.filter(pk__in=[heping.pk, hexi.pk])
    expected, ranked = rates_by_district(campaign=campaign, on=D(2021, 1, 31), districts=both)
    assert expected == 2  # November's and December's reports were due by 31 January
    assert {d.code: (d.submitted, d.timely) for d in ranked} == {"120101": (1, 1), "120103": (1, 0)}
    total = rates_city_total(campaign=campaign, on=D(2021, 1, 31), districts=both)
    assert (total.submitted, total.timely) == (2, 1)
    client = Client()
    client.force_login(heping_staff)
    page = client.get("/reports/timeliness/?on=2021-01-31")
    assert page.status_code == 200 and "和平区" in page.content.decode()
