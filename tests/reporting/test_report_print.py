"""The printable view of a report lists its attachments, within the reader's scope."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from districts.models import Community, District, Role
from reporting.models import Campaign
from reporting.reports.services import report_open
from reporting.services import enrolment_enrol
from standards.evidence import evidence_add, evidence_remove
from standards.models import StandardItem

pytestmark = pytest.mark.django_db
D = datetime.date
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF)


def _attachments(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    section = re.search(r"<h2>附件</h2>(.*?)<h2>", html, re.S)
    assert section, "the printable view has no attachments section"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section.group(1)))


def test_the_printable_view_lists_the_reports_files_and_nothing_of_another_scope(
    heping_staff, hexi_staff, heping_street_staff, make_user, client_for, settings, tmp_path
):
    """Issue 14 item 16: name, kind, size, uploader and time of each file of the report; no file of another report,
    district, street or inspection, and none removed."""
    settings.MEDIA_ROOT = tmp_path / "media"
    heping_staff.last_name, heping_staff.first_name = "张", "伟"
    heping_staff.save()
    campaign = Campaign.objects.current()
    heping, hexi = District.objects.get(code="120101"), District.objects.get(code="120103")
    own_street = Community.objects.filter(street__code="120101001").order_by("code").first()
    other_street = Community.objects.filter(street__code="120101002").order_by("code").first()
    hexi_community = Community.objects.filter(district=hexi).order_by("code").first()
    enrolment_enrol(
        campaign=campaign,
        communities=[own_street, other_street],
        kind="pilot",
        joined_on=D(2021, 1, 10),
        by=heping_staff,
    )
    enrolment_enrol(
        campaign=campaign, communities=[hexi_community], kind="pilot", joined_on=D(2021, 1, 10), by=hexi_staff
    )
    march = report_open(campaign=campaign, kind="monthly", period=D(2021, 3, 1), district=heping, by=heping_staff)
    april = report_open(campaign=campaign, kind="monthly", period=D(2021, 4, 1), district=heping, by=heping_staff)
    hexi_march = report_open(campaign=campaign, kind="monthly", period=D(2021, 3, 1), district=hexi, by=hexi_staff)
    item = StandardItem.objects.get(number=3)
    evidence_add(upload=_file("三月工作方案.pdf"), by=heping_staff, district=heping, owner=march)
    evidence_add(
        upload=_file("花园路桶站.pdf"), by=heping_staff, district=heping, community=own_street, item=item, owner=march
    )
    evidence_add(upload=_file("泰安道台账.pdf"), by=heping_staff, district=heping, community=other_street, owner=march)
    removed = evidence_add(upload=_file("已删除.pdf"), by=heping_staff, district=heping, owner=march)
    evidence_remove(evidence=removed, by=heping_staff)
    evidence_add(upload=_file("四月工作方案.pdf"), by=heping_staff, district=heping, owner=april)
    evidence_add(upload=_file("河西方案.pdf"), by=hexi_staff, district=hexi, owner=hexi_march)
    evidence_add(upload=_file("社区照片.pdf"), by=heping_staff, district=heping, community=own_street)

    url = reverse("report_print", args=[march.pk])
    listed = _attachments(client_for(heping_staff).get(url))
    assert "三月工作方案.pdf PDF文件 69 字节 报告本身 张伟" in listed
    assert "花园路桶站.pdf PDF文件 69 字节 花园路社区居委会 · 第3项 张伟" in listed
    assert "泰安道台账.pdf" in listed
    assert re.search(r"张伟 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", listed)
    for elsewhere in ("已删除.pdf", "四月工作方案.pdf", "河西方案.pdf", "社区照片.pdf"):
        assert elsewhere not in listed

    # A street's staff see the report's own files and their street's, not another street's.
    listed = _attachments(client_for(heping_street_staff).get(url))
    assert "三月工作方案.pdf" in listed and "花园路桶站.pdf" in listed and "泰安道台账.pdf" not in listed
    other = make_user("street-120101002", Role.STREET_STAFF, street="120101002")
    listed = _attachments(client_for(other).get(url))
    assert "三月工作方案.pdf" in listed and "花园路桶站.pdf" not in listed and "泰安道台账.pdf" in listed
    assert client_for(hexi_staff).get(url).status_code == 404
