"""Hostile roster releases (issue 15 item 2): every refusal is a Chinese message naming the line and column, and a
refused release writes nothing — no unit, no history, no release kept, no audit entry. One refusal per test."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from districts.models import Community, District, DivisionChange, RosterChange, RosterRelease, Street
from districts.releases.services import release_load

from ..conftest import TIANJIN_CSV
from .conftest import audit_writes, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.hostile]


def heping() -> list[list[str]]:
    with TIANJIN_CSV.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return [rows[0]] + [row for row in rows[1:] if row[1].startswith("120101")]


LAST = len(heping()) + 1  # the line of a row appended to the Heping file


def as_csv(rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def with_row(row: list[str]) -> bytes:
    return as_csv([*heping(), row])


def written() -> tuple:
    return (
        audit_writes(),
        RosterRelease.objects.count(),
        DivisionChange.objects.count(),
        RosterChange.objects.count(),
        District.objects.count(),
        Street.objects.count(),
        list(Community.objects.order_by("code").values_list("code", "name", "street_id", "kind", "closed_on")),
        default_storage.listdir("roster-releases")[1] if default_storage.exists("roster-releases") else [],
    )


@pytest.fixture
def refused(zh, commission_admin):
    """Upload as the commission; assert a 400 with the message and nothing written. Returns the page's text."""

    def upload(content: bytes, message: str, *, name="release.csv", effective="2021-06-01", scope="") -> str:
        before = written()
        response = zh(commission_admin).post(
            reverse("roster_releases"),
            {"file": SimpleUploadedFile(name, content), "effective_on": effective, "scope": scope},
        )
        text = text_of(response)
        assert response.status_code == 400
        assert "未写入任何数据" in text
        assert message in text
        assert written() == before
        return text

    return upload


def test_an_encoding_that_cannot_be_read(refused):
    content = as_csv(heping()) + b"community,120101001901,\xff\xfe\xfd,120101001,\xff\n"
    refused(content, f"第{LAST}行：文字编码无法识别，请另存为UTF-8或GBK编码的CSV。")


def test_a_missing_column(refused):
    refused(as_csv([row[:4] for row in heping()]), "第1行：缺少列：kind。")


def test_an_extra_column(refused):
    refused(as_csv([[*row, "备注"] for row in heping()]), "第1行：多余的列：备注。")


def test_a_code_repeated_in_the_file(refused):
    refused(
        with_row(["community", "120101001001", "重复社区居委会", "120101001", "居委会"]),
        f"第{LAST}行“code”列：代码120101001001与第",
    )


def test_a_code_of_the_wrong_length(refused):
    refused(
        with_row(["community", "12010100190", "短码社区居委会", "120101001", "居委会"]),
        f"第{LAST}行“code”列：代码“12010100190”有误：社区代码应为12位数字。",
    )


def test_a_code_with_letters(refused):
    refused(
        with_row(["community", "12010100190A", "字母社区居委会", "120101001", "居委会"]),
        f"第{LAST}行“code”列：代码“12010100190A”有误：社区代码应为12位数字。",
    )


def test_a_code_with_full_width_digits(refused):
    refused(
        with_row(["community", "１２０１０１００１９０１", "全角社区居委会", "120101001", "居委会"]),
        f"第{LAST}行“code”列：代码“１２０１０１００１９０１”有误",
    )


def test_an_unknown_level(refused):
    refused(
        with_row(["village", "120101001901", "某村", "120101001", "村委会"]),
        f"第{LAST}行“level”列：层级“village”无法识别",
    )


def test_an_unknown_kind(refused):
    refused(
        with_row(["community", "120101001901", "某村", "120101001", "村委会"]),
        f"第{LAST}行“kind”列：社区类型“村委会”无法识别",
    )


def test_a_parent_in_neither_the_file_nor_the_roster(refused):
    refused(
        with_row(["community", "120101999001", "无主社区居委会", "120101999", "居委会"]),
        f"第{LAST}行“parent_code”列：上级120101999既不在文件中，也不在名册中。",
    )


