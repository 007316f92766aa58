"""Roster export: scoped to the user, the template's columns, formulas neutralised, and importable again."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from districts.models import AuditEntry, Community
from tests.districts.test_import import HEADERS, token_of, upload

FORMULA = '=HYPERLINK("http://x")'


def xlsx_rows(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [[cell.value for cell in r] for r in sheet.iter_rows()]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "CSV for Excel starts with a UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def export(client, **params):
    response = client.get(reverse("roster_export"), params)
    assert response.status_code == 200, response.status_code
    assert "attachment" in response["Content-Disposition"]
    return response


def on_roster_codes(district_code: str) -> set[str]:
    return set(
        Community.objects.filter(district__code=district_code)
        .on_roster(timezone.localdate())
        .values_list("code", flat=True)
    )


def test_district_staff_export_holds_only_their_district(as_user, heping_staff):
    client = as_user(heping_staff)
    rows = xlsx_rows(export(client, format="xlsx").content)
    assert rows[0] == HEADERS
    codes = {r[0] for r in rows[1:]}
    assert codes == on_roster_codes("120101")
    assert len(codes) > 50
    assert all(code.startswith("120101") for code in codes)
    # The export names them like the roster does.
    huayuanlu = next(r for r in rows if r[0] == "120101001001")
    assert huayuanlu[1:4] == ["花园路社区居委会", "120101001", "居委会"]

    csv_codes = {r[0] for r in csv_rows(export(client, format="csv").content)[1:]}
    assert csv_codes == codes


def test_export_of_another_district_is_404_for_district_staff(as_user, heping_staff):
    assert as_user(heping_staff).get(reverse("roster_export"), {"district": "120103"}).status_code == 404


def test_commission_can_export_the_city_or_one_district(as_user, reviewer):
    client = as_user(reviewer)
    hexi = {r[0] for r in csv_rows(export(client, format="csv", district="120103").content)[1:]}
    assert hexi == on_roster_codes("120103")
    city = csv_rows(export(client, format="csv").content)[1:]
    assert len(city) == Community.objects.on_roster(timezone.localdate()).count()
    assert {r[0][:6] for r in city} >= {"120101", "120103", "120116"}


def test_street_staff_export_holds_only_their_street(as_user, heping_street_staff):
    rows = csv_rows(export(as_user(heping_street_staff), format="csv").content)[1:]
    assert rows and {r[2] for r in rows} == {"120101001"}


def test_roles_without_roster_data_cannot_export(as_user, inspector):
    assert as_user(inspector).get(reverse("roster_export")).status_code == 403


def test_unknown_format_is_a_bad_request(as_user, heping_staff):
    response = as_user(heping_staff).get(reverse("roster_export"), {"format": "pdf"})
    assert response.status_code == 400


def test_survey_values_are_exported_as_in_the_template(as_user, heping_staff):
    Community.objects.filter(code="120101001001").update(
        build_year=1994,
        build_era="1990年代",
        households=3619,
        buildings=32,
        is_old_estate=True,
        renovation="in_progress",
        property_management_share=85,
        address="花园路1号",
    )
    client = as_user(heping_staff)
    expected = [
        "120101001001",
        "花园路社区居委会",
        "120101001",
        "居委会",
        1994,
        "1990年代",
        3619,
        32,
        "是",
        "改造中",
        85,
    ]
    xlsx = next(r for r in xlsx_rows(export(client, format="xlsx").content) if r[0] == "120101001001")
    assert xlsx == [*expected, "花园路1号"]
    text = next(r for r in csv_rows(export(client, format="csv").content) if r[0] == "120101001001")
    assert text == [str(v) for v in expected] + ["花园路1号"]
    # An empty survey stays empty, not "None".
    empty = next(r for r in csv_rows(export(client, format="csv").content) if r[0] == "120101001002")
    assert empty[4:] == [""] * 8


def test_formulas_are_neutralised_in_xlsx_and_csv(as_user, heping_staff):
    Community.objects.filter(code="120101001001").update(address=FORMULA, build_era="+1990")
    Community.objects.filter(code="120101001002").update(address="@SUM(A1)", build_era="-")
    client = as_user(heping_staff)

    sheet = openpyxl.load_workbook(io.BytesIO(export(client, format="xlsx").content)).active
    assert not [c.coordinate for r in sheet.iter_rows() for c in r if c.data_type == "f"]
    by_code = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    assert by_code["120101001001"][11].value == "'" + FORMULA
    assert by_code["120101001001"][11].data_type == "s"
    assert by_code["120101001001"][5].value == "'+1990"
    assert by_code["120101001002"][11].value == "'@SUM(A1)"
    assert by_code["120101001002"][5].value == "'-"

    text = {r[0]: r for r in csv_rows(export(client, format="csv").content)}
    assert text["120101001001"][11] == "'" + FORMULA
    assert text["120101001001"][5] == "'+1990"
    assert text["120101001002"][11] == "'@SUM(A1)"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_edit_and_import_again(as_user, heping_staff, fmt):
    """The export is a template: change one cell, import it, and only that cell changes."""
    Community.objects.filter(code="120101001001").update(address=FORMULA, households=10, is_old_estate=False)
    Community.objects.filter(code="120101001004").update(renovation="planned", property_management_share=0)
    client = as_user(heping_staff)
    content = export(client, format=fmt).content
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(content))
        sheet = book.active
        for r in sheet.iter_rows(min_row=2):
            if r[0].value == "120101001002":
                r[6].value = 2500  # 户数
        out = io.BytesIO()
        book.save(out)
        edited = out.getvalue()
    else:
        rows = csv_rows(content)
        for r in rows:
            if r[0] == "120101001002":
                r[6] = "2500"
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        edited = ("\ufeff" + out.getvalue()).encode("utf-8")

    token = token_of(upload(client, f"roster.{fmt}", edited))
    preview = client.get(reverse("roster_import_preview", args=[token])).context["preview"]
    assert preview.errors == ()
    assert [(u.code, [(c.column, c.old, c.new) for c in u.changes]) for u in preview.updates] == [
        ("120101001002", [("户数", "", "2500")])
    ]
    assert preview.unchanged == preview.rows - 1
    client.post(reverse("roster_import_preview", args=[token]))

    assert Community.objects.get(code="120101001002").households == 2500
    kept = Community.objects.get(code="120101001001")
    assert (kept.address, kept.households, kept.is_old_estate) == (FORMULA, 10, False)
    other = Community.objects.get(code="120101001004")
    assert (other.renovation, other.property_management_share) == ("planned", 0)
    assert AuditEntry.objects.filter(action="import", source="import").count() == 1


def test_district_roster_page_links_its_export(as_user, heping_staff):
    page = as_user(heping_staff).get(reverse("roster_district", args=["120101"])).content.decode()
    assert f"{reverse('roster_export')}?format=xlsx&amp;district=120101" in page
