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
from reporting.figures.rollups import rollup_date
from reporting.models import Campaign, ProgressSnapshot
from reporting.reports.services import assessment_save, report_open, report_return, report_save, report_submit
from reporting.services import enrolment_enrol
from standards.acceptance import (
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    objection_decide,
    objection_record,
    rectification_done,
    round_create,
)
from standards.acceptance import team_create as acceptance_team_create
from standards.models import Inspection, Rectification, SelfAssessment
from tests.reporting.test_recheck_tasks import standing_world

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


def _inspect(communities, *, by_admin, inspector, fail_item=None, signed_on=None, notice_days=0):
    # The round has ended by now: each step tells the services the day it happened.
    day = signed_on or D(2021, 11, 20)
    round_ = round_create(
        name=f"验收{communities[0].code}",
        year=2021,
        opens_on=D(2021, 10, 1),
        closes_on=max(D(2021, 12, 31), day),  # a round takes no signature after its end
        by=by_admin,
        notice_days=notice_days,
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
    heping_area = next(item for item in data["map"] if item["code"] == HEPING)
    assert heping_area["name"] == heping_area["label"] == "和平区"
    assert heping_area["met"] == 2 and heping_area["target"] == 30.0
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
    assert "退回修改，尚未重新提交（已等待不到1天）" in flags
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


def test_district_dashboard_lists_its_streets_with_links_to_their_progress(progress, heping_staff, client_for):
    html = client_for(heping_staff).get("/dashboard/district/120101/?on=2021-12-31").content.decode()
    first = progress["pilots"][0]
    street = _snapshot(first.street.code, level="street")
    row = _row(html, first.street.code)
    assert first.street.name in row and f"1 / {street.roster}" in row and _percent(1, street.roster) in row
    assert f'href="/dashboard/street/{first.street.code}/?on=2021-12-31"' in row
    assert "100.0% <span" in row  # the 街道 has its pilot
    assert "0.0% <span" in _row(html, progress["lacking"].code)
    assert (
        len(re.findall(r'<tr data-code="\d{9}">', html))
        == ProgressSnapshot.objects.filter(on=YEAR_END, level="street", parent_code=HEPING).count()
    )
    bars = _data(html)["bars"]
    assert {bar["name"] for bar in bars} >= {first.street.name, progress["lacking"].name}
    assert next(bar for bar in bars if bar["name"] == first.street.name)["url"] == (
        f"/dashboard/street/{first.street.code}/?on=2021-12-31"
    )
    flags = _section(html, "flags-heading")
    assert progress["lacking"].name in flags and "和平区进度滞后" in flags


def test_the_street_page_the_dashboard_links_to_lists_the_community(progress, heping_staff, client_for):
    first = progress["pilots"][0]
    html = client_for(heping_staff).get(f"/dashboard/street/{first.street.code}/?on=2021-12-31").content.decode()
    assert f'href="/dashboard/community/{first.code}/?on=2021-12-31"' in html


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
    assert 'href="/dashboard/street/120101001/' in html
    other = progress["pilots"][1].street.code
    assert other in html and f'href="/dashboard/street/{other}/' not in html
    assert client.get(f"/dashboard/street/{other}/").status_code == 404


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


def test_dashboards_stay_within_fifteen_queries_for_every_role_with_rechecks_and_a_revocation(
    campaign,
    commission_admin,
    inspector,
    reviewer,
    department_staff,
    heping_staff,
    heping_street_staff,
    client_for,
):
    """Issue 17's budget (≤ 15 queries) with the 长效管理 block showing: a re-check round of three communities, one
    failed and revoked for a missed deadline, on the city's and 和平区's dashboards for each role that opens them."""
    standing_world(commission_admin, inspector)
    rollup_date(campaign=campaign, on=D(2021, 10, 31))
    city, district = "/dashboard/?on=2021-10-31", f"/dashboard/district/{HEPING}/?on=2021-10-31"
    pages = [
        (commission_admin, city),
        (reviewer, city),
        (department_staff, city),
        (department_staff, "/dashboard/department/?on=2021-10-31"),
        (commission_admin, district),
        (reviewer, district),
        (heping_staff, district),
        (heping_street_staff, district),
    ]
    counts = {}
    for user, url in pages:
        client = client_for(user)
        html = client.get(url).content.decode()
        if "/department/" not in url:
            assert 'id="standing-revoked">1<' in html, (user.username, url)
        counts[(user.username, url)] = _queries(client, url)
    assert max(counts.values()) <= 15, counts


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
    assert sorted(f["properties"]["name"] for f in features) == sorted(District.objects.values_list("name", flat=True))
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


# --- issue 14: the map, drill-down to a community, departments' failures, units without urban communities ------

ALL_MEET = {str(number): "meets" for number in range(1, 17)}


def _ring_area(ring):
    """The shoelace area of a closed ring of [x, y] points."""
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))) / 2