def test_a_parent_the_release_would_close(refused):
    rows = [row for row in heping() if row[1] != "120101002"]  # 小白楼街道 left out, its communities kept
    line = next(n for n, row in enumerate(rows, start=1) if row[3] == "120101002")
    refused(as_csv(rows), f"第{line}行“parent_code”列：上级120101002不在文件中，应用后它将被撤销。")


def test_an_empty_name(refused):
    refused(with_row(["community", "120101001901", "", "120101001", "居委会"]), f"第{LAST}行“name”列：名称为空。")


def test_a_name_longer_than_the_field(refused):
    refused(
        with_row(["community", "120101001901", "长" * 65, "120101001", "居委会"]),
        f"第{LAST}行“name”列：名称有65个字，最多64个字。",
    )


def test_a_code_that_contradicts_its_parent(refused):
    refused(
        with_row(["community", "120103001901", "跨区社区居委会", "120101001", "居委会"]),
        "代码120103001901的前缀与上级120101001所在的区不一致。",
    )


def test_a_district_code_that_contradicts_its_parent(refused):
    rows = heping()
    rows[1] = ["district", "120101", "和平区", "13", "区"]
    refused(as_csv(rows), "第2行“parent_code”列：代码120101与上级代码13的前缀不一致。")


def test_a_unit_outside_the_scope(refused):
    refused(
        with_row(["community", "120103001901", "河西社区居委会", "120103001", "居委会"]),
        f"第{LAST}行“code”列：120103001901属于区120103，不在本次区划发布的范围内。",
        scope="120101",
    )


def test_a_scope_that_is_not_district_codes(refused):
    refused(as_csv(heping()), "范围应列出6位区代码，以下不是：12010。", scope="12010")


def test_a_row_with_more_cells_than_columns(refused):
    refused(
        with_row(["community", "120101001901", "多列社区居委会", "120101001", "居委会", "多余"]),
        f"第{LAST}行：该行的单元格多于表头的列数。",
    )


def test_a_picture_named_csv(refused):
    refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "文件既不是CSV文本文件，也不是Excel工作簿（.xlsx）。")


def test_a_csv_named_xlsx(refused):
    refused(as_csv(heping()), "文件扩展名为 .xlsx，但并非 Excel 工作簿。", name="release.xlsx")


def test_an_empty_file(refused):
    refused(b"", "文件为空。")


def test_an_effective_date_that_is_not_a_date(refused):
    refused(as_csv(heping()), "请按“年-月-日”填写生效日期，例如2022-01-01。", effective="2021-13-01")


def test_a_release_dated_before_one_already_applied(refused, commission_admin):
    rows = heping()
    rows = [row if row[1] != "120101001001" else [*row[:2], "花园新社区居委会", *row[3:]] for row in rows]
    release_load(content=as_csv(rows), filename="2022.csv", effective_on=datetime.date(2022, 1, 1), by=commission_admin)
    refused(as_csv(heping()), "这些区已应用了2022年1月1日生效的区划发布，请按生效日期先后应用。")


def test_the_command_refuses_a_repeated_code_without_a_traceback(tmp_path):
    path = tmp_path / "release.csv"
    path.write_bytes(with_row(["street", "120101001", "重复街道", "120101", "街道"]))
    before = written()
    with pytest.raises(CommandError) as raised:
        call_command("load_divisions", str(path), "--effective", "2021-06-01")
    assert "nothing was loaded" in str(raised.value)
    assert f"第{LAST}行“code”列：代码120101001与第" in str(raised.value)
    assert written() == before


def test_the_command_refuses_an_over_long_name_without_a_traceback(tmp_path):
    path = tmp_path / "release.csv"
    path.write_bytes(
        with_row(["community", "120101001901", "长" * 65, "120101001", "居委会"]),
    )
    before = written()
    with pytest.raises(CommandError) as raised:
        call_command("load_divisions", str(path))
    assert f"第{LAST}行“name”列：名称有65个字，最多64个字。" in str(raised.value)
    assert written() == before
