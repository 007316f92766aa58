"""The dashboards and their Excel exports: figures from snapshots that the rollup computed over data built through
the services, who sees which dashboard, flat query counts, and workbooks that are scoped and formula-safe."""

import datetime
import io
import json
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from districts.models import Community, District, Street
from reporting.models import Campaign, ProgressSnapshot
from reporting.report_services import report_open, report_return, report_save, report_submit
from reporting.rollups import rollup_date
from reporting.services import enrolment_enrol
from standards.acceptance import answer_save, assignments_create, inspection_sign, inspection_start, round_create
from standards.acceptance import team_create as acceptance_team_create

pytestmark = pytest.mark.django_db
D = datetime.date
LOCAL = zoneinfo.ZoneInfo("Asia/Shanghai")
YEAR_END = D(2021, 12, 31)
HEPING, HEXI = "120101", "120103"
# Items owned by the housing commission (zjw): categories 二, 四 and 五 of the standard.
ZJW_ITEMS = {4, 5, 6, 11, 12, 13, 14, 15, 16}


@pytest.fixture
def campaign():
    return Campaign.objects.current()


def _first_communities(street_codes):
    return [
        Community.objects.filter(street__code=code, kind="居委会").order_by("code").first() for code in street_codes
    ]


def _inspect(communities, *, by_admin, inspector, fail_item=None, signed_on=None):
    # The round has ended by now: each step tells the services the day it happened.
    day = signed_on or D(2021, 11, 20)
    round_ = round_create(
        name=f"验收{communities[0].code}",
        year=2021,
        opens_on=D(2021, 10, 1),
        closes_on=max(D(2021, 12, 31), day),  # a round takes no signature after its end
        by=by_admin,
    )
    team = acceptance_team_create(round=round_, name="第一组", members=[inspector], by=by_admin, today=day)
    for assignment in assignments_create(round=round_, communities=communities, team=team, by=by_admin, today=day):
        inspection = inspection_start(assignment=assignment, by=inspector, today=day)
        for number in range(1, 17):
            fails = number == fail_item
            answer_save(
                inspection=inspection,
                item_number=number,
                result="fails" if fails else "meets",
                note="垃圾分类投放点不足" if fails else "",
                by=inspector,
                today=day,
            )
        inspection_sign(
            inspection=inspection,
            by=inspector,
            signed_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=LOCAL),
        )


@pytest.fixture
def progress(campaign, commission_admin, inspector, heping_staff, hexi_staff):
    """和平区: a pilot in every 街道 but the last; two pilots pass, one fails item 5. 河西区: one pilot passes.

    Snapshots are computed for 2021-12-31 (the 30% milestone).
    """
    heping_streets = list(Street.objects.filter(district__code=HEPING, kind="街道").order_by("code"))
    pilots = _first_communities([s.code for s in heping_streets[:-1]])
    enrolment_enrol(campaign=campaign, communities=pilots, kind="pilot", joined_on=D(2020, 12, 1), by=heping_staff)
    hexi_pilot = _first_communities([Street.objects.filter(district__code=HEXI).order_by("code").first().code])
    enrolment_enrol(campaign=campaign, communities=hexi_pilot, kind="pilot", joined_on=D(2020, 12, 1), by=hexi_staff)
    _inspect(pilots[:2], by_admin=commission_admin, inspector=inspector)
    _inspect(pilots[2:3], by_admin=commission_admin, inspector=inspector, fail_item=5)
    _inspect(hexi_pilot, by_admin=commission_admin, inspector=inspector)
    rollup_date(campaign=campaign, on=YEAR_END)
    return {"pilots": pilots, "lacking": heping_streets[-1], "hexi_pilot": hexi_pilot[0]}


def _snapshot(code, on=YEAR_END, level="district"):
    return ProgressSnapshot.objects.get(on=on, level=level, unit_code=code)


