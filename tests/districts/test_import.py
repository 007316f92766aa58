"""Roster survey import: the template, the upload checks, the preview and the all-or-nothing confirm."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Iterable
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from districts import imports
from districts.models import AuditEntry, Community, Role

HEADERS = [
    "社区代码",
    "社区名称",
    "所属街道代码",
    "类型",
    "建成年份",
    "建成年代",
    "户数",
    "楼栋数",
    "是否老旧小区",
    "改造状态",
    "物业管理覆盖率(%)",
    "地址",
]
# Two communities of 和平区 (120101) and one of 河西区 (120103), from the real roster.
HUAYUANLU = ("120101001001", "花园路社区居委会", "120101001", "居委会")
BINXI = ("120101001002", "滨西社区居委会", "120101001", "居委会")
JIUJIANGLU = ("120103001001", "九江路社区居委会", "120103001", "居委会")


def row(identity: tuple[str, str, str, str], **survey: Any) -> list[Any]:
    """A full template row: the identity columns and the survey columns by header."""
    return [*identity, *(survey.get(h) for h in HEADERS[4:])]


def survey(**by_field: Any) -> dict[str, Any]:
    """Survey values keyed by the Chinese header, from readable keyword names."""
    names = {
        "year": "建成年份",
        "era": "建成年代",
        "households": "户数",
        "buildings": "楼栋数",
        "old": "是否老旧小区",
        "renovation": "改造状态",
        "share": "物业管理覆盖率(%)",
        "address": "地址",
    }
    return {names[k]: v for k, v in by_field.items()}


def xlsx_bytes(rows: Iterable[list[Any]], headers: list[Any] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS if headers is None else headers)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: Iterable[list[Any]], *, encoding: str = "utf-8", headers: list[Any] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS if headers is None else headers)
    for r in rows:
        writer.writerow(["" if v is None else v for v in r])
    return out.getvalue().encode(encoding)


def upload(client: Client, name: str, content: bytes):
    return client.post(reverse("roster_import"), {"file": SimpleUploadedFile(name, content)})


def token_of(response) -> uuid.UUID:
    assert response.status_code == 302, response.content.decode()[:2000]
    return uuid.UUID(response.url.rstrip("/").rsplit("/", 1)[-1])


def stored_files() -> list[str]:
    if not default_storage.exists("imports"):
        return []
    return default_storage.listdir("imports")[1]


def survey_of(code: str) -> dict[str, Any]:
    c = Community.objects.get(code=code)
    return {
        "build_year": c.build_year,
        "build_era": c.build_era,
        "households": c.households,
        "buildings": c.buildings,
        "is_old_estate": c.is_old_estate,
        "renovation": c.renovation,
        "property_management_share": c.property_management_share,
        "address": c.address,
    }


# --- template -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_template_has_the_chinese_headers_in_any_language(client_for, heping_staff, language):
    client = client_for(heping_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("roster_import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.max_row == 1


def test_upload_page_links_the_template_and_lists_the_columns(as_user, heping_staff):
    page = as_user(heping_staff).get(reverse("roster_import")).content.decode()
    assert reverse("roster_import_template") in page
    assert 'enctype="multipart/form-data"' in page
    for header in HEADERS:
        assert header in page
    assert "未计划、已计划、改造中、已完成" in page


# --- a good file ----------------------------------------------------------------------------------------


def test_valid_xlsx_previews_then_updates_survey_and_writes_audit(as_user, heping_staff):
    client = as_user(heping_staff)
    content = xlsx_bytes(
        [
            row(
                HUAYUANLU,
                **survey(
                    year=1994,
                    era="1990年代",
                    households=3619,
                    buildings=32,
                    old="是",
                    renovation="改造中",
                    share=85,
                    address="和平区花园路1号",
                ),
            ),
            row(BINXI),  # nothing filled in: no change, no audit entry
        ]
    )
    token = token_of(upload(client, "和平区.xlsx", content))
    assert stored_files() == [f"{token}.xlsx"]
    assert survey_of(HUAYUANLU[0])["households"] is None  # the upload alone writes nothing

    preview = client.get(reverse("roster_import_preview", args=[token]))
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "花园路社区居委会" in page and "户数" in page and "3619" in page
    assert "— → 改造中" in page and "— → 是" in page
    assert "滨西社区居委会" not in page  # unchanged rows are counted, not listed
    assert f'action="{reverse("roster_import_preview", args=[token])}"' in page  # the confirm button is offered

    confirmed = client.post(reverse("roster_import_preview", args=[token]))
    assert confirmed.status_code == 302 and confirmed.url == reverse("roster_import")
    assert survey_of(HUAYUANLU[0]) == {
        "build_year": 1994,
        "build_era": "1990年代",
        "households": 3619,
        "buildings": 32,
        "is_old_estate": True,
        "renovation": "in_progress",
        "property_management_share": 85,
        "address": "和平区花园路1号",
    }
    entries = list(AuditEntry.objects.filter(action="import", source="import"))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.source == "import" and entry.actor == heping_staff
    assert entry.object_id == str(Community.objects.get(code=HUAYUANLU[0]).pk)
    assert entry.district.code == "120101"
    assert entry.changes["households"] == [None, 3619]
    assert entry.changes["renovation"] == ["", "in_progress"]
    assert entry.changes["is_old_estate"] == [None, True]
    assert entry.note == "和平区.xlsx"
    assert stored_files() == []  # deleted after confirming
    # The token is spent.
    assert client.get(reverse("roster_import_preview", args=[token])).status_code == 404


def test_reimporting_the_same_file_changes_nothing(as_user, heping_staff):
    client = as_user(heping_staff)
    content = xlsx_bytes([row(HUAYUANLU, **survey(households=100))])
    client.post(reverse("roster_import_preview", args=[token_of(upload(client, "a.xlsx", content))]))
    assert AuditEntry.objects.filter(action="import", source="import").count() == 1

    token = token_of(upload(client, "a.xlsx", content))
    page = client.get(reverse("roster_import_preview", args=[token])).content.decode()
    assert "No community would change." in page
    assert f'action="{reverse("roster_import_preview", args=[token])}"' not in page
    client.post(reverse("roster_import_preview", args=[token]))
    assert AuditEntry.objects.filter(action="import", source="import").count() == 1


def test_columns_left_out_are_not_changed_and_empty_cells_clear(as_user, heping_staff):
    Community.objects.filter(code=HUAYUANLU[0]).update(households=10, buildings=3, address="旧地址")
    client = as_user(heping_staff)
    content = xlsx_bytes([[HUAYUANLU[0], HUAYUANLU[1], 20, None]], headers=["社区代码", "社区名称", "户数", "地址"])
    client.post(reverse("roster_import_preview", args=[token_of(upload(client, "a.xlsx", content))]))
    after = survey_of(HUAYUANLU[0])
    assert after["households"] == 20 and after["address"] == "" and after["buildings"] == 3


def test_commission_admin_imports_any_district(as_user, commission_admin):
    client = as_user(commission_admin)
    content = xlsx_bytes([row(HUAYUANLU, **survey(households=1)), row(JIUJIANGLU, **survey(households=2))])
    client.post(reverse("roster_import_preview", args=[token_of(upload(client, "a.xlsx", content))]))
    assert survey_of(HUAYUANLU[0])["households"] == 1
    assert survey_of(JIUJIANGLU[0])["households"] == 2
    assert set(
        AuditEntry.objects.filter(action="import", source="import").values_list("district__code", flat=True)
    ) == {
        "120101",
        "120103",
    }


# --- encodings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_in_each_encoding_imports_the_chinese_text(as_user, heping_staff, encoding):
    client = as_user(heping_staff)
    content = csv_bytes(
        [row(HUAYUANLU, **survey(era="九十年代", old="否", renovation="已完成", address="天津市和平区花园路"))],
        encoding=encoding,
    )
    if encoding == "utf-8-sig":
        assert content.startswith(b"\xef\xbb\xbf")
    token = token_of(upload(client, "roster.csv", content))
    assert "花园路社区居委会" in client.get(reverse("roster_import_preview", args=[token])).content.decode()
    client.post(reverse("roster_import_preview", args=[token]))
    after = survey_of(HUAYUANLU[0])
    assert after["build_era"] == "九十年代"
    assert after["address"] == "天津市和平区花园路"
    assert after["is_old_estate"] is False
    assert after["renovation"] == "done"


# --- errors in rows -------------------------------------------------------------------------------------


def test_one_bad_row_writes_nothing_and_the_preview_names_row_and_column(as_user, heping_staff):
    client = as_user(heping_staff)
    content = xlsx_bytes(
        [
            row(HUAYUANLU, **survey(households=100)),
            row(BINXI, **survey(households="abc")),  # spreadsheet row 3
        ]
    )
    token = token_of(upload(client, "a.xlsx", content))
    response = client.get(reverse("roster_import_preview", args=[token]))
    preview = response.context["preview"]
    assert [(e.row, e.column, e.message) for e in preview.errors] == [(3, "户数", "Enter a whole number.")]
    page = response.content.decode()
    assert '<td class="num" data-label="Row">3</td>' in page
    assert '<td data-label="Column" lang="zh-Hans">户数</td>' in page
    assert "Enter a whole number." in page
    assert f'action="{reverse("roster_import_preview", args=[token])}"' not in page  # no confirm button

    # Confirming anyway (a forged POST) writes nothing, not even the good row.
    forced = client.post(reverse("roster_import_preview", args=[token]))
    assert forced.status_code == 200
    assert "Enter a whole number." in forced.content.decode()
    assert survey_of(HUAYUANLU[0])["households"] is None
    assert not AuditEntry.objects.filter(action="import", source="import").exists()


def test_wrong_types_give_one_error_per_cell(as_user, heping_staff):
    client = as_user(heping_staff)
    content = xlsx_bytes(
        [
            row(HUAYUANLU, **survey(households="abc", share=150)),
            row(BINXI, **survey(year=1800, old="maybe", renovation="快完了", buildings=2.5)),
        ]
    )
    token = token_of(upload(client, "a.xlsx", content))
    errors = client.get(reverse("roster_import_preview", args=[token])).context["preview"].errors
    assert [(e.row, e.column) for e in errors] == [
        (2, "户数"),
        (2, "物业管理覆盖率(%)"),
        (3, "建成年份"),
        (3, "楼栋数"),
        (3, "是否老旧小区"),
        (3, "改造状态"),
    ]
    messages = {e.column: e.message for e in errors}
    assert messages["物业管理覆盖率(%)"] == "Enter a whole number from 0 to 100."
    assert messages["建成年份"] == "Enter a whole number from 1900 to 2100."
    assert "是、否" in messages["是否老旧小区"]
    assert "未计划" in messages["改造状态"]


def test_row_numbers_count_blank_rows_as_the_spreadsheet_shows_them(as_user, heping_staff):
    client = as_user(heping_staff)
    content = xlsx_bytes([row(HUAYUANLU), [None] * 12, [None] * 12, row(BINXI, **survey(share="x"))])
    token = token_of(upload(client, "a.xlsx", content))
    errors = client.get(reverse("roster_import_preview", args=[token])).context["preview"].errors
    assert [(e.row, e.column) for e in errors] == [(5, "物业管理覆盖率(%)")]


def test_duplicate_code_is_an_error_on_its_second_row(as_user, heping_staff):
    client = as_user(heping_staff)
    content = csv_bytes([row(HUAYUANLU, **survey(households=1)), row(BINXI), row(HUAYUANLU, **survey(households=2))])
    token = token_of(upload(client, "a.csv", content))
    errors = client.get(reverse("roster_import_preview", args=[token])).context["preview"].errors
    assert [(e.row, e.column, e.message) for e in errors] == [(4, "社区代码", "This code already appears in row 2.")]


def test_name_street_or_kind_that_differ_from_the_roster_are_errors(as_user, heping_staff):
    client = as_user(heping_staff)
    content = csv_bytes(
        [
            row(("120101001001", "花园路社区", "120101001", "居委会"), **survey(households=1)),
            row(("120101001002", "滨西社区居委会", "120101002", "类似居委会")),
        ]
    )
    token = token_of(upload(client, "a.csv", content))
    errors = client.get(reverse("roster_import_preview", args=[token])).context["preview"].errors
    assert [(e.row, e.column) for e in errors] == [(2, "社区名称"), (3, "所属街道代码"), (3, "类型")]
    assert errors[0].message == "Does not match the roster, which has “花园路社区居委会”."
    client.post(reverse("roster_import_preview", args=[token]))
    assert survey_of(HUAYUANLU[0])["households"] is None


def test_code_not_on_the_roster_is_an_error(as_user, commission_admin):
    client = as_user(commission_admin)
    content = csv_bytes([row(("120101001999", "新社区居委会", "120101001", "居委会"), **survey(households=1))])
    token = token_of(upload(client, "a.csv", content))
    errors = client.get(reverse("roster_import_preview", args=[token])).context["preview"].errors
    assert [(e.row, e.column) for e in errors] == [(2, "社区代码")]
    assert "not on the roster" in errors[0].message
    client.post(reverse("roster_import_preview", args=[token]))
    assert not Community.objects.filter(code="120101001999").exists()


def test_district_staff_cannot_import_another_district_and_its_name_is_not_shown(as_user, heping_staff):
    client = as_user(heping_staff)
    # A wrong name too: the answer must not reveal whether it matches.
    content = xlsx_bytes([row(HUAYUANLU, **survey(households=5)), row(JIUJIANGLU[:1] + ("某社区", "", ""))])
    token = token_of(upload(client, "a.xlsx", content))
    response = client.get(reverse("roster_import_preview", args=[token]))
    errors = response.context["preview"].errors
    assert [(e.row, e.column, e.message) for e in errors] == [
        (3, "社区代码", "This community is outside your district.")
    ]
    page = response.content.decode()
    assert "九江路" not in page and "河西" not in page
    client.post(reverse("roster_import_preview", args=[token]))
    assert survey_of(JIUJIANGLU[0])["households"] is None
    assert survey_of(HUAYUANLU[0])["households"] is None


# --- files refused before any row is read ---------------------------------------------------------------


def refused(response) -> str:
    """The upload page again, with the file's error."""
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    assert escape(errors[0]) in response.content.decode()
    assert stored_files() == []
    return errors[0]


