"""Hostile funds imports (资金): every refusal is a Chinese message, on the upload page or against the row and column
in the preview; a refused or erroneous file writes nothing — no funds line, no audit entry, no stored upload."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from districts.models import Community
from reporting.funds.models import FundEntry

from .conftest import ESCAPED, SCRIPT, audit_writes, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.hostile]

HEADERS = ["社区代码", "社区名称", "年度", "资金来源", "落实金额（元）", "已支出金额（元）", "备注"]
HUAYUANLU = "120101001001"


def csv_bytes(rows, *, headers=None, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS if headers is None else headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, *, headers=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS if headers is None else headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good(code=HUAYUANLU, **changes) -> list:
    row = {
        "code": code,
        "name": "",
        "year": "2021",
        "source": "财政专项",
        "committed": "1000",
        "spent": "0",
        "note": "",
    }
    row.update(changes)
    return list(row.values())


def upload(client, name: str, content: bytes):
    return client.post(reverse("funds_import"), {"file": SimpleUploadedFile(name, content)})


def stored_uploads() -> list[str]:
    return default_storage.listdir("imports")[1] if default_storage.exists("imports") else []


def funds_state() -> tuple:
    return (audit_writes(), list(FundEntry.objects.order_by("pk").values_list("pk", "committed", "spent", "note")))


def assert_refused(response, message: str, before: tuple) -> None:
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="errorlist"' in page and f"<li>{message}</li>" in page
    assert funds_state() == before
    assert stored_uploads() == []


def preview_of(client, response) -> str:
    assert response.status_code == 302, text_of(response)[:1500]
    return text_of(client.get(response.url))


def assert_cell_error(client, response, row: int, column: str, message: str, before: tuple) -> None:
    """The preview names the row and column; confirming anyway writes nothing."""
    page = preview_of(client, response)
    expected = (
        f'<td class="num" data-label="行号">{row}</td> <td data-label="列" lang="zh-Hans">{column}</td> '
        f'<td data-label="问题">{message}</td>'
    )
    assert expected in page, page[page.find("问题") : page.find("问题") + 1500]
    assert client.post(response.url).status_code == 200
    assert funds_state() == before


# --- the file itself ------------------------------------------------------------------------------------------


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(zh, heping_staff):
    before = funds_state()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr("xl/workbook.xml", "<workbook/>")
        bomb.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    response = upload(zh(heping_staff), "资金.xlsx", out.getvalue())
    assert_refused(response, "该工作簿解压后的数据量超出允许范围，请删除无用的工作表或格式，或改用 CSV 格式。", before)


def test_a_macro_workbook_named_xlsm_is_refused(zh, heping_staff):
    before = funds_state()
    response = upload(zh(heping_staff), "资金.xlsm", xlsx_bytes([good()]))
    assert_refused(response, "不接受含宏的工作簿，请将文件另存为 .xlsx 或 .csv 格式。", before)


def test_an_xlsx_carrying_a_vba_project_is_refused_as_a_macro_workbook(zh, heping_staff):
    before = funds_state()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes([good()]))) as source, zipfile.ZipFile(out, "w") as book:
        for member in source.infolist():
            book.writestr(member, source.read(member))
        book.writestr("xl/vbaProject.bin", b'Attribute VB_Name = "Module1"\nShell "cmd /c calc"')
    response = upload(zh(heping_staff), "资金.xlsx", out.getvalue())
    assert_refused(response, "不接受含宏的工作簿，请将文件另存为 .xlsx 或 .csv 格式。", before)


def test_a_png_named_csv_is_refused_as_not_a_csv_text(zh, heping_staff):
    before = funds_state()
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    response = upload(zh(heping_staff), "资金.csv", png)
    assert_refused(response, "该文件不是 CSV 文本文件。", before)


def test_an_old_xls_workbook_is_refused(zh, heping_staff):
    before = funds_state()
    response = upload(zh(heping_staff), "资金.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    assert_refused(response, "不接受旧版 Excel 格式（.xls），请将文件另存为 .xlsx 或 .csv 格式。", before)


def test_a_csv_with_a_million_columns_is_refused_without_reading_them(zh, heping_staff):
    before = funds_state()
    header = ",".join(HEADERS + [f"c{i}" for i in range(1_000_000)])
    content = (header + "\r\n" + ",".join(good()) + "\r\n").encode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.ROSTER_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
        patch.setattr("django.conf.settings.REQUEST_MAX_BYTES", 20 * 1024 * 1024)
        response = upload(zh(heping_staff), "资金.csv", content)
    assert_refused(response, "文件超过200列。", before)


def test_a_file_larger_than_the_limit_is_refused(zh, heping_staff):
    before = funds_state()
    content = csv_bytes([good(note="长" * (6 * 1024 * 1024 // 3))])
    response = upload(zh(heping_staff), "资金.csv", content)
    assert_refused(response, "文件大小超过5 MB。", before)


def test_more_rows_than_the_limit_are_refused(zh, heping_staff, settings):
    settings.ROSTER_IMPORT_MAX_ROWS = 3
    before = funds_state()
    response = upload(zh(heping_staff), "资金.csv", csv_bytes([good(year=str(2000 + n)) for n in range(5)]))
    assert_refused(response, "文件数据超过3行，请拆分为多个较小的文件。", before)


def test_a_csv_cell_longer_than_the_csv_reader_allows_gets_a_chinese_message(zh, heping_staff):
    before = funds_state()
    content = (",".join(HEADERS) + "\r\n" + ",".join(good(note="x" * 200_000)) + "\r\n").encode()
    response = upload(zh(heping_staff), "资金.csv", content)
    assert_refused(response, "无法读取该 CSV 文件：有单元格过长或引号不成对。请重新另存为 CSV 文件。", before)


def test_a_csv_in_an_unknown_encoding_is_refused(zh, heping_staff):
    before = funds_state()
    content = "社区代码,年度\r\n".encode() + b"\xff\x80\x80\r\n"  # neither UTF-8 nor GB18030
    response = upload(zh(heping_staff), "资金.csv", content)
    assert_refused(response, "无法识别该 CSV 文件的编码，请以 UTF-8 或 GBK 编码另存为 CSV 文件。", before)


# --- columns ------------------------------------------------------------------------------------------------


def test_a_file_without_the_required_columns_is_refused(zh, heping_staff):
    before = funds_state()
    response = upload(zh(heping_staff), "资金.csv", csv_bytes([["花园路", "1000"]], headers=["名称", "金额"]))
    assert_refused(
        response,
        "文件缺少必填列：社区代码、年度、资金来源、落实金额（元）、已支出金额（元）。请以模板第一行作为表头。",
        before,
    )


def test_a_file_without_the_spent_column_is_refused_rather_than_clearing_amounts(zh, heping_staff):
    before = funds_state()
    headers = ["社区代码", "年度", "资金来源", "落实金额（元）"]
    response = upload(zh(heping_staff), "资金.csv", csv_bytes([[HUAYUANLU, "2021", "财政专项", "1"]], headers=headers))
    assert_refused(response, "文件缺少必填列：已支出金额（元）。请以模板第一行作为表头。", before)


def test_a_file_with_a_column_twice_is_refused(zh, heping_staff):
    before = funds_state()
    response = upload(zh(heping_staff), "资金.csv", csv_bytes([[*good(), "2"]], headers=[*HEADERS, "年度"]))
    assert_refused(response, "以下列重复出现：年度。", before)


def test_a_header_with_half_width_brackets_is_the_same_column(zh, heping_staff):
    headers = [h.replace("（", "(").replace("）", ")") for h in HEADERS]
    client = zh(heping_staff)
    response = upload(client, "资金.csv", csv_bytes([good()], headers=headers))
    assert "导入1条记录" in preview_of(client, response)
    client.post(response.url)
    assert FundEntry.objects.get().committed == 1000


# --- cells --------------------------------------------------------------------------------------------------


def test_the_same_community_year_and_source_twice_is_an_error_and_nothing_is_imported(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(), good(committed="2000")]))
    assert_cell_error(client, response, 3, "社区代码", "该社区、年度和资金来源已在第2行出现。", before)


def test_an_unknown_community_code_is_refused(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(code="120101001999")]))
    assert_cell_error(client, response, 2, "社区代码", "该代码不在社区名册中。", before)


def test_a_code_that_is_not_twelve_digits_is_refused(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(code="1201-01")]))
    assert_cell_error(client, response, 2, "社区代码", "社区代码为12位数字。", before)


def test_a_community_of_another_district_is_refused_without_naming_it(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    other = Community.objects.filter(district__code="120103").order_by("code").first()
    response = upload(client, "资金.csv", csv_bytes([good(code=other.code)]))
    page = preview_of(client, response)
    assert "该社区不属于您所在的区。" in page and other.name not in page
    assert client.post(response.url).status_code == 200
    assert funds_state() == before


def test_a_community_name_that_does_not_match_the_roster_is_refused(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    name = Community.objects.get(code=HUAYUANLU).name
    response = upload(client, "资金.csv", csv_bytes([good(name="别的社区")]))
    assert_cell_error(client, response, 2, "社区名称", f"与社区名册不一致，名册中为“{name}”。", before)


def test_a_negative_amount_is_a_cell_error(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(spent="-0.01")]))
    assert_cell_error(client, response, 2, "已支出金额（元）", "已支出金额不能为负数。", before)


def test_an_amount_with_three_decimals_is_a_cell_error(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(committed="100.125")]))
    assert_cell_error(client, response, 2, "落实金额（元）", "落实金额最多保留两位小数（到分）。", before)


def test_an_amount_in_words_is_a_cell_error(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(committed="十万元")]))
    assert_cell_error(client, response, 2, "落实金额（元）", "请填写以元为单位的金额，如 120000 或 120000.50。", before)


def test_nan_and_infinity_are_not_amounts(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(committed="NaN", spent="Infinity")]))
    page = preview_of(client, response)
    assert page.count("请填写以元为单位的金额，如 120000 或 120000.50。") == 2
    assert funds_state() == before


def test_an_amount_beyond_the_column_is_a_cell_error_not_a_database_error(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(committed="1" + "0" * 15)]))
    assert_cell_error(client, response, 2, "落实金额（元）", "落实金额超出了合理范围。", before)


def test_a_true_false_cell_is_not_an_amount(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.xlsx", xlsx_bytes([[HUAYUANLU, None, 2021, "财政专项", True, 0, None]]))
    assert_cell_error(client, response, 2, "落实金额（元）", "请填写以元为单位的金额，如 120000 或 120000.50。", before)


def test_both_amounts_zero_is_a_row_error(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(committed="0", spent="")]))
    assert_cell_error(
        client,
        response,
        2,
        "落实金额（元）",
        "请填写落实金额或已支出金额（或两者）；两项均为0的记录没有意义。",
        before,
    )


def test_a_two_digit_year_is_refused(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(year="21")]))
    assert_cell_error(client, response, 2, "年度", "年度请填写四位数字，如 2021。", before)


def test_a_far_future_year_is_refused(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(year="2099")]))
    page = preview_of(client, response)
    assert "年度须在2000年至" in page and funds_state() == before


def test_an_unknown_source_is_refused_and_the_sources_are_listed(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(source="专项债")]))
    page = preview_of(client, response)
    assert "没有名为“专项债”的资金来源。可填写的来源：城镇老旧小区改造、绿色建筑" in page
    assert funds_state() == before


def test_html_as_a_source_is_escaped_in_the_preview(zh, heping_staff):
    client = zh(heping_staff)
    response = upload(client, "资金.csv", csv_bytes([good(source=SCRIPT)]))
    page = preview_of(client, response)
    assert SCRIPT not in page and "没有名为“&lt;script&gt;" in page


def test_a_note_longer_than_the_column_is_a_cell_error(zh, heping_staff):
    client = zh(heping_staff)
    before = funds_state()
    response = upload(client, "资金.csv", csv_bytes([good(note="注" * 201)]))
    assert_cell_error(client, response, 2, "备注", "最多可填写200个字符（本单元格为201个字符）。", before)


# --- encodings ----------------------------------------------------------------------------------------------


def test_a_gbk_csv_from_a_chinese_excel_is_read_and_imported(zh, heping_staff):
    client = zh(heping_staff)
    response = upload(client, "资金.csv", csv_bytes([good(source="城镇老旧小区改造", note="外墙保温")], encoding="gbk"))
    assert "城镇老旧小区改造" in preview_of(client, response)
    client.post(response.url)
    entry = FundEntry.objects.get()
    assert (entry.source.name, entry.note) == ("城镇老旧小区改造", "外墙保温")


def test_a_gb18030_csv_with_a_character_outside_gbk_is_read(zh, heping_staff):
    client = zh(heping_staff)
    response = upload(client, "资金.csv", csv_bytes([good(note="䶮户改造")], encoding="gb18030"))
    preview_of(client, response)
    client.post(response.url)
    assert FundEntry.objects.get().note == "䶮户改造"


def test_a_utf8_csv_with_a_byte_order_mark_is_read_and_imported(zh, heping_staff):
    client = zh(heping_staff)
    content = "\ufeff".encode() + csv_bytes([good(source="社会资本", committed="5000")])
    response = upload(client, "资金.csv", content)
    assert "社会资本" in preview_of(client, response)
    client.post(response.url)
    assert FundEntry.objects.get().source.name == "社会资本"


# --- what the file says, shown and exported -----------------------------------------------------------------


def test_html_in_an_imported_note_is_escaped_on_the_district_page(zh, heping_staff):
    client = zh(heping_staff)
    response = upload(client, "资金.csv", csv_bytes([good(note=SCRIPT)]))
    preview_of(client, response)
    client.post(response.url)
    page = client.get("/funds/district/120101/?year=2021").content.decode()
    assert SCRIPT not in page and ESCAPED in page


def test_a_formula_imported_as_a_note_is_plain_text_in_the_export(zh, heping_staff):
    client = zh(heping_staff)
    formula = '=HYPERLINK("http://evil.example/","点击")'
    response = upload(client, "资金.csv", csv_bytes([good(note=formula)]))
    preview_of(client, response)
    client.post(response.url)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/funds/export.xlsx?year=2021").content))
    (row,) = list(book["明细"].iter_rows(min_row=2))
    assert row[-1].value == "'" + formula and row[-1].data_type == "s"


def test_a_forged_upload_token_is_not_found(zh, heping_staff):
    response = zh(heping_staff).post(reverse("funds_import_preview", args=[uuid.uuid4()]))
    assert response.status_code == 404
    assert "该页面不存在，或不在您的查看范围内。" in response.content.decode()


def test_another_users_upload_cannot_be_confirmed(zh, heping_staff, client, make_user):
    owner = zh(heping_staff)
    response = upload(owner, "资金.csv", csv_bytes([good()]))
    token_url = response.url
    other = make_user("district-120101-b", "district_staff", district="120101")
    client.force_login(other)
    assert client.post(token_url).status_code == 404
    assert not FundEntry.objects.exists()