def _row(html, code):
    """The table row of the unit with this code, as HTML."""
    match = re.search(rf'<tr data-code="{code}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {code}"
    return match.group(1)


def _section(html, heading_id):
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


def _data(html):
    match = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def _percent(met, roster):
    return f"{met * 100 / roster:.1f}%"


# --- the commission's dashboard -------------------------------------------------------------------------------


def test_commission_dashboard_shows_districts_met_shares_and_kpis_from_the_snapshots(progress, reviewer, client_for):
    html = client_for(reviewer).get("/dashboard/?on=2021-12-31").content.decode()
    heping, hexi = _snapshot(HEPING), _snapshot(HEXI)
    assert heping.met == 2 and hexi.met == 1
    assert "数据截至<strong>2021年12月31日</strong>" in html
    row = _row(html, HEPING)
    assert "和平区" in row and f"2 / {heping.roster}" in row and _percent(2, heping.roster) in row
    assert "30.0%" in row and "进度滞后" in row
    assert f"1 / {hexi.roster}" in _row(html, HEXI)
    assert len(re.findall(r'<tr data-code="\d{6}">', html)) == 16
    city = _snapshot("12", level="city")
    assert city.met == 3
    assert f"城市社区{city.roster}个，达标3个" in html
    assert "目标：2021年12月31日前达到30.0%" in html
    # The map and the charts get the same figures as the table.
    data = _data(html)
    assert len(data["map"]) == 16
    heping_area = next(item for item in data["map"] if item["name"] == HEPING)
    assert heping_area["label"] == "和平区" and heping_area["met"] == 2 and heping_area["target"] == 30.0
    assert heping_area["url"] == "/dashboard/district/120101/?on=2021-12-31"
    assert data["trend"] == [["2021-12-31", float(_percent(3, city.roster)[:-1])]]
    assert data["targets"] == [["2021-12-31", 30.0], ["2022-12-31", 60.0]]


def test_red_flags_name_streets_without_a_pilot_districts_behind_and_overdue_reports(progress, reviewer, client_for):
    html = client_for(reviewer).get("/dashboard/?on=2021-12-31").content.decode()
    flags = _section(html, "flags-heading")
    assert "2021年5月31日试点期限已过" in flags
    assert progress["lacking"].name in flags
    assert all(pilot.street.name not in flags for pilot in progress["pilots"])
    assert "进度滞后" in flags and "和平区" in flags
    heping = _snapshot(HEPING)
    missing = heping.reports_expected - heping.reports_submitted
    assert missing > 0
    assert f"和平区 {missing}份（应报{heping.reports_expected}份）" in flags


def test_a_returned_report_not_resubmitted_is_flagged_until_it_is(
    campaign, progress, heping_staff, reviewer, client_for
):
    heping = District.objects.get(code=HEPING)
    report = report_open(campaign=campaign, kind="monthly", period=D(2021, 11, 1), district=heping, by=heping_staff)
    report = report_save(report=report, version=report.version, data={"progress": "推进试点"}, by=heping_staff)
    report = report_submit(report=report, by=heping_staff)
    report = report_return(report=report, comment="补充试点社区名单", by=reviewer)
    today = timezone.localdate()
    rollup_date(campaign=campaign, on=today)
    client = client_for(reviewer)
    flags = _section(client.get("/dashboard/").content.decode(), "flags-heading")
    assert "和平区 · 2021年11月月度工作进展报告：" in flags
    assert "退回修改，0天仍未重新提交" in flags
    assert f'href="/reports/{report.pk}/"' in flags
    # As of the day before the return there was nothing to flag.
    rollup_date(campaign=campaign, on=today - datetime.timedelta(days=1))
    earlier = client.get(f"/dashboard/?on={today - datetime.timedelta(days=1)}").content.decode()
    assert "退回修改" not in _section(earlier, "flags-heading")
    report_submit(report=report, by=heping_staff)
    assert "退回修改" not in _section(client.get("/dashboard/").content.decode(), "flags-heading")


def test_ranking_sorts_by_the_chosen_column(progress, reviewer, client_for):
    client = client_for(reviewer)
    html = client.get("/dashboard/?on=2021-12-31").content.decode()
    codes = re.findall(r'<tr data-code="(\d{6})">', html)
    assert codes[:2] == [HEPING, HEXI]  # the highest met share first
    by_name = re.findall(
        r'<tr data-code="(\d{6})">', client.get("/dashboard/?sort=name&on=2021-12-31").content.decode()
    )
    assert by_name == sorted(by_name)
    descending = client.get("/dashboard/?sort=-name&on=2021-12-31").content.decode()
    assert re.findall(r'<tr data-code="(\d{6})">', descending) == sorted(by_name, reverse=True)
    assert 'aria-sort="descending"' in descending


def test_a_date_before_any_snapshot_shows_no_figures(progress, reviewer, client_for):
    html = client_for(reviewer).get("/dashboard/?on=2021-06-30").content.decode()
    assert "截至2021年6月30日尚未计算进度数据" in html
    assert 'id="ranking"' not in html and "dashboard-data" not in html


def test_the_latest_snapshot_before_the_date_is_shown_and_said_so(progress, reviewer, client_for):
    html = client_for(reviewer).get("/dashboard/?on=2022-02-10").content.decode()
    assert "数据截至<strong>2021年12月31日</strong>" in html
    assert "所选日期当天没有计算数据" in html


# --- a district's dashboard and drill-down --------------------------------------------------------------------


def test_district_dashboard_lists_its_streets_with_links_to_the_roster(progress, heping_staff, client_for):
    html = client_for(heping_staff).get("/dashboard/district/120101/?on=2021-12-31").content.decode()
    first = progress["pilots"][0]
    street = _snapshot(first.street.code, level="street")
    row = _row(html, first.street.code)
    assert first.street.name in row and f"1 / {street.roster}" in row and _percent(1, street.roster) in row
    assert f'href="/roster/street/{first.street.code}/?on=2021-12-31"' in row
    assert "100.0% <span" in row  # the 街道 has its pilot
    assert "0.0% <span" in _row(html, progress["lacking"].code)
    assert (
        len(re.findall(r'<tr data-code="\d{9}">', html))
        == ProgressSnapshot.objects.filter(on=YEAR_END, level="street", parent_code=HEPING).count()
    )
    bars = _data(html)["bars"]
    assert {bar["name"] for bar in bars} >= {first.street.name, progress["lacking"].name}
    flags = _section(html, "flags-heading")
    assert progress["lacking"].name in flags and "和平区进度滞后" in flags


def test_the_street_page_the_dashboard_links_to_lists_the_community(progress, heping_staff, client_for):
    first = progress["pilots"][0]
    html = client_for(heping_staff).get(f"/roster/street/{first.street.code}/?on=2021-12-31").content.decode()
    assert f'href="/communities/{first.code}/' in html


# --- who sees what --------------------------------------------------------------------------------------------


def test_district_staff_landing_on_the_dashboard_are_sent_to_their_districts(progress, heping_staff, client_for):
    response = client_for(heping_staff).get("/dashboard/?on=2021-12-31")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/district/120101/?on=2021-12-31"


def test_street_staff_see_their_districts_dashboard_but_link_only_their_street(
    progress, heping_street_staff, client_for
):
    client = client_for(heping_street_staff)
    assert client.get("/dashboard/")["Location"] == "/dashboard/district/120101/"
    html = client.get("/dashboard/district/120101/?on=2021-12-31").content.decode()
    assert 'href="/roster/street/120101001/' in html
    other = progress["pilots"][1].street.code
    assert other in html and f'href="/roster/street/{other}/' not in html


def test_another_districts_dashboard_is_not_found(progress, hexi_staff, client_for):
    client = client_for(hexi_staff)
    assert client.get("/dashboard/district/120101/").status_code == 404
    assert client.get("/dashboard/district/120103/?on=2021-12-31").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/",
        "/dashboard/district/120101/",
        "/dashboard/department/",
        "/dashboard/export.xlsx?table=ranking",
        "/dashboard/export.xlsx?table=streets&district=120101",
        "/dashboard/export.xlsx?table=items",
        "/dashboard/map/tianjin-districts.geojson",
    ],
)
def test_inspectors_find_no_dashboard(progress, inspector, client_for, url):
    assert client_for(inspector).get(url).status_code == 404