def test_oversized_file_is_refused(as_user, heping_staff, settings):
    settings.ROSTER_IMPORT_MAX_BYTES = 2000
    content = csv_bytes([row(HUAYUANLU, **survey(address="很长的地址" * 150))])
    assert len(content) > 2000
    message = refused(upload(as_user(heping_staff), "a.csv", content))
    assert "larger than" in message


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_too_many_rows_are_refused(as_user, heping_staff, settings, fmt):
    settings.ROSTER_IMPORT_MAX_ROWS = 2
    rows = [row(HUAYUANLU), row(BINXI), row(("120101001004", "兆丰路社区居委会", "120101001", "居委会"))]
    content = xlsx_bytes(rows) if fmt == "xlsx" else csv_bytes(rows)
    message = refused(upload(as_user(heping_staff), f"a.{fmt}", content))
    assert "more than 2 data rows" in message


def test_rows_at_the_limit_are_accepted(as_user, heping_staff, settings):
    settings.ROSTER_IMPORT_MAX_ROWS = 2
    token_of(upload(as_user(heping_staff), "a.xlsx", xlsx_bytes([row(HUAYUANLU), row(BINXI), [None] * 12])))


@pytest.fixture
def openpyxl_calls(monkeypatch) -> list[Any]:
    """Record whether openpyxl is asked to open an upload."""
    calls: list[Any] = []
    real = openpyxl.load_workbook

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", spy)
    return calls


