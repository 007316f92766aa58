"""Who may read a file: exactly those who may read what it belongs to, under an address that cannot be guessed.

Issue 14 item 8. A file belongs to a report (a district's or a department's), to one community's row of a monthly
report, to an inspection (a photo taken on site), to a rectification, or, belonging to no record, to its community.
Each role reads each kind of file as it reads the file's parent: 和平区 (120101) is "own", 河西区 (120103) "other".
"""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from districts.models import Community, Department, District, Membership, Role
from reporting.models import Campaign
from reporting.reports.services import report_open
from reporting.services import enrolment_enrol
from standards.acceptance import (
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    round_create,
    team_create,
)
from standards.evidence import evidence_add
from standards.models import Evidence, Rectification

pytestmark = pytest.mark.django_db

OWN_STREET = "120101001"
UUID_PATH = re.compile(r"^/evidence/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/$")

# Who reads what, per kind of file. Anyone not named gets a 404, as they do for the file's parent.
CITY = {"commission_admin", "reviewer"}
OWN_DISTRICT = CITY | {"heping_staff", "heping_street_staff"}
DEPARTMENTS = {"department_staff", "other_department_staff"}
READERS = {
    # A district's draft report is the district's and the commission's: not a department's, not an inspector's.
    "draft_report": OWN_DISTRICT,
    # A row's file: the report's readers who may read that row (street staff: their own street's rows only).
    "own_street_row": OWN_DISTRICT,
    "other_street_row": CITY | {"heping_staff"},
    # ...and the inspectors assigned to the community, whose checklist shows its self-assessment.
    "inspected_row": OWN_DISTRICT | {"inspector"},
    # A department's annual report is its own and the commission's.
    "department_report": CITY | {"department_staff"},
    # Inspections, rectifications and a community's files: the whole city's readers (departments take part in
    # acceptance), the community's district and street, and the inspectors assigned to it.
    "inspection_photo": OWN_DISTRICT | DEPARTMENTS | {"inspector"},
    "rectification": OWN_DISTRICT | DEPARTMENTS | {"inspector"},
    "community": OWN_DISTRICT | DEPARTMENTS | {"inspector"},
}
ROLES = [
    "anonymous",
    "commission_admin",
    "reviewer",
    "heping_staff",
    "heping_street_staff",
    "hexi_staff",
    "department_staff",
    "other_department_staff",
    "inspector",
    "other_inspector",
]


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), (0, 128, 0)).save(buffer, "PNG")
    return SimpleUploadedFile("现场.png", buffer.getvalue(), content_type="image/png")


def _member(username: str, role: str, **scope):
    user = get_user_model().objects.create_user(username=username)
    Membership.objects.create(user=user, role=role, **scope)
    return user


@pytest.fixture
def files(settings, tmp_path, heping_staff, department_staff, inspector) -> dict[str, Evidence]:
    """One file of each kind, all of 和平区 or of 市住房城乡建设委 (zjw)."""
    settings.MEDIA_ROOT = tmp_path
    campaign = Campaign.objects.current()
    assert campaign is not None
    heping = District.objects.get(code="120101")
    own_street = list(Community.objects.filter(street__code=OWN_STREET).order_by("code")[:4])
    other_street = Community.objects.filter(district=heping).exclude(street__code=OWN_STREET).order_by("code")[0]
    enrolled, inspected, failing, _spare = own_street
    enrolment_enrol(
        campaign=campaign,
        communities=[enrolled, inspected, other_street],
        kind="pilot",
        joined_on=datetime.date(2021, 1, 10),
        by=heping_staff,
    )
    report = report_open(
        campaign=campaign, kind="monthly", period=datetime.date(2021, 3, 1), district=heping, by=heping_staff
    )
    annual = report_open(
        campaign=campaign,
        kind="annual",
        period=datetime.date(2021, 1, 1),
        department=Department.objects.get(code="zjw"),
        by=department_staff,
    )

    today = timezone.localdate()
    round_ = round_create(
        name="验收",
        year=today.year,
        opens_on=today - datetime.timedelta(days=30),
        closes_on=today + datetime.timedelta(days=60),
        notice_days=0,
        by=None,
    )
    team = team_create(round=round_, name="一组", members=[inspector], by=None)
    other_inspector = _member("inspector-other", Role.INSPECTOR)
    team_create(round=round_, name="二组", members=[other_inspector], by=None)
    on_site, failed = assignments_create(round=round_, communities=[inspected, failing], team=team, by=None)
    inspection = inspection_start(assignment=on_site, by=inspector)
    signed = inspection_start(assignment=failed, by=inspector)
    for number in range(1, 17):
        result = "fails" if number == 5 else "meets"
        answer_save(
            inspection=signed, item_number=number, result=result, note="缺" if number == 5 else "", by=inspector
        )
    rectification = Rectification.objects.get(inspection=inspection_sign(inspection=signed, by=inspector))

    def add(**where) -> Evidence:
        return evidence_add(upload=_png(), by=heping_staff, **where)

    return {
        "draft_report": add(district=heping, owner=report),
        "own_street_row": add(district=heping, community=enrolled, owner=report),
        "other_street_row": add(district=heping, community=other_street, owner=report),
        "inspected_row": add(district=heping, community=inspected, owner=report),
        "department_report": evidence_add(
            upload=_png(), by=department_staff, department=annual.department, owner=annual
        ),
        "inspection_photo": add(district=heping, community=inspected, owner=inspection),
        "rectification": add(community=failing, owner=rectification),
        "community": add(district=heping, community=inspected),
    }


