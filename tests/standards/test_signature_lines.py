"""The acceptance record carries a signature line for every member of the inspecting team: on the PDF, on the
community's acceptance record and on the inspection's record. Issue 14 item 13 (second half)."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from districts.models import Community
from reporting.documents.build import document_pdf, document_spec
from standards.acceptance import (
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    round_create,
    team_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(commission_admin, inspector, department_staff):
    """A signed inspection by a team of two: inspector-1, who has a full name, and dept-zjw, who has none yet."""
    inspector.first_name = "张伟"
    inspector.save()
    today = timezone.localdate()
    round_ = round_create(
        name="2026年度验收",
        year=2026,
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=10),
        by=commission_admin,
    )
    team = team_create(round=round_, name="第一组", members=[inspector, department_staff], by=commission_admin)
    community = Community.objects.filter(street__code="120101001").order_by("code").first()
    (assignment,) = assignments_create(round=round_, communities=[community], team=team, by=commission_admin)
    inspection = inspection_start(assignment=assignment, by=inspector)
    for number in range(1, 17):
        answer_save(inspection=inspection, item_number=number, result="meets", note="", by=inspector)
    return inspection_sign(inspection=inspection, by=inspector)


def _signature_rows(html: str) -> list[str]:
    rows = re.findall(r'<tr class="signature-line">(.*?)</tr>', html, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def test_the_acceptance_record_pdf_has_a_signature_line_for_each_team_member(signed, tmp_path):
    """Issue 14 item 13: each member's name (full name where known), room to sign, and the date to write."""
    if not shutil.which("pdftotext"):
        pytest.fail("poppler-utils (pdftotext) must be installed to read the PDF back")
    path = tmp_path / "record.pdf"
    path.write_bytes(document_pdf(document_spec(kind="acceptance-record", scope_code=signed.community.code)))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "验收组成员签字" in text
    heading = text.index("验收组成员签字")
    lines = [line.split() for line in text[heading:].splitlines() if line.strip()][1:4]
    assert lines[0] == ["姓名", "签字", "日期"]
    # Ordered by login name: dept-zjw has no full name yet, inspector-1 is 张伟.
    assert lines[1] == ["dept-zjw", "年", "月", "日"]
    assert lines[2] == ["张伟", "年", "月", "日"]


def test_the_on_screen_records_have_the_same_signature_lines(signed, client_for, commission_admin):
    """Issue 14 item 13: the community's acceptance record and the inspection record print with them too."""
    client = client_for(commission_admin)
    for url in (
        reverse("acceptance_record", args=[signed.community.code]),
        reverse("inspection_record", args=[signed.pk]),
    ):
        html = client.get(url).content.decode()
        assert "验收组成员签字" in html, url
        assert _signature_rows(html) == ["dept-zjw 年 月 日", "张伟 年 月 日"], url
    record = client.get(reverse("inspection_record", args=[signed.pk])).content.decode()
    assert re.search(r'<dd id="signed-by">\s*张伟\s*</dd>', record)