def with_member(content: bytes, name: str, data: bytes) -> bytes:
    """The workbook with one more zip member, or with that member replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item, source.read(item.filename))
        target.writestr(name, data)
    return out.getvalue()


def test_zip_bomb_member_is_refused_before_openpyxl(as_user, heping_staff, openpyxl_calls):
    content = with_member(xlsx_bytes([row(HUAYUANLU)]), "xl/media/padding.bin", b"\0" * (20 * 1024 * 1024))
    assert len(content) < 100 * 1024  # small on disk, 20 MB unpacked: a compression ratio near 1000
    message = refused(upload(as_user(heping_staff), "a.xlsx", content))
    assert "unpacks to more data" in message
    assert openpyxl_calls == []


def test_workbook_over_the_unzipped_limit_is_refused_before_openpyxl(as_user, heping_staff, settings, openpyxl_calls):
    content = xlsx_bytes([row(HUAYUANLU)])
    settings.ROSTER_IMPORT_MAX_UNZIPPED_BYTES = 1000  # a real workbook's parts add up to more
    message = refused(upload(as_user(heping_staff), "a.xlsx", content))
    assert "unpacks to more data" in message
    assert openpyxl_calls == []


def test_good_workbook_is_read_with_openpyxl(as_user, heping_staff, openpyxl_calls):
    token_of(upload(as_user(heping_staff), "a.xlsx", xlsx_bytes([row(HUAYUANLU)])))
    assert len(openpyxl_calls) == 1


def test_workbook_with_macros_is_refused(as_user, heping_staff, openpyxl_calls):
    content = with_member(xlsx_bytes([row(HUAYUANLU)]), "xl/vbaProject.bin", b"macro" * 50)
    message = refused(upload(as_user(heping_staff), "a.xlsx", content))
    assert "macros" in message
    assert openpyxl_calls == []


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("roster.xlsx", "社区代码,社区名称,户数\n120101001001,花园路社区居委会,1\n".encode(), "not an Excel workbook"),
        ("roster.xlsm", b"PK\x03\x04anything", "macros"),
        ("roster.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "(.xls)"),
        ("roster.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "password-protected"),
        ("roster.txt", b"hello", "(.xlsx) or a CSV file"),
        ("roster", b"hello", "(.xlsx) or a CSV file"),
        ("roster.csv", b"", "empty"),
        ("roster.csv", b"\xff\xfe" + "社区代码,社区名称".encode("utf-16-le"), "encoding"),
        ("roster.csv", b"PK\x03\x04" + b"\0" * 50, "is an Excel workbook"),
        ("roster.csv", b"a,b\x00,c\n", "not a CSV"),
        ("roster.csv", "社区代码,社区名称,户数\n1,2,".encode() + b'"' + b"x" * 200_000 + b'"\n', "could not be read"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(as_user, heping_staff, name, content, expected):
    assert expected in refused(upload(as_user(heping_staff), name, content))


def test_zip_without_a_workbook_is_refused(as_user, heping_staff):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "not an Excel workbook" in refused(upload(as_user(heping_staff), "a.xlsx", out.getvalue()))


def test_damaged_workbook_is_refused_not_a_server_error(as_user, heping_staff):
    content = with_member(xlsx_bytes([row(HUAYUANLU)]), "xl/worksheets/sheet1.xml", b"<not xml")
    assert "could not be read" in refused(upload(as_user(heping_staff), "a.xlsx", content))


@pytest.mark.parametrize(
    ("headers", "missing"),
    [
        (["社区名称", "户数"], "社区代码"),
        (["社区代码", "户数"], "社区名称"),
        (["code", "name", "households"], "社区代码、社区名称"),
        ([], "社区代码、社区名称"),
    ],
)
def test_missing_columns_are_named(as_user, heping_staff, headers, missing):
    content = xlsx_bytes([["120101001001", "花园路社区居委会", 1]], headers=headers)
    message = refused(upload(as_user(heping_staff), "a.xlsx", content))
    assert f"missing required columns: {missing}." in message


def test_file_without_survey_columns_is_refused(as_user, heping_staff):
    content = csv_bytes([list(HUAYUANLU)], headers=HEADERS[:4])
    assert "none of the survey columns" in refused(upload(as_user(heping_staff), "a.csv", content))


def test_headers_tolerate_full_width_brackets_and_spaces(as_user, heping_staff):
    headers = [" 社区代码 ", "社区名称", "物业管理覆盖率（%）", "备注"]
    client = as_user(heping_staff)
    token = token_of(upload(client, "a.csv", csv_bytes([[HUAYUANLU[0], HUAYUANLU[1], "60%", "x"]], headers=headers)))
    preview = client.get(reverse("roster_import_preview", args=[token])).context["preview"]
    assert preview.errors == () and preview.ignored_columns == ("备注",)
    client.post(reverse("roster_import_preview", args=[token]))
    assert survey_of(HUAYUANLU[0])["property_management_share"] == 60


def test_empty_file_with_only_a_header_is_refused(as_user, heping_staff):
    assert "no data rows" in refused(upload(as_user(heping_staff), "a.xlsx", xlsx_bytes([])))


# --- who may import, and whose upload it is -------------------------------------------------------------


@pytest.fixture
def street_staff(make_user):
    return make_user("street-staff", Role.STREET_STAFF, street="120101001")


@pytest.mark.parametrize("who", ["reviewer", "department_staff", "inspector", "street_staff"])
def test_other_roles_get_403_on_every_import_page(as_user, request, who, heping_staff):
    owner = as_user(heping_staff)
    token = token_of(upload(owner, "a.xlsx", xlsx_bytes([row(HUAYUANLU, **survey(households=9))])))
    client = as_user(request.getfixturevalue(who))
    assert client.get(reverse("roster_import")).status_code == 403
    assert upload(client, "a.xlsx", xlsx_bytes([row(HUAYUANLU)])).status_code == 403
    assert client.get(reverse("roster_import_template")).status_code == 403
    assert client.get(reverse("roster_import_preview", args=[token])).status_code == 403
    assert client.post(reverse("roster_import_preview", args=[token])).status_code == 403
    assert client.post(reverse("roster_import_cancel", args=[token])).status_code == 403
    assert survey_of(HUAYUANLU[0])["households"] is None


def test_nav_shows_import_only_to_importers(as_user, heping_staff, reviewer):
    assert reverse("roster_import") in as_user(heping_staff).get(reverse("home")).content.decode()
    assert reverse("roster_import") not in as_user(reviewer).get(reverse("home")).content.decode()


def test_another_user_cannot_see_confirm_or_cancel_an_upload(as_user, heping_staff, make_user):
    owner = as_user(heping_staff)
    token = token_of(upload(owner, "a.xlsx", xlsx_bytes([row(HUAYUANLU, **survey(households=7))])))
    colleague = make_user("district-120101-b", Role.DISTRICT_STAFF, district="120101")
    other = Client()
    other.force_login(colleague)
    assert other.get(reverse("roster_import_preview", args=[token])).status_code == 404
    assert other.post(reverse("roster_import_preview", args=[token])).status_code == 404
    assert other.post(reverse("roster_import_cancel", args=[token])).status_code == 404
    assert survey_of(HUAYUANLU[0])["households"] is None
    assert stored_files() == [f"{token}.xlsx"]
    # The owner still can.
    owner.post(reverse("roster_import_preview", args=[token]))
    assert survey_of(HUAYUANLU[0])["households"] == 7


def test_unknown_token_is_404(as_user, heping_staff):
    assert as_user(heping_staff).get(reverse("roster_import_preview", args=[uuid.uuid4()])).status_code == 404


def test_cancel_deletes_the_stored_file_and_imports_nothing(as_user, heping_staff):
    client = as_user(heping_staff)
    token = token_of(upload(client, "a.csv", csv_bytes([row(HUAYUANLU, **survey(households=3))])))
    assert stored_files() == [f"{token}.csv"]
    response = client.post(reverse("roster_import_cancel", args=[token]))
    assert response.status_code == 302
    assert stored_files() == []
    assert client.post(reverse("roster_import_preview", args=[token])).status_code == 404
    assert survey_of(HUAYUANLU[0])["households"] is None


def test_a_new_upload_replaces_the_pending_one(as_user, heping_staff):
    client = as_user(heping_staff)
    first = token_of(upload(client, "a.csv", csv_bytes([row(HUAYUANLU)])))
    second = token_of(upload(client, "b.xlsx", xlsx_bytes([row(HUAYUANLU)])))
    assert stored_files() == [f"{second}.xlsx"]
    assert client.get(reverse("roster_import_preview", args=[first])).status_code == 404


# --- the services directly ------------------------------------------------------------------------------


def test_confirm_is_all_or_nothing_when_the_roster_changed_since_the_preview(heping_staff, settings):
    """A row valid at preview time but not at confirm time: the confirm writes nothing and keeps the file."""
    content = xlsx_bytes([row(HUAYUANLU, **survey(households=1)), row(BINXI, **survey(households=2))])
    validated = imports.validate_upload(upload=SimpleUploadedFile("a.xlsx", content))
    token = imports.roster_import_store(upload=validated)
    assert not imports.roster_import_preview(user=heping_staff, token=token).has_errors
    Community.objects.filter(code=BINXI[0]).update(name="滨西新社区居委会")  # the roster changed meanwhile
    with pytest.raises(imports.ImportRejected) as rejected:
        imports.roster_import_confirm(user=heping_staff, token=token)
    assert [(e.row, e.column) for e in rejected.value.preview.errors] == [(3, "社区名称")]
    assert survey_of(HUAYUANLU[0])["households"] is None
    assert not AuditEntry.objects.filter(action="import", source="import").exists()
    assert stored_files() == [f"{token}.xlsx"]


def test_services_refuse_roles_that_cannot_import(reviewer, heping_staff):
    validated = imports.validate_upload(upload=SimpleUploadedFile("a.csv", csv_bytes([row(HUAYUANLU)])))
    token = imports.roster_import_store(upload=validated)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        imports.roster_import_preview(user=reviewer, token=token)
    with pytest.raises(PermissionDenied):
        imports.roster_import_confirm(user=reviewer, token=token)


def test_a_failure_while_writing_rolls_back_every_row(heping_staff, monkeypatch):
    """The survey updates and the audit entries are one transaction: if the audit write fails, no row changes."""
    content = xlsx_bytes([row(HUAYUANLU, **survey(households=1)), row(BINXI, **survey(households=2))])
    token = imports.roster_import_store(upload=imports.validate_upload(upload=SimpleUploadedFile("a.xlsx", content)))

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AuditEntry.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        imports.roster_import_confirm(user=heping_staff, token=token)
    assert survey_of(HUAYUANLU[0])["households"] is None
    assert survey_of(BINXI[0])["households"] is None
    assert stored_files() == [f"{token}.xlsx"]


@pytest.mark.parametrize("seed", range(6))
def test_random_and_truncated_files_are_refused_not_a_server_error(as_user, heping_staff, seed):
    import random

    rng = random.Random(seed)
    workbook = xlsx_bytes([row(HUAYUANLU, **survey(households=1))])
    candidates = [
        ("a.xlsx", workbook[: len(workbook) // 2]),
        ("a.xlsx", b"PK\x03\x04" + rng.randbytes(3000)),
        ("a.csv", rng.randbytes(3000)),
    ]
    name, content = candidates[seed % 3]
    refused(upload(as_user(heping_staff), name, content))