def test_department_staff_read_the_city_dashboard(progress, department_staff, client_for):
    html = client_for(department_staff).get("/dashboard/?on=2021-12-31").content.decode()
    assert "只读" in html and len(re.findall(r'<tr data-code="\d{6}">', html)) == 16


def test_department_dashboard_shows_pass_rates_of_its_items_only(progress, department_staff, client_for):
    html = client_for(department_staff).get("/dashboard/department/?on=2021-12-31").content.decode()
    assert "市住房城乡建设委" in html
    city_rows = re.findall(r'<tr><th scope="row">(\d+)</th>(.*?)</tr>', _section(html, "items-heading"), re.S)
    assert {int(number) for number, _cells in city_rows} == ZJW_ITEMS
    item5 = dict(city_rows)["5"]
    assert re.search(r">3</td><td class=\"num\">4</td><td class=\"num\">75.0%", item5)
    districts = _section(html, "matrix-heading")
    heping_row = re.search(r"<th scope=\"row\">和平区</th>(.*?)</tr>", districts, re.S).group(1)
    assert "66.7%" in heping_row and "2/3" in heping_row
    items = _data(html)["items"]
    assert [item["name"] for item in items][:2] == ["第4项", "第5项"]


def test_the_commission_sees_every_item_and_other_roles_no_department_dashboard(
    progress, reviewer, heping_staff, client_for
):
    html = client_for(reviewer).get("/dashboard/department/?on=2021-12-31").content.decode()
    rows = re.findall(r'<tr><th scope="row">(\d+)</th>', _section(html, "items-heading"))
    assert [int(n) for n in rows] == list(range(1, 17))
    chosen = client_for(reviewer).get("/dashboard/department/?department=zjw&on=2021-12-31").content.decode()
    rows = re.findall(r'<tr><th scope="row">(\d+)</th>', _section(chosen, "items-heading"))
    assert {int(n) for n in rows} == ZJW_ITEMS
    assert client_for(heping_staff).get("/dashboard/department/").status_code == 404


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/dashboard/?on=9999-12-31&sort=drop%20table", 200),
        ("/dashboard/?on=not-a-date", 200),
        ("/dashboard/district/120101/?on=0001-01-01&sort=-", 200),
        ("/dashboard/department/?department=%3Cscript%3E", 200),
        ("/dashboard/export.xlsx?table=streets&district=abc", 404),
        ("/dashboard/export.xlsx?table=streets", 400),
        ("/dashboard/export.xlsx?table=ranking&on=31.12.2021", 200),
    ],
)
def test_odd_query_values_give_pages_not_errors(progress, reviewer, client_for, url, status):
    assert client_for(reviewer).get(url).status_code == status


