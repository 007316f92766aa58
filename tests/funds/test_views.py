"""The funds pages: what each reader sees, the form's refusals in Chinese, the dashboards' panel, the export and the
annual compilation's "资金统筹" section."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
import pytest

from districts.models import AuditEntry
from reporting.documents.build import document_html, document_spec
from reporting.funds.models import FundEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def zh(client_for):
    def login(user):
        client = client_for(user)
        client.cookies["django_language"] = "zh-hans"
        return client

    return login


@pytest.fixture
def lines(heping_staff, hexi_staff, heping_communities, hexi_community, sources, add_line):
    a, b, _c = heping_communities
    return {
        "a": add_line(a, 2021, sources["old-estate"], "3000000", "2500000", by=heping_staff, note="一期改造"),
        "b": add_line(b, 2021, sources["fiscal"], "200000", "150000", by=heping_staff),
        "hexi": add_line(hexi_community, 2021, sources["sponge-city"], "800000", "600000", by=hexi_staff),
    }


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_city_page_shows_each_district_by_source_in_ten_thousand_yuan(zh, reviewer, lines):
    page = _text(zh(reviewer).get("/funds/?year=2021"))
    assert "2021年资金统筹" in page
    heping = re.search(r'<tr data-code="120101">(.*?)</tr>', page).group(1)
    assert "300.00 / 250.00" in heping and "20.00 / 15.00" in heping and "320.00 / 265.00" in heping
    hexi = re.search(r'<tr data-code="120103">(.*?)</tr>', page).group(1)
    assert "80.00 / 60.00" in hexi
    assert re.search(r"<tfoot>.*?全市.*?400\.00 / 325\.00", page)


def test_district_staff_are_sent_to_their_own_district_and_see_only_its_lines(zh, heping_staff, lines):
    client = zh(heping_staff)
    response = client.get("/funds/?year=2021")
    assert response.status_code == 302 and response.url == "/funds/district/120101/"
    page = _text(client.get("/funds/district/120101/?year=2021"))
    assert lines["a"].community.name in page and "一期改造" in page and "3000000.00" in page
    assert lines["hexi"].community.name not in page
    assert "新增记录" in page and "从 Excel 导入" in page
    assert client.get("/funds/district/120103/").status_code == 404
    assert client.get(f"/funds/entries/{lines['hexi'].pk}/edit/").status_code == 404


def test_a_street_officer_reads_the_districts_funds_without_changing_them(zh, heping_street_staff, lines):
    page = _text(zh(heping_street_staff).get("/funds/district/120101/?year=2021"))
    assert lines["a"].community.name in page
    assert "新增记录" not in page and "/edit/" not in page


def test_a_line_is_added_through_the_form_and_audited(zh, heping_staff, heping_communities, sources):
    community = heping_communities[2]
    response = zh(heping_staff).post(
        "/funds/district/120101/new/",
        {
            "community": community.pk,
            "year": "2022",
            "source": sources["smart-city"].pk,
            "committed": "88000",
            "spent": "",
            "note": "智能门禁",
        },
    )
    assert response.status_code == 302 and response.url == "/funds/district/120101/?year=2022"
    entry = FundEntry.objects.get(community=community)
    assert (entry.committed, entry.spent, entry.note) == (Decimal("88000.00"), Decimal("0.00"), "智能门禁")
    assert AuditEntry.objects.filter(object_id=str(entry.pk), action="create").exists()


def test_the_form_refuses_zeros_and_another_districts_community_in_chinese(
    zh, heping_staff, heping_communities, hexi_community, sources
):
    client = zh(heping_staff)
    data = {"year": "2021", "source": sources["fiscal"].pk, "committed": "0", "spent": "0"}
    page = _text(client.post("/funds/district/120101/new/", {**data, "community": heping_communities[0].pk}))
    assert "请填写落实金额或已支出金额（或两者）；两项均为0的记录没有意义。" in page
    page = _text(client.post("/funds/district/120101/new/", {**data, "community": hexi_community.pk, "committed": "5"}))
    assert "选择一个有效的选项" in page
    assert not FundEntry.objects.exists()


def test_a_negative_amount_is_refused_by_the_form(zh, heping_staff, heping_communities, sources):
    page = _text(
        zh(heping_staff).post(
            "/funds/district/120101/new/",
            {"community": heping_communities[0].pk, "year": "2021", "source": sources["fiscal"].pk, "committed": "-3"},
        )
    )
    assert "确保该值大于或等于0" in page and not FundEntry.objects.exists()


def test_editing_and_deleting_a_line(zh, heping_staff, lines):
    client = zh(heping_staff)
    entry = lines["b"]
    response = client.post(f"/funds/entries/{entry.pk}/edit/", {"committed": "200000", "spent": "199999.99"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.spent == Decimal("199999.99")
    confirm = _text(client.get(f"/funds/entries/{entry.pk}/delete/"))
    assert (
        "确定删除" in confirm
        and entry.community.name in confirm
        and FundEntry.objects.filter(pk=entry.pk).exists()  # the confirmation page deletes nothing
    )
    assert client.post(f"/funds/entries/{entry.pk}/delete/").status_code == 302
    assert not FundEntry.objects.filter(pk=entry.pk).exists()


def test_a_reviewer_reads_a_district_but_cannot_edit(zh, reviewer, lines):
    client = zh(reviewer)
    assert lines["a"].community.name in _text(client.get("/funds/district/120101/?year=2021"))
    assert client.get(f"/funds/entries/{lines['a'].pk}/edit/").status_code == 403


def test_the_export_has_the_summary_in_ten_thousand_yuan_and_every_visible_line(zh, heping_staff, reviewer, lines):
    response = zh(heping_staff).get("/funds/export.xlsx?year=2021")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert summary[0] == ("区", "资金来源", "落实金额（万元）", "已支出金额（万元）", "涉及社区数")
    assert ("和平区", "城镇老旧小区改造", 300.0, 250.0, 1) in summary and ("和平区", "合计", 320.0, 265.0, 2) in summary
    details = list(book["明细"].iter_rows(min_row=2, values_only=True))
    assert {row[2] for row in details} == {lines["a"].community.code, lines["b"].community.code}
    city = openpyxl.load_workbook(io.BytesIO(zh(reviewer).get("/funds/export.xlsx?year=2021").content))
    assert len(list(city["明细"].iter_rows(min_row=2))) == 3


def test_a_note_that_looks_like_a_formula_is_plain_text_in_the_export(
    zh, heping_staff, heping_communities, sources, add_line
):
    add_line(heping_communities[0], 2021, sources["fiscal"], "1", "0", by=heping_staff, note='=HYPERLINK("http://x")')
    book = openpyxl.load_workbook(io.BytesIO(zh(heping_staff).get("/funds/export.xlsx?year=2021").content))
    (row,) = list(book["明细"].iter_rows(min_row=2))
    assert row[-1].value == '\'=HYPERLINK("http://x")' and row[-1].data_type == "s"


def test_the_dashboards_show_the_funds_panel(zh, reviewer, heping_staff, lines, snapshots):
    city = _text(zh(reviewer).get("/dashboard/?on=2021-12-31"))
    panel = re.search(r'<section class="card funds-panel".*?</section>', city).group(0)
    assert "资金投入（2021年）" in panel and "城镇老旧小区改造" in panel and "300.00" in panel and "80.00" in panel
    assert "智慧城市建设" not in panel  # a source without funds is left out
    district = _text(zh(heping_staff).get("/dashboard/district/120101/?on=2021-12-31"))
    panel = re.search(r'<section class="card funds-panel".*?</section>', district).group(0)
    assert "320.00" in panel and "海绵城市建设" not in panel and 'href="/funds/district/120101/?year=2021"' in panel


def test_the_annual_compilation_has_a_funds_section(lines):
    html = re.sub(r"\s+", " ", document_html(document_spec(kind="annual", period="2021")))
    section = html.split('<h2 class="numbered">资金统筹</h2>')[1].split('<section class="filer">')[0]
    assert "2021年，各区共为3个社区录入资金，落实400.00万元，已支出325.00万元，来源如下。" in section
    assert re.search(
        r"<td>城镇老旧小区改造</td><td class=\"num\">300.00</td><td class=\"num\">250.00</td><td class=\"num\">1</td>",
        section,
    )
    assert re.search(r'<td class="name">河西区</td><td class="num">80.00</td><td class="num">60.00</td>', section)


def test_the_annual_compilation_says_when_no_funds_were_recorded(db):
    html = document_html(document_spec(kind="annual", period="2021"))
    assert "资金统筹" in html and "各区尚未录入2021年的资金。" in html


def test_the_annual_section_names_the_districts_that_recorded_nothing(lines):
    html = re.sub(r"\s+", " ", document_html(document_spec(kind="annual", period="2021")))
    section = html.split('<h2 class="numbered">资金统筹</h2>')[1].split('<section class="filer">')[0]
    assert '<td class="name">河东区</td><td colspan="3"><span class="status-behind">未录入</span></td>' in section


def test_the_commission_adds_a_funding_source_in_the_admin_and_the_form_offers_it(
    client_for, commission_admin, heping_staff
):
    from reporting.funds.models import FundingSource

    client = client_for(commission_admin)
    response = client.post(
        "/admin/funds/fundingsource/add/", {"code": "special-bond", "name": "专项债券", "order": "9", "is_active": "on"}
    )
    assert response.status_code == 302
    source = FundingSource.objects.get(code="special-bond")
    assert AuditEntry.objects.filter(object_id=str(source.pk), action="create", source="admin").exists()
    page = client_for(heping_staff).get("/funds/district/120101/new/").content.decode()
    assert "专项债券" in page


def test_a_district_without_funds_is_told_so_on_its_dashboard(zh, hexi_staff, snapshots):
    page = _text(zh(hexi_staff).get("/dashboard/district/120103/?on=2021-12-31"))
    panel = re.search(r'<section class="card funds-panel".*?</section>', page).group(0)
    assert "尚未录入2021年的资金。" in panel and "<table" not in panel
