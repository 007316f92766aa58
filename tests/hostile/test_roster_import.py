"""Hostile roster imports (调查摸底): every refusal is a Chinese message on the upload page, and a refused or
erroneous file writes nothing — no community changes, no audit entry, no stored upload."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from districts.models import AuditEntry, Community, District, Street

from .conftest import ESCAPED, SCRIPT, audit_writes, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.hostile]

HEADERS = ["社区代码", "社区名称", "所属街道代码", "类型", "户数", "地址"]
HUAYUANLU = ["120101001001", "花园路社区居委会", "120101001", "居委会"]
BINXI = ["120101001002", "滨西社区居委会", "120101001", "居委会"]


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


def upload(client, name: str, content: bytes):
    return client.post(reverse("roster_import"), {"file": SimpleUploadedFile(name, content)})


def stored_uploads() -> list[str]:
    return default_storage.listdir("imports")[1] if default_storage.exists("imports") else []


def roster_state() -> tuple:
    return (
        audit_writes(),
        Community.objects.count(),
        list(Community.objects.filter(street__code="120101001").order_by("code").values_list("households", "address")),
    )


def assert_refused(response, message: str, before: tuple) -> None:
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="errorlist"' in page and f"<li>{message}</li>" in page
    assert roster_state() == before
    assert stored_uploads() == []


def preview_of(client, response):
    assert response.status_code == 302, text_of(response)[:1500]
    return client.get(response.url)


# --- the file itself ------------------------------------------------------------------------------------------


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(zh, heping_staff):
    before = roster_state()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr("xl/workbook.xml", "<workbook/>")
        bomb.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    response = upload(zh(heping_staff), "名册.xlsx", out.getvalue())
    assert_refused(response, "该工作簿解压后的数据量超出允许范围，请删除无用的工作表或格式，或改用 CSV 格式。", before)


def test_a_macro_workbook_named_xlsm_is_refused(zh, heping_staff):
    before = roster_state()
    response = upload(zh(heping_staff), "名册.xlsm", xlsx_bytes([[*HUAYUANLU, 100, ""]]))
    assert_refused(response, "不接受含宏的工作簿，请将文件另存为 .xlsx 或 .csv 格式。", before)


def test_an_xlsx_carrying_a_vba_project_is_refused_as_a_macro_workbook(zh, heping_staff):
    before = roster_state()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes([[*HUAYUANLU, 100, ""]]))) as source, zipfile.ZipFile(out, "w") as book:
        for member in source.infolist():
            book.writestr(member, source.read(member))
        book.writestr("xl/vbaProject.bin", b'Attribute VB_Name = "Module1"\nShell "cmd /c calc"')
    response = upload(zh(heping_staff), "名册.xlsx", out.getvalue())
    assert_refused(response, "不接受含宏的工作簿，请将文件另存为 .xlsx 或 .csv 格式。", before)


def test_an_xlsx_whose_sheet_is_empty_says_the_sheet_has_no_table(zh, heping_staff):
    before = roster_state()
    book = openpyxl.Workbook()
    out = io.BytesIO()
    book.save(out)
    response = upload(zh(heping_staff), "名册.xlsx", out.getvalue())
    assert_refused(response, "工作簿的第一个工作表中没有表格数据。", before)


def test_a_png_named_csv_is_refused_as_not_a_csv_text(zh, heping_staff):
    before = roster_state()
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    response = upload(zh(heping_staff), "名册.csv", png)
    assert_refused(response, "该文件不是 CSV 文本文件。", before)


def test_a_csv_with_a_million_columns_is_refused_without_reading_them(zh, heping_staff):
    before = roster_state()
    header = ",".join(["社区代码", "社区名称", "户数"] + [f"c{i}" for i in range(1_000_000)])
    content = (header + "\r\n" + ",".join(["120101001001", "花园路社区居委会", "1"]) + "\r\n").encode()
    assert len(content) < 10 * 1024 * 1024
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.ROSTER_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
        patch.setattr("django.conf.settings.REQUEST_MAX_BYTES", 20 * 1024 * 1024)
        response = upload(zh(heping_staff), "名册.csv", content)
    assert_refused(response, "文件超过200列。", before)


def test_a_csv_of_one_ten_megabyte_line_is_refused_as_too_large(zh, heping_staff):
    before = roster_state()
    content = ("社区代码,社区名称,地址\r\n120101001001,花园路社区居委会," + "长" * (10 * 1024 * 1024 // 3)).encode()
    response = upload(zh(heping_staff), "名册.csv", content)
    assert_refused(response, "文件大小超过5 MB。", before)


def test_a_csv_cell_longer_than_the_csv_reader_allows_gets_a_chinese_message(zh, heping_staff):
    before = roster_state()
    content = ("社区代码,社区名称,地址\r\n120101001001,花园路社区居委会," + "x" * 200_000 + "\r\n").encode()
    response = upload(zh(heping_staff), "名册.csv", content)
    assert_refused(response, "无法读取该 CSV 文件：有单元格过长或引号不成对。请重新另存为 CSV 文件。", before)


# --- columns and rows -------------------------------------------------------------------------------------------


def test_a_file_without_the_code_and_name_columns_is_refused(zh, heping_staff):
    before = roster_state()
    response = upload(zh(heping_staff), "名册.csv", csv_bytes([["花园路", "100"]], headers=["名称", "户数"]))
    assert_refused(response, "文件缺少必填列：社区代码、社区名称。请以模板第一行作为表头。", before)


def test_a_file_with_a_column_twice_is_refused(zh, heping_staff):
    before = roster_state()
    headers = ["社区代码", "社区名称", "户数", "户数"]
    response = upload(zh(heping_staff), "名册.csv", csv_bytes([[*HUAYUANLU[:2], "1", "2"]], headers=headers))
    assert_refused(response, "以下列重复出现：户数。", before)


def test_a_duplicated_community_code_is_an_error_and_nothing_is_imported(zh, heping_staff):
    client = zh(heping_staff)
    before = roster_state()
    response = upload(client, "名册.csv", csv_bytes([[*HUAYUANLU, "100", ""], [*HUAYUANLU, "200", ""]]))
    page = preview_of(client, response).content.decode()
    assert "该代码已在第2行出现。" in page
    assert client.post(response.url).status_code == 200  # confirming anyway is refused on the same page
    assert roster_state() == before


def test_an_unknown_street_code_is_refused_as_not_the_rosters(zh, heping_staff):
    client = zh(heping_staff)
    before = roster_state()
    row = ["120101001001", "花园路社区居委会", "999999999", "居委会", "100", ""]
    page = preview_of(client, upload(client, "名册.csv", csv_bytes([row]))).content.decode()
    assert "与社区名册不一致，名册中为“120101001”。" in page
    assert roster_state() == before


def test_an_unknown_community_code_cannot_add_a_community(zh, heping_staff):
    client = zh(heping_staff)
    before = roster_state()
    row = ["120101001999", "新社区", "120101001", "居委会", "100", ""]
    page = preview_of(client, upload(client, "名册.csv", csv_bytes([row]))).content.decode()
    assert "该代码不在社区名册中。新增社区须通过名册变更办理，不能通过导入添加。" in page
    assert roster_state() == before


def test_a_community_of_another_district_in_the_file_is_refused(zh, heping_staff):
    client = zh(heping_staff)
    before = roster_state()
    row = ["120103001001", "九江路社区居委会", "120103001", "居委会", "100", ""]
    page = preview_of(client, upload(client, "名册.csv", csv_bytes([row]))).content.decode()
    assert "该社区不属于您所在的区。" in page
    assert roster_state() == before


def test_a_negative_household_count_is_a_cell_error(zh, heping_staff):
    client = zh(heping_staff)
    before = roster_state()
    page = preview_of(client, upload(client, "名册.csv", csv_bytes([[*HUAYUANLU, "-5", ""]]))).content.decode()
    assert "请填写0至2147483647之间的整数。" in page
    assert roster_state() == before


def test_an_address_longer_than_the_column_is_a_cell_error_not_a_database_error(zh, heping_staff):
    client = zh(heping_staff)
    before = roster_state()
    row = [*HUAYUANLU, "100", "路" * 201]
    page = preview_of(client, upload(client, "名册.csv", csv_bytes([row]))).content.decode()
    assert "最多可填写200个字符（本单元格为201个字符）。" in page
    assert roster_state() == before


# --- encodings ----------------------------------------------------------------------------------------------


def test_a_gbk_csv_from_a_chinese_excel_is_read_and_imported(zh, heping_staff):
    client = zh(heping_staff)
    imports = AuditEntry.objects.filter(action="import").count()
    response = upload(client, "名册.csv", csv_bytes([[*HUAYUANLU, "1234", "和平区花园路1号"]], encoding="gbk"))
    assert "花园路社区居委会" in preview_of(client, response).content.decode()
    client.post(response.url)
    assert Community.objects.filter(code="120101001001", households=1234, address="和平区花园路1号").exists()
    assert AuditEntry.objects.filter(action="import").count() == imports + 1


def test_a_utf8_csv_with_a_byte_order_mark_is_read_and_imported(zh, heping_staff):
    client = zh(heping_staff)
    content = "\ufeff".encode() + csv_bytes([[*BINXI, "567", "滨西路2号"]])
    response = upload(client, "名册.csv", content)
    assert "滨西社区居委会" in preview_of(client, response).content.decode()
    client.post(response.url)
    assert Community.objects.filter(code="120101001002", households=567, address="滨西路2号").exists()


# --- what the file says, shown and exported -----------------------------------------------------------------


def test_html_in_an_imported_address_is_escaped_in_the_preview_and_on_the_community_page(zh, heping_staff):
    client = zh(heping_staff)
    response = upload(client, "名册.csv", csv_bytes([[*HUAYUANLU, "100", SCRIPT]]))
    preview = preview_of(client, response).content.decode()
    assert SCRIPT not in preview and ESCAPED in preview
    client.post(response.url)
    page = client.get(reverse("community_detail", args=["120101001001"])).content.decode()
    assert SCRIPT not in page and ESCAPED in page


def test_html_in_an_imported_community_name_is_refused_and_not_echoed(zh, heping_staff):
    client = zh(heping_staff)
    before = roster_state()
    row = ["120101001001", SCRIPT, "120101001", "居委会", "100", ""]
    page = preview_of(client, upload(client, "名册.csv", csv_bytes([row]))).content.decode()
    assert "与社区名册不一致，名册中为“花园路社区居委会”。" in page
    assert SCRIPT not in page
    assert roster_state() == before


FORMULAS = ['=HYPERLINK("http://evil.example/","点击")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(1+1)"]


def _import_formulas(client) -> None:
    rows = [
        [*community, "1", formula]
        for community, formula in zip(
            Community.objects.filter(street__code="120101001")
            .order_by("code")
            .values_list("code", "name", "street__code", "kind")[:4],
            FORMULAS,
            strict=True,
        )
    ]
    response = upload(client, "名册.csv", csv_bytes(rows))
    assert response.status_code == 302
    client.post(response.url)
    assert set(Community.objects.filter(address__in=FORMULAS).values_list("address", flat=True)) == set(FORMULAS)


def test_formulas_imported_as_addresses_are_plain_text_in_the_excel_export(zh, heping_staff):
    client = zh(heping_staff)
    _import_formulas(client)
    response = client.get(reverse("roster_export") + "?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    column = [cell.value for cell in sheet[1]].index("地址")
    cells = [row[column] for row in sheet.iter_rows(min_row=2) if row[column].value]
    assert {cell.value: cell.data_type for cell in cells} == {"'" + formula: "s" for formula in FORMULAS}


def test_formulas_imported_as_addresses_are_plain_text_in_the_csv_export(zh, heping_staff):
    client = zh(heping_staff)
    _import_formulas(client)
    response = client.get(reverse("roster_export") + "?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    addresses = {row[-1] for row in rows[1:] if row[-1]}
    assert addresses == {"'" + formula for formula in FORMULAS}


# --- the NBS division list ----------------------------------------------------------------------------------


def test_a_division_list_with_an_unknown_parent_code_loads_nothing(tmp_path):
    path = tmp_path / "divisions.csv"
    path.write_text(
        "level,code,name,parent_code,kind\n"
        "community,120101001901,新建社区,120101001,居委会\n"
        "community,120101999001,无主社区,120101999,居委会\n",
        encoding="utf-8",
    )
    before = (Community.objects.count(), Street.objects.count(), District.objects.count(), audit_writes())
    with pytest.raises(CommandError) as refused:
        call_command("load_divisions", str(path))
    assert "第3行“parent_code”列：上级120101999既不在文件中，也不在名册中。" in str(refused.value)
    assert (
        Community.objects.count(),
        Street.objects.count(),
        District.objects.count(),
        audit_writes(),
    ) == before


def test_a_forged_upload_token_is_not_found(zh, heping_staff):
    response = zh(heping_staff).post(reverse("roster_import_preview", args=[uuid.uuid4()]))
    assert response.status_code == 404
    assert "该页面不存在，或不在您的查看范围内。" in response.content.decode()