# --- cost -----------------------------------------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_dashboard_query_counts_are_small_and_do_not_grow_with_the_data(
    campaign, progress, reviewer, department_staff, heping_staff, client_for, commission_admin, inspector
):
    urls = {
        reviewer: ["/dashboard/?on=2022-06-30", "/dashboard/district/120101/?on=2022-06-30"],
        department_staff: ["/dashboard/department/?on=2022-06-30"],
        heping_staff: ["/dashboard/district/120101/?on=2022-06-30"],
    }
    rollup_date(campaign=campaign, on=D(2022, 6, 30))
    before = {(user.pk, url): _queries(client_for(user), url) for user, group in urls.items() for url in group}
    assert max(before.values()) <= 15, before

    # Many more communities, inspections and snapshot dates later, every page costs the same.
    more = list(
        Community.objects.filter(district__code__in=[HEPING, HEXI], kind="居委会").exclude(enrolments__isnull=False)[
            :30
        ]
    )
    enrolment_enrol(campaign=campaign, communities=more, kind="batch", joined_on=D(2021, 6, 1), by=commission_admin)
    _inspect(more[:10], by_admin=commission_admin, inspector=inspector, signed_on=D(2022, 3, 1))
    for month_end in (D(2021, 1, 31), D(2021, 6, 30), D(2022, 1, 31), D(2022, 3, 31), D(2022, 6, 30)):
        rollup_date(campaign=campaign, on=month_end)
    after = {(user.pk, url): _queries(client_for(user), url) for user, group in urls.items() for url in group}
    assert after == before