def _polygons(geometry):
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    return []


def test_every_district_on_the_roster_has_a_non_empty_polygon_on_the_map(reviewer, client_for):
    """Issue 14 item 1. Matched by name, as the map matches a district's figures to its shape."""
    response = client_for(reviewer).get("/dashboard/map/tianjin-districts.geojson")
    shapes = {}
    for feature in json.loads(response.content)["features"]:
        shapes.setdefault(feature["properties"]["name"], []).extend(_polygons(feature["geometry"]))
    roster = list(District.objects.order_by("code").values_list("name", flat=True))
    assert len(roster) == 16 and "蓟州区" in roster
    drawn = {
        name
        for name, polygons in shapes.items()
        if any(polygon and len(polygon[0]) >= 4 and _ring_area(polygon[0]) > 0 for polygon in polygons)
    }
    assert [name for name in roster if name not in drawn] == []


def test_the_map_is_labelled_a_schematic_map(progress, reviewer, client_for):
    """Issue 14 item 1."""
    card = _section(client_for(reviewer).get("/dashboard/?on=2021-12-31").content.decode(), "map-heading")
    assert "天津市各区示意图" in card and "不作为行政区域界线的依据" in card
    assert 'aria-describedby="map-caption"' in card


def test_units_without_urban_communities_say_so_instead_of_a_share(campaign, progress, reviewer, client_for):
    """Issue 14 item 9: no "0 / 0 · 0.0% · 目标30.0% · 无目标" and no empty bar, but 无城市社区."""
    empty_district = District.objects.create(code="120199", name="无社区测试区")
    Street.objects.create(code="120199100", name="测试镇", district=empty_district, kind=Street.Kind.TOWN)
    rollup_date(campaign=campaign, on=YEAR_END)
    client = client_for(reviewer)
    city = client.get("/dashboard/?on=2021-12-31").content.decode()
    # The cells before "participating": met / roster, share, target, status, projection.
    shares = _row(city, "120199").split('<td class="num">', 1)[0]
    assert "无城市社区" in shares and not re.search(r"0 / 0|0\.0%|30\.0%|无目标", shares)
    district = client.get("/dashboard/district/120199/?on=2021-12-31").content.decode()
    kpis = district[district.index("dashboard-kpis") : district.index("参与创建的社区")]
    assert "无城市社区" in kpis and "0.0%" not in kpis and "目标" not in kpis

    # 蓟州区's 镇 have villages, not urban communities.
    street = (
        ProgressSnapshot.objects.filter(on=YEAR_END, level="street", parent_code="120119", roster=0)
        .order_by("unit_code")
        .first()
    )
    html = client.get("/dashboard/district/120119/?on=2021-12-31").content.decode()
    shares = _row(html, street.unit_code).split('<td class="num">', 1)[0]
    assert "无城市社区" in shares and not re.search(r"0 / 0|0\.0%|30\.0%|无目标", shares)
    data = _data(html)
    bar = next(bar for bar in data["bars"] if bar["name"] == street.unit_name)
    assert bar["no_roster"] is True and data["labels"]["no_roster"] == "无城市社区"
    assert not any(b["no_roster"] for b in data["bars"] if b["roster"])
    page = client.get(f"/dashboard/street/{street.unit_code}/?on=2021-12-31").content.decode()
    assert "无城市社区" in page and "0.0%" not in page
    sheet, _about = _sheet(client.get("/dashboard/export.xlsx?table=streets&district=120119&on=2021-12-31"))
    rows = list(sheet.iter_rows(values_only=True))
    cells = dict(zip(rows[0], next(r for r in rows if r[0] == street.unit_code), strict=True))
    assert cells["达标率（%）"] is None and cells["状态"] == "无城市社区"


