"""Issue 17 item 3: a standard imported from Excel — checked whole, previewed, written all or nothing, every
problem in Chinese with its row and column."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from standards.models import StandardVersion

pytestmark = pytest.mark.django_db
HEADER = ["类别序号", "类别名称", "条目序号", "标准内容", "责任部门", "可不适用"]
GOOD = [
    [1, "建立健全社区人居环境建设和整治机制", 1, "社区议事协商常态化开展", "市民政局", "否"],
    [1, "建立健全社区人居环境建设和整治机制", 2, "设计师进社区辅导居民", "", ""],
    [2, "推进社区基础设施绿色化", 3, "公共设施节能改造", "市住房城乡建设委、市城市管理委", "是"],
]


def _xlsx(rows: list[list[object]], header: list[str] = HEADER) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("标准.xlsx", buffer.getvalue())


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _preview(client, upload, name: str = "天津市绿色社区创建标准（2026年版）"):
    return client.post(reverse("standard_import"), {"name": name, "file": upload})


def test_a_standard_is_previewed_then_imported_on_confirmation(client_for, commission_admin):
    client = client_for(commission_admin)
    before = StandardVersion.objects.count()
    response = _preview(client, _xlsx(GOOD))
    page = _text(response)
    assert response.status_code == 200 and "公共设施节能改造" in page and 'id="import-confirm"' in page
    assert StandardVersion.objects.count() == before  # nothing written by the preview
    payload = re.search(r'name="payload" value="([^"]+)"', response.content.decode()).group(1)
    response = client.post(reverse("standard_import"), {"payload": payload})
    assert response.status_code == 302 and response["Location"] == reverse("campaign_new")
    version = StandardVersion.objects.get(name="天津市绿色社区创建标准（2026年版）")
    assert list(version.items.values_list("number", "allows_not_applicable")) == [(1, False), (2, False), (3, True)]
    assert set(version.categories.get(number=2).departments.values_list("name", flat=True)) == {
        "市住房城乡建设委",
        "市城市管理委",
    }


@pytest.mark.hostile
def test_an_unknown_department_is_named_with_its_row_and_column(client_for, commission_admin):
    rows = [*GOOD[:2], [2, "推进社区基础设施绿色化", 3, "公共设施节能改造", "市月球局", "是"]]
    response = _preview(client_for(commission_admin), _xlsx(rows))
    assert response.status_code == 400
    assert "第4行第E列（责任部门）：没有名为市月球局的部门。" in _text(response)
    assert 'id="import-confirm"' not in _text(response)


@pytest.mark.hostile
def test_a_repeated_item_number_and_a_bad_number_are_both_reported(client_for, commission_admin):
    rows = [GOOD[0], [1, "建立健全社区人居环境建设和整治机制", 1, "重复", "", ""], [2, "推进", "三", "x", "", ""]]
    page = _text(_preview(client_for(commission_admin), _xlsx(rows)))
    assert "第3行第C列（条目序号）：第1项已在第2行。" in page
    assert "第4行第C列（条目序号）：请填写1至99的整数。" in page


@pytest.mark.hostile
def test_a_file_without_the_columns_writes_nothing(client_for, commission_admin):
    before = StandardVersion.objects.count()
    response = _preview(client_for(commission_admin), _xlsx(GOOD, header=["序号", "内容"]))
    assert response.status_code == 400 and "缺少：类别序号" in _text(response)
    assert StandardVersion.objects.count() == before


@pytest.mark.hostile
def test_a_changed_preview_is_refused(client_for, commission_admin):
    client = client_for(commission_admin)
    response = _preview(client, _xlsx(GOOD))
    payload = re.search(r'name="payload" value="([^"]+)"', response.content.decode()).group(1)
    response = client.post(reverse("standard_import"), {"payload": payload.replace("a", "b", 1) + "x"})
    assert response.status_code == 400 and "预览已过期或被改动" in _text(response)


@pytest.mark.hostile
def test_a_renamed_picture_is_refused_in_chinese(client_for, commission_admin):
    upload = SimpleUploadedFile("标准.xlsx", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    response = _preview(client_for(commission_admin), upload)
    assert response.status_code == 400 and "并非 Excel 工作簿" in _text(response)