# --- Excel ----------------------------------------------------------------------------------------------------


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.content))
    return book["数据"], book["说明"]


def test_ranking_export_has_chinese_headers_and_every_districts_figures(progress, reviewer, client_for):
    response = client_for(reviewer).get("/dashboard/export.xlsx?table=ranking&on=2021-12-31")
    assert 'filename="dashboard-ranking-20211231.xlsx"' in response["Content-Disposition"]
    data, about = _sheet(response)
    rows = list(data.iter_rows(values_only=True))
    assert rows[0][:7] == ("代码", "名称", "城市社区", "参与创建", "试点", "达标社区", "达标率（%）")
    assert "上报率（%）" in rows[0] and "及时率（%）" in rows[0]
    assert len(rows) == 17
    heping = _snapshot(HEPING)
    row = next(r for r in rows if r[0] == HEPING)
    assert row[1] == "和平区" and row[2] == heping.roster and row[5] == 2
    assert row[6] == pytest.approx(round(200 / heping.roster, 1))
    assert row[7] == 30.0 and row[10] == "进度滞后"
    assert about["B2"].value == "2021年12月31日"


def test_streets_export_is_scoped_to_the_readers_district(progress, heping_staff, reviewer, client_for):
    client = client_for(heping_staff)
    data, _about = _sheet(client.get("/dashboard/export.xlsx?table=streets&on=2021-12-31"))
    codes = [row[0] for row in data.iter_rows(min_row=2, values_only=True)]
    assert codes and all(code.startswith(HEPING) for code in codes)
    assert progress["lacking"].code in codes
    assert client.get("/dashboard/export.xlsx?table=streets&district=120103").status_code == 404
    assert client.get("/dashboard/export.xlsx?table=ranking").status_code == 404
    other, _about = _sheet(
        client_for(reviewer).get("/dashboard/export.xlsx?table=streets&district=120103&on=2021-12-31")
    )
    assert all(row[0].startswith(HEXI) for row in other.iter_rows(min_row=2, values_only=True))


def test_items_export_lists_the_departments_items_for_the_city_and_each_district(
    progress, department_staff, client_for
):
    data, _about = _sheet(client_for(department_staff).get("/dashboard/export.xlsx?table=items&on=2021-12-31"))
    rows = list(data.iter_rows(values_only=True))
    assert rows[0] == ("指标", "类别", "创建标准", "范围", "符合要求", "已验收", "达标率（%）")
    assert {row[0] for row in rows[1:]} == ZJW_ITEMS
    assert len(rows) == 1 + len(ZJW_ITEMS) * 17
    city5 = next(row for row in rows if row[0] == 5)
    assert (city5[3], *city5[4:]) == ("全市合计", 3, 4, 75.0)
    heping5 = next(row for row in rows if row[0] == 5 and row[3] == "和平区")
    assert heping5[4:] == (2, 3, 66.7)