@pytest.fixture
def user_for(request, make_user, files):
    def user(role: str):
        if role == "hexi_staff":
            return make_user("district-120103", Role.DISTRICT_STAFF, district="120103")
        if role == "other_department_staff":
            return make_user("dept-fgw", Role.DEPARTMENT_STAFF, department="fgw")
        if role == "other_inspector":
            return get_user_model().objects.get(username="inspector-other")
        return request.getfixturevalue(role)

    return user


def _status(client, url: str) -> int:
    response = client.get(url)
    if response.status_code == 302:
        return 302
    if response.streaming:
        # Read to the end, which closes the file; closing the response would end the test's database connection.
        b"".join(response.streaming_content)
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_each_kind_of_file_exactly_as_it_reads_the_files_parent(client, files, user_for, role):
    """Issue 14 item 8."""
    if role != "anonymous":
        client.force_login(user_for(role))
    got, expected = {}, {}
    for kind, evidence in files.items():
        for url in (evidence.get_absolute_url(), evidence.thumbnail_url):
            got[kind, url.endswith("thumbnail/")] = _status(client, url)
            expected[kind, url.endswith("thumbnail/")] = (
                302 if role == "anonymous" else 200 if role in READERS[kind] else 404
            )
    assert got == expected


def test_a_department_cannot_download_a_districts_draft_report_attachment(
    client_for, files, department_staff, heping_staff
):
    """Issue 14 item 8: the report is 404 for the department, so is its attachment, by whatever address."""
    evidence = files["draft_report"]
    report_url = f"/reports/{evidence.owner_id}/"
    client = client_for(department_staff)
    assert client.get(report_url).status_code == 404
    assert _status(client, evidence.get_absolute_url()) == 404
    assert _status(client, f"/evidence/{evidence.pk}/") == 404
    assert _status(client_for(heping_staff), evidence.get_absolute_url()) == 200


def test_file_addresses_are_random_and_the_old_numbered_ones_are_gone(client_for, files, commission_admin):
    """Issue 14 item 8: an address says nothing about the next file's, and /evidence/<number>/ answers 404 even to
    someone who may read the file."""
    client = client_for(commission_admin)
    for evidence in files.values():
        assert UUID_PATH.match(evidence.get_absolute_url())
        assert _status(client, evidence.get_absolute_url()) == 200
        assert client.get(f"/evidence/{evidence.pk}/").status_code == 404
        assert client.get(f"/evidence/{evidence.pk}/thumbnail/").status_code == 404
    assert len({e.public_id for e in files.values()}) == len(files)


def test_reading_a_file_takes_the_same_queries_whatever_the_number_of_files(client_for, files, heping_staff):
    """Issue 14 item 8: the parents' scopes are subqueries of one lookup, not a loop over files."""
    client = client_for(heping_staff)
    url = files["inspection_photo"].get_absolute_url()
    with CaptureQueriesContext(connection) as few:
        assert _status(client, url) == 200
    for _ in range(5):
        evidence_add(upload=_png(), by=heping_staff, community=files["community"].community)
    with CaptureQueriesContext(connection) as more:
        assert _status(client, url) == 200
    assert len(more) == len(few)
