"""The funds import: upload → a preview of every row → confirm writes all rows in one transaction, or none."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from districts.models import AuditEntry
from reporting.funds.models import FundEntry

from .helpers import csv_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def zh(client_for):
    def login(user):
        client = client_for(user)
        client.cookies["django_language"] = "zh-hans"
        return client

    return login


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_file_is_previewed_row_by_row_and_confirmed_in_one_go(
    zh, heping_staff, heping_communities, sources, add_line
):
    a, b, c = heping_communities
    add_line(a, 2021, sources["fiscal"], "1000", "0", by=heping_staff)
    add_line(b, 2021, sources["fiscal"], "500", "500", by=heping_staff)
    rows = [
        [a.code, a.name, "2021", "财政专项", "1000", "800", ""],  # changes the spent amount
        [b.code, "", "2021年", "财政专项", "500", "500", ""],  # the same as stored
        [c.code, c.name, 2022, "城镇老旧小区改造", "1,234,567.89", "", "二期"],  # new
    ]
    client = zh(heping_staff)
    response = upload(client, "资金.csv", csv_bytes(rows))
    assert response.status_code == 302
    preview = _text(client.get(response.url))
    assert "新增记录</dt><dd>1</dd>" in preview and "将修改的记录</dt><dd>1</dd>" in preview
    assert "无变化</dt>" not in preview or "没有变化" not in preview
    assert re.search(r'data-row="2".*?0\.00 →</span> 800\.00.*?修改', preview)
    assert re.search(r'data-row="4".*?1234567\.89.*?新增', preview)
    assert "导入2条记录" in preview
    assert FundEntry.objects.count() == 2  # the preview writes nothing
    done = client.post(response.url)
    assert done.status_code == 302 and done.url == "/funds/district/120101/"
    assert FundEntry.objects.get(community=a).spent == Decimal("800.00")
    new = FundEntry.objects.get(community=c)
    assert (new.year, new.source.code, new.committed, new.spent, new.note) == (
        2022,
        "old-estate",
        Decimal("1234567.89"),
        Decimal("0.00"),
        "二期",
    )
    imported = AuditEntry.objects.filter(action="import", content_type__model="fundentry")
    assert imported.count() == 2 and set(imported.values_list("note", flat=True)) == {"资金.csv"}


def test_an_xlsx_with_numbers_in_its_cells_is_imported(zh, heping_staff, heping_communities):
    a = heping_communities[0]
    client = zh(heping_staff)
    response = upload(
        client, "资金.xlsx", xlsx_bytes([[int(a.code), None, 2021, "海绵城市建设", 250000.5, 100000, None]])
    )
    assert response.status_code == 302
    client.post(response.url)
    entry = FundEntry.objects.get()
    assert (entry.community, entry.committed, entry.spent) == (a, Decimal("250000.50"), Decimal("100000.00"))


def test_one_bad_row_among_good_ones_imports_nothing_and_names_its_row_and_column(zh, heping_staff, heping_communities):
    a, b, _c = heping_communities
    rows = [
        [a.code, a.name, "2021", "财政专项", "1000", "0", ""],
        [b.code, b.name, "2021", "财政专项", "-5", "0", ""],
    ]
    client = zh(heping_staff)
    response = upload(client, "资金.csv", csv_bytes(rows))
    preview = _text(client.get(response.url))
    assert re.search(
        r'<td class="num" data-label="行号">3</td> <td data-label="列" lang="zh-Hans">落实金额（元）</td> <td data-label="问题">落实金额不能为负数。</td>',
        preview,
    )
    assert "导入" not in re.sub(
        r"导入资金|未导入|不会导入|导入的", "", preview.split("逐行结果")[1].split("</table>")[1]
    )
    assert client.post(response.url).status_code == 200  # confirming anyway is refused on the same page
    assert not FundEntry.objects.exists()
    assert not AuditEntry.objects.filter(content_type__model="fundentry").exists()


def test_a_row_that_became_wrong_after_the_preview_makes_the_confirm_write_nothing(
    zh, heping_staff, heping_communities, sources
):
    a, b, _c = heping_communities
    rows = [[a.code, "", "2021", "财政专项", "1000", "0", ""], [b.code, "", "2021", "银行信贷", "1000", "0", ""]]
    client = zh(heping_staff)
    response = upload(client, "资金.csv", csv_bytes(rows))
    client.get(response.url)
    sources["bank-credit"].is_active = False
    sources["bank-credit"].save()
    page = _text(client.post(response.url))
    assert "重新校验时发现文件存在错误，未导入任何数据。" in page and "资金来源“银行信贷”已停用。" in page
    assert not FundEntry.objects.exists()


def test_the_commission_administrator_imports_for_any_district(zh, commission_admin, hexi_community):
    client = zh(commission_admin)
    response = upload(client, "资金.csv", csv_bytes([[hexi_community.code, "", "2022", "社会资本", "30000", "", ""]]))
    assert client.post(response.url).url == "/funds/"
    assert FundEntry.objects.get().district.code == "120103"


def test_the_template_has_the_columns_and_the_sources(zh, heping_staff):
    import io

    import openpyxl

    response = zh(heping_staff).get("/funds/import/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.worksheets[0][1]] == [
        "社区代码",
        "社区名称",
        "年度",
        "资金来源",
        "落实金额（元）",
        "已支出金额（元）",
        "备注",
    ]
    assert [r[0] for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)][-3:] == [
        "财政专项",
        "银行信贷",
        "社会资本",
    ]