def _monthly(campaign, district, period, staff, rows, *, submit):
    """A district's monthly report for `period` with `rows` ({community: (stage, items, notes)}), submitted or not."""
    report = report_open(campaign=campaign, kind="monthly", period=period, district=district, by=staff)
    for community, (stage, items, notes) in rows.items():
        row = SelfAssessment.objects.get(period=period, community=community)
        assessment_save(
            report=report, assessment=row, version=row.version, stage=stage, items=items, notes=notes, by=staff
        )
    report.refresh_from_db()
    report = report_save(report=report, version=report.version, data={"progress": "推进创建"}, by=staff)
    return report_submit(report=report, by=staff) if submit else report


def _tr(html, attribute, value):
    match = re.search(rf'<tr {attribute}="{value}">(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value}"
    return match.group(1)


def test_a_streets_progress_shows_each_communitys_stage_pilot_self_assessment_and_met(
    campaign, progress, heping_staff, client_for
):
    """Issue 14 item 5. The stage is the latest self-assessment a submitted monthly report states."""
    heping = District.objects.get(code=HEPING)
    pilot = progress["pilots"][0]  # passed on 2021-11-20, no notice period
    street = pilot.street
    _monthly(campaign, heping, D(2021, 11, 1), heping_staff, {pilot: ("meets", ALL_MEET, {})}, submit=True)
    december = _monthly(
        campaign, heping, D(2021, 12, 1), heping_staff, {pilot: ("creating", {"1": "meets"}, {})}, submit=False
    )
    client = client_for(heping_staff)
    html = client.get(f"/dashboard/street/{street.code}/?on=2021-12-31").content.decode()
    assert '<a href="/dashboard/district/120101/?on=2021-12-31">和平区</a>' in html
    roster = list(
        Community.objects.filter(street=street, kind="居委会").on_roster(YEAR_END).values_list("code", flat=True)
    )
    assert re.findall(r'<tr data-code="(\d{12})">', html) == sorted(roster)
    row = _tr(html, "data-code", pilot.code)
    assert f'href="/dashboard/community/{pilot.code}/?on=2021-12-31"' in row
    assert "试点" in row and "自评达标" in row and "据2021年11月月报" in row and "16/16" in row
    assert "2021年11月20日" in row and "通过" in row and "已达标" in row and "自2021年11月20日起" in row
    bystander = next(code for code in sorted(roster) if code != pilot.code)
    other = _tr(html, "data-code", bystander)
    assert "未纳入" in other and "尚无已报送的自评" in other and "尚未达标" in other
    assert f"城市社区{len(roster)}个，达标1个" in html
    # The draft for December states nothing yet; once submitted it does.
    report_submit(report=december, by=heping_staff)
    row = _tr(client.get(f"/dashboard/street/{street.code}/?on=2021-12-31").content.decode(), "data-code", pilot.code)
    assert "创建中" in row and "据2021年12月月报" in row and "1/16" in row
    # Before the inspection and the reports, none of it had happened.
    row = _tr(client.get(f"/dashboard/street/{street.code}/?on=2021-10-31").content.decode(), "data-code", pilot.code)
    assert "尚无已报送的自评" in row and "未验收" in row and "尚未达标" in row


def test_a_communitys_progress_tells_its_campaign_story(
    campaign, progress, heping_staff, reviewer, inspector, client_for
):
    """Issue 14 item 5: stage, pilot flag, self-assessment by item, inspections and their results per item,
    rectifications as they stood on the date, under the dashboard's breadcrumbs and date."""
    heping = District.objects.get(code=HEPING)
    failed = progress["pilots"][2]  # item 5 failed on 2021-11-20
    items = {**ALL_MEET, "5": "in_progress"}
    _monthly(
        campaign,
        heping,
        D(2021, 11, 1),
        heping_staff,
        {failed: ("creating", items, {"5": "正在增设分类投放点"})},
        submit=True,
    )
    url = f"/dashboard/community/{failed.code}/"
    html = client_for(reviewer).get(f"{url}?on=2021-12-31").content.decode()
    crumbs = html[html.index('class="crumbs"') : html.index("</nav>", html.index('class="crumbs"'))]
    assert '<a href="/dashboard/?on=2021-12-31">' in crumbs
    assert '<a href="/dashboard/district/120101/?on=2021-12-31">和平区</a>' in crumbs
    assert f'<a href="/dashboard/street/{failed.street.code}/?on=2021-12-31">{failed.street.name}</a>' in crumbs
    assert f'aria-current="page">{failed.name}</span>' in crumbs
    assert "未通过，整改中" in html and "试点" in html and "创建中" in html and "据2021年11月月报" in html
    item5 = _tr(html, "data-item", "5")
    assert "推进中" in item5 and "正在增设分类投放点" in item5
    assert "不达标" in item5 and "垃圾分类投放点不足" in item5
    assert _tr(html, "data-item", "1").count("达标") == 2
    inspections = _section(html, "inspections-heading")
    assert "2021年11月20日" in inspections and "未通过" in inspections
    # Item 14 of issue 14: the signer by name, family name first.
    inspector.last_name, inspector.first_name = "高", "振华"
    inspector.save()
    inspections = _section(client_for(reviewer).get(f"{url}?on=2021-12-31").content.decode(), "inspections-heading")
    assert "高振华" in inspections and "inspector-1" not in inspections
    rectifications = _section(html, "rectifications-heading")
    assert "垃圾分类投放点不足" in rectifications and "待整改" in rectifications and "已逾期" in rectifications
    assert "未收到异议" in _section(html, "objections-heading")
    street = client_for(reviewer).get(f"/dashboard/street/{failed.street.code}/?on=2021-12-31").content.decode()
    assert re.search(r'data-label="待整改事项">1</td>', _tr(street, "data-code", failed.code))

    rectification = Rectification.objects.get(community=failed)
    # Put right while the round was open (it ended on 2021-12-31); recorded today.
    rectification_done(rectification=rectification, note="已增设投放点", by=heping_staff, today=D(2021, 12, 20))
    now = _section(client_for(reviewer).get(url).content.decode(), "rectifications-heading")
    assert "已整改" in now and "已增设投放点" in now
    street = client_for(reviewer).get(f"/dashboard/street/{failed.street.code}/").content.decode()
    assert re.search(r'data-label="待整改事项">—</td>', _tr(street, "data-code", failed.code))
    then = _section(client_for(reviewer).get(f"{url}?on=2021-12-31").content.decode(), "rectifications-heading")
    assert "待整改" in then and "已增设投放点" not in then


def test_a_community_meets_from_the_day_an_objection_is_dismissed(
    campaign, progress, commission_admin, inspector, reviewer, client_for
):
    """Issue 14 item 5: whether and since when it met, as `met_inspections` decides."""
    community = Community.objects.filter(street=progress["lacking"], kind="居委会").order_by("code").first()
    _inspect([community], by_admin=commission_admin, inspector=inspector, signed_on=D(2021, 11, 20), notice_days=7)
    inspection = Inspection.objects.get(community=community)
    objection = objection_record(
        inspection=inspection, received_on=D(2021, 11, 22), text="居民反映分类投放点未落实", by=commission_admin
    )
    url = f"/dashboard/community/{community.code}/"
    client = client_for(reviewer)
    then = client.get(f"{url}?on=2021-12-31").content.decode()
    assert "有异议待处理" in then and "达到创建要求" not in _section(then, "met-state")
    objection_decide(objection=objection, decision="dismissed", note="经核实不成立", by=commission_admin)
    today = timezone.localdate()
    now = client.get(url).content.decode()
    state = now[now.index('id="met-state"') : now.index('</div>\n  <div class="kpi">', now.index('id="met-state"'))]
    assert "达到创建要求" in state and f"自{today.year}年{today.month}月{today.day}日起" in state
    assert "异议不成立" in _section(now, "objections-heading")
    assert "有异议待处理" in client.get(f"{url}?on=2021-12-31").content.decode()


def test_the_drill_down_is_scoped_like_the_dashboards(
    progress, hexi_staff, heping_street_staff, inspector, department_staff, client_for
):
    """Issue 14 item 5: out of scope is a 404."""
    own = progress["pilots"][0]
    assert own.street.code == "120101001"
    elsewhere = progress["pilots"][1]
    hexi = progress["hexi_pilot"]
    cases = [
        (hexi_staff, f"/dashboard/street/{own.street.code}/", 404),
        (hexi_staff, f"/dashboard/community/{own.code}/", 404),
        (hexi_staff, f"/dashboard/street/{hexi.street.code}/", 200),
        (hexi_staff, f"/dashboard/community/{hexi.code}/", 200),
        (heping_street_staff, f"/dashboard/street/{own.street.code}/", 200),
        (heping_street_staff, f"/dashboard/community/{own.code}/", 200),
        (heping_street_staff, f"/dashboard/street/{elsewhere.street.code}/", 404),
        (heping_street_staff, f"/dashboard/community/{elsewhere.code}/", 404),
        (inspector, f"/dashboard/street/{own.street.code}/", 404),
        (inspector, f"/dashboard/community/{own.code}/", 404),
        (department_staff, f"/dashboard/community/{hexi.code}/", 200),
    ]
    assert [(url, client_for(user).get(url).status_code) for user, url, _status in cases] == [
        (url, status) for _user, url, status in cases
    ]


def test_drill_down_query_counts_do_not_grow_with_the_communities(
    campaign, progress, reviewer, commission_admin, inspector, heping_staff, client_for
):
    """Issue 14 item 5: a street's page and a community's page cost the same however much there is to show."""
    street = progress["pilots"][0].street
    story = progress["pilots"][2]
    urls = [f"/dashboard/street/{street.code}/?on=2022-06-30", f"/dashboard/community/{story.code}/?on=2022-06-30"]
    client = client_for(reviewer)
    before = [_queries(client, url) for url in urls]
    assert max(before) <= 15, before

    more = list(Community.objects.filter(street=street, kind="居委会").exclude(enrolments__isnull=False))
    assert len(more) >= 6
    enrolment_enrol(campaign=campaign, communities=more, kind="batch", joined_on=D(2021, 6, 1), by=commission_admin)
    _inspect(more[:3], by_admin=commission_admin, inspector=inspector, fail_item=3, signed_on=D(2022, 3, 1))
    _inspect(more[3:], by_admin=commission_admin, inspector=inspector, signed_on=D(2022, 3, 2), notice_days=5)
    _inspect([story], by_admin=commission_admin, inspector=inspector, signed_on=D(2022, 4, 1), notice_days=5)
    objection_record(
        inspection=Inspection.objects.filter(community=story).order_by("-signed_at").first(),
        received_on=D(2022, 4, 2),
        text="异议",
        by=commission_admin,
    )
    heping = District.objects.get(code=HEPING)
    rows = {c: ("creating", {"1": "meets"}, {}) for c in [*more, story]}
    _monthly(campaign, heping, D(2022, 5, 1), heping_staff, rows, submit=True)
    after = [_queries(client, url) for url in urls]
    assert after == before


def test_department_staff_find_their_dashboard_in_the_menu_and_on_their_home_page(
    progress, department_staff, heping_staff, client_for
):
    """Issue 14 item 7."""
    home = client_for(department_staff).get("/").content.decode()
    menu = home[home.index('class="mainnav"') : home.index("</nav>", home.index('class="mainnav"'))]
    assert '<a href="/dashboard/department/">指标达标看板</a>' in menu
    main = home[home.index("<main") :]
    assert 'href="/dashboard/department/"' in main and "本部门指标达标看板" in main
    page = client_for(department_staff).get("/dashboard/department/").content.decode()
    assert '<a href="/dashboard/department/" aria-current="page">指标达标看板</a>' in page
    assert 'href="/dashboard/department/"' not in client_for(heping_staff).get("/").content.decode()


def test_each_count_that_failed_an_item_links_to_the_communities_that_failed_it(
    progress, department_staff, reviewer, heping_staff, client_for
):
    """Issue 14 item 7: the failures behind a pass rate, scoped as the department dashboard (its own items only)."""
    client = client_for(department_staff)
    html = client.get("/dashboard/department/?on=2021-12-31").content.decode()
    item5 = dict(re.findall(r'<tr><th scope="row">(\d+)</th>(.*?)</tr>', _section(html, "items-heading"), re.S))["5"]
    assert '<a href="/dashboard/department/items/5/failed/?on=2021-12-31"' in item5 and ">1</a>" in item5
    assert "failed" not in dict(re.findall(r'<tr><th scope="row">(\d+)</th>(.*?)</tr>', html, re.S))["4"]
    heping_row = re.search(r'<th scope="row">和平区</th>(.*?)</tr>', _section(html, "matrix-heading"), re.S).group(1)
    assert 'href="/dashboard/department/items/5/failed/?on=2021-12-31&amp;district=120101"' in heping_row
    assert next(item for item in _data(html)["items"] if item["name"] == "第5项")["url"] == (
        "/dashboard/department/items/5/failed/?on=2021-12-31"
    )

    failing = progress["pilots"][2]
    listed = client.get("/dashboard/department/items/5/failed/?on=2021-12-31").content.decode()
    assert re.findall(r'<tr data-code="(\d{12})">', listed) == [failing.code]
    row = _tr(listed, "data-code", failing.code)
    assert "垃圾分类投放点不足" in row and f'href="/dashboard/community/{failing.code}/?on=2021-12-31"' in row
    assert "共1个社区未达到该项要求" in listed
    hexi = client.get("/dashboard/department/items/5/failed/?on=2021-12-31&district=120103").content.decode()
    assert re.findall(r'<tr data-code="(\d{12})">', hexi) == [] and "仅显示河西区的社区" in hexi
    assert client.get("/dashboard/department/items/1/failed/").status_code == 404  # not the department's item
    assert client.get("/dashboard/department/items/99/failed/").status_code == 404
    assert client.get("/dashboard/department/items/5/failed/?district=999999").status_code == 404
    assert client_for(heping_staff).get("/dashboard/department/items/5/failed/").status_code == 404
    assert client_for(reviewer).get("/dashboard/department/items/1/failed/?on=2021-12-31").status_code == 200


def _visible_text(html):
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


HALF_WIDTH_AFTER_CHINESE = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]\s*:")


def test_dashboards_put_full_width_colons_after_chinese_labels(
    progress, reviewer, department_staff, heping_staff, client_for
):
    """Issue 14 item 11: "及时率：", not "及时率:", on every dashboard, and in the charts' tooltips."""
    failing = progress["pilots"][2]
    pages = [
        (reviewer, "/dashboard/?on=2021-12-31"),
        (department_staff, "/dashboard/department/?on=2021-12-31"),
        (department_staff, "/dashboard/department/items/5/failed/?on=2021-12-31"),
        (heping_staff, "/dashboard/district/120101/?on=2021-12-31"),
        (heping_staff, f"/dashboard/street/{failing.street.code}/?on=2021-12-31"),
        (heping_staff, f"/dashboard/community/{failing.code}/?on=2021-12-31"),
    ]
    found = {}
    for user, url in pages:
        html = client_for(user).get(url).content.decode()
        found[url] = HALF_WIDTH_AFTER_CHINESE.findall(_visible_text(html))
    assert found == {url: [] for _user, url in pages}
    html = client_for(reviewer).get("/dashboard/?on=2021-12-31").content.decode()
    assert "及时率：" in html and _data(html)["labels"]["colon"] == "："