def test_export_neutralises_formulas_in_names(campaign, progress, heping_staff, client_for):
    street = progress["lacking"]
    Street.objects.filter(pk=street.pk).update(name='=HYPERLINK("http://example.invalid","点击")')
    rollup_date(campaign=campaign, on=YEAR_END)
    data, _about = _sheet(client_for(heping_staff).get("/dashboard/export.xlsx?table=streets&on=2021-12-31"))
    cells = [cell for row in data.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    names = [row[1] for row in data.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://example.invalid","点击")' in names


def test_an_unknown_table_is_refused_in_plain_words(reviewer, client_for):
    response = client_for(reviewer).get("/dashboard/export.xlsx?table=everything")
    assert response.status_code == 400
    assert "请选择要导出的表格" in response.content.decode()


# --- the map's boundaries -------------------------------------------------------------------------------------


def test_the_map_serves_sixteen_districts_with_caching_headers(reviewer, client_for):
    client = client_for(reviewer)
    response = client.get("/dashboard/map/tianjin-districts.geojson")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    features = json.loads(response.content)["features"]
    assert sorted(f["id"] for f in features) == sorted(District.objects.values_list("code", flat=True))
    assert "max-age" in response["Cache-Control"]
    again = client.get("/dashboard/map/tianjin-districts.geojson", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304 and not again.content


# --- many districts: paged tables -----------------------------------------------------------------------------


def _snapshots_of_districts(campaign, count, on=YEAR_END):
    """The city row and `count` district rows for `on`, written straight to the table: Tianjin's 16 districts and
    made-up ones after them. Shares met fall with the code, so the default order (the highest first) is code order;
    every other district is behind and has reports missing."""
    codes = sorted(District.objects.values_list("code", flat=True))[:count]
    codes += [f"1399{n:02d}" for n in range(count - len(codes))]
    for code in codes:
        District.objects.get_or_create(code=code, defaults={"name": f"测试区{code}"})
    now = timezone.now()
    common = {"campaign": campaign, "on": on, "computed_at": now, "target_share": "0.3000", "target_due_on": on}
    ProgressSnapshot.objects.filter(campaign=campaign, on=on).delete()
    ProgressSnapshot.objects.create(
        **common,
        level="city",
        unit_code="12",
        unit_name="天津市",
        roster=100 * count,
        met_share="0.2000",
        streets=4 * count,
        streets_with_pilot=sum(index % 5 for index in range(count)),
    )
    # Four 街道 a district, the first `index % 5` of them with a pilot.
    ProgressSnapshot.objects.bulk_create(
        ProgressSnapshot(
            **common,
            level="street",
            unit_code=f"{code}{number:03d}",
            unit_name=f"街道{code}{number:03d}",
            parent_code=code,
            streets=1,
            streets_with_pilot=int(number <= index % 5),
        )
        for index, code in enumerate(codes)
        for number in range(1, 5)
    )
    ProgressSnapshot.objects.bulk_create(
        ProgressSnapshot(
            **common,
            level="district",
            unit_code=code,
            unit_name=District.objects.get(code=code).name,
            parent_code="12",
            roster=100,
            met=100 - index,
            met_share=Decimal(100 - index) / 100,
            status="behind" if index % 2 else "on_track",
            reports_expected=12,
            reports_submitted=12 - index % 2,
            streets=4,
            streets_with_pilot=index % 5,
        )
        for index, code in enumerate(codes)
    )
    return codes


def _codes(html):
    return re.findall(r'<tr data-code="(\d{6})">', html)


def test_a_ranking_longer_than_a_page_is_paged_and_sorted_by_the_database(campaign, reviewer, client_for):
    codes = _snapshots_of_districts(campaign, 60)
    client = client_for(reviewer)
    html = client.get("/dashboard/?on=2021-12-31").content.decode()
    assert _codes(html) == codes[:50]
    assert "第1页，共2页" in html
    assert 'href="?sort=met_share&amp;order=desc&amp;on=2021-12-31&amp;page=2#ranking-heading"' in html
    second = client.get("/dashboard/?sort=met_share&order=desc&page=2&on=2021-12-31").content.decode()
    assert _codes(second) == codes[50:]
    assert "第2页，共2页" in second and "上一页" in second and "下一页" not in second
    by_name = client.get("/dashboard/?sort=name&order=desc&page=2&on=2021-12-31").content.decode()
    assert _codes(by_name) == sorted(codes, reverse=True)[50:]
    # Status sorts worst first, then by code; the sorting links keep the date and start again at page 1.
    by_status = _codes(client.get("/dashboard/?sort=status&order=asc&on=2021-12-31").content.decode())
    assert by_status[:30] == codes[1::2] and by_status[30:] == codes[0::2][:20]
    assert 'href="?sort=name&amp;order=asc&amp;on=2021-12-31"' in html
    # The map stays Tianjin's 16 districts.
    assert len(_data(html)["map"]) == 16


def test_pilot_coverage_sorts_by_the_rate_shown_with_ties_by_code(campaign, reviewer, client_for):
    codes = _snapshots_of_districts(campaign, 60)
    html = client_for(reviewer).get("/dashboard/?sort=pilot_coverage&order=desc&on=2021-12-31").content.decode()
    expected = sorted(codes, key=lambda code: (-(codes.index(code) % 5), code))
    assert _codes(html) == expected[:50]


@pytest.mark.parametrize(
    "query", ["page=abc", "page=0", "page=-1", "page=99", "page=1.5", "sort=drop%20table&order=sideways", "only=x"]
)
def test_a_bad_page_or_sort_gives_the_first_page(campaign, reviewer, client_for, query):
    codes = _snapshots_of_districts(campaign, 60)
    response = client_for(reviewer).get(f"/dashboard/?{query}&on=2021-12-31")
    assert response.status_code == 200
    html = response.content.decode()
    assert _codes(html) == codes[:50] and "第1页，共2页" in html


def test_sixteen_districts_fit_on_one_page_with_no_pager(campaign, reviewer, client_for):
    codes = _snapshots_of_districts(campaign, 16)
    html = client_for(reviewer).get("/dashboard/?on=2021-12-31").content.decode()
    assert _codes(html) == codes and "共1页" not in html and "dashboard-pager" not in html
    assert "查看全部" not in _section(html, "flags-heading")


def test_red_flags_name_the_first_districts_and_link_to_all_of_them(campaign, reviewer, client_for):
    codes = _snapshots_of_districts(campaign, 60)
    client = client_for(reviewer)
    flags = _section(client.get("/dashboard/?on=2021-12-31").content.decode(), "flags-heading")
    behind = codes[1::2]
    assert "30个区进度滞后" in flags
    assert all(District.objects.get(code=code).name in flags for code in behind[:20])
    assert District.objects.get(code=behind[20]).name not in flags
    assert 'href="?sort=met_share&amp;order=desc&amp;on=2021-12-31&amp;only=behind#ranking-heading"' in flags
    assert "查看全部30个" in flags
    listed = client.get("/dashboard/?sort=met_share&order=desc&on=2021-12-31&only=behind").content.decode()
    assert _codes(listed) == behind and "仅显示进度滞后的区" in listed and "dashboard-pager" not in listed
    # 120 街道 lack a pilot (4 a district less the 0–4 with one), in the 48 districts with fewer than 4 pilots: the
    # count, the first 20 in code order with their districts, and a link to those districts.
    lacking = [f"{code}{n:03d}" for index, code in enumerate(codes) for n in range(1, 5) if n > index % 5]
    assert "120个街道" in flags and "查看涉及的48个区" in flags
    assert all(f"街道{code}" in flags for code in lacking[:20]) and f"街道{lacking[20]}" not in flags
    assert f"{District.objects.get(code=codes[0]).name}·<a" in flags
    concerned = client.get("/dashboard/?on=2021-12-31&only=no_pilot").content.decode()
    assert _codes(concerned) == [code for index, code in enumerate(codes) if index % 5 != 4][:50]


def test_query_counts_do_not_grow_with_the_number_of_districts(
    campaign, reviewer, department_staff, client_for, django_assert_max_num_queries
):
    urls = ["/dashboard/?on=2021-12-31", "/dashboard/?on=2021-12-31&page=2&sort=name", "/dashboard/department/"]
    _snapshots_of_districts(campaign, 16)
    few = [_queries(client_for(reviewer), url) for url in urls[:2]] + [_queries(client_for(department_staff), urls[2])]
    _snapshots_of_districts(campaign, 60)
    many = [_queries(client_for(reviewer), url) for url in urls[:2]] + [_queries(client_for(department_staff), urls[2])]
    assert many == few and max(many) <= 15


def test_the_department_matrix_is_paged_by_code(campaign, department_staff, client_for):
    codes = _snapshots_of_districts(campaign, 60)
    client = client_for(department_staff)
    html = _section(client.get("/dashboard/department/?on=2021-12-31").content.decode(), "matrix-heading")
    names = dict(District.objects.values_list("code", "name"))
    rows = re.findall(r'<th scope="row">(.*?)</th>', html)
    assert rows == [names[code] for code in sorted(codes)[:50]] and "第1页，共2页" in html
    html = _section(client.get("/dashboard/department/?on=2021-12-31&page=2").content.decode(), "matrix-heading")
    assert re.findall(r'<th scope="row">(.*?)</th>', html) == [names[code] for code in sorted(codes)[50:]]


def test_the_ranking_export_has_every_district_not_a_page(campaign, reviewer, client_for):
    codes = _snapshots_of_districts(campaign, 60)
    data, _about = _sheet(client_for(reviewer).get("/dashboard/export.xlsx?table=ranking&on=2021-12-31"))
    assert [row[0] for row in data.iter_rows(min_row=2, values_only=True)] == codes


def test_a_district_with_more_streets_than_a_page_pages_them_and_charts_them_all(campaign, heping_staff, client_for):
    codes = _snapshots_of_districts(campaign, 16)
    heping = codes[0]
    ProgressSnapshot.objects.filter(level="street", parent_code=heping).delete()
    now = timezone.now()
    ProgressSnapshot.objects.bulk_create(
        ProgressSnapshot(
            campaign=campaign,
            on=YEAR_END,
            computed_at=now,
            level="street",
            unit_code=f"{heping}{number:03d}",
            unit_name=f"街道{number:03d}",
            parent_code=heping,
            roster=10,
            met=number % 10,
            met_share=Decimal(number % 10) / 10,
            streets=1,
            streets_with_pilot=number % 2,
        )
        for number in range(1, 61)
    )
    client = client_for(heping_staff)
    html = client.get(f"/dashboard/district/{heping}/?on=2021-12-31&sort=name&order=asc").content.decode()
    streets = [f"{heping}{number:03d}" for number in range(1, 61)]
    assert re.findall(r'<tr data-code="(\d{9})">', html) == streets[:50] and "第1页，共2页" in html
    assert len(_data(html)["bars"]) == 60
    second = client.get(f"/dashboard/district/{heping}/?on=2021-12-31&sort=name&order=asc&page=2").content.decode()
    assert re.findall(r'<tr data-code="(\d{9})">', second) == streets[50:]
    lacking = client.get(f"/dashboard/district/{heping}/?on=2021-12-31&sort=name&only=no_pilot").content.decode()
    assert re.findall(r'<tr data-code="(\d{9})">', lacking) == streets[1::2] and "dashboard-pager" not in lacking
    assert "仅显示尚无试点社区的街道" in lacking
