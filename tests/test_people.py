"""People are named by their full name wherever the portal shows who did something, never by their login."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from districts.models import Community, District
from greencommunity.people import person_name
from reporting.models import Campaign
from reporting.reports.services import report_open, report_save, report_submit
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

D = datetime.date
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _user(username: str, last: str = "", first: str = "") -> SimpleNamespace:
    return SimpleNamespace(username=username, last_name=last, first_name=first)


@pytest.mark.parametrize(
    ("user", "shown"),
    [
        (_user("district-120101", "张", "伟"), "张伟"),
        (_user("inspector-9", "欧阳", "明远"), "欧阳明远"),
        (_user("visitor", "Li", "Anna"), "Anna Li"),
        (_user("inspector-1", " ", ""), "inspector-1"),
        (_user("reviewer", "陈", ""), "陈"),
        (None, ""),
    ],
)
def test_a_person_is_named_family_name_first_or_by_login_when_unnamed(user, shown):
    """Issue 14 item 14: 姓 (last_name) then 名 (first_name) without a space; the login when there is no name."""
    assert person_name(user) == shown


def _named(user, last: str, first: str):
    user.last_name, user.first_name = last, first
    user.save()
    return user


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.django_db
def test_pages_name_who_saved_submitted_uploaded_and_signed(
    heping_staff, inspector, commission_admin, client_for, settings, tmp_path
):
    """Issue 14 item 14: "最后由district-120101…保存", the history, the uploader and 签署人 inspector-1 become the
    people's names, on the report, its printable view, the inspection record and the header."""
    settings.MEDIA_ROOT = tmp_path / "media"
    _named(heping_staff, "张", "伟")
    _named(inspector, "高", "振华")
    campaign = Campaign.objects.current()
    heping = District.objects.get(code="120101")
    communities = list(Community.objects.filter(street__code="120101001").order_by("code")[:1])
    enrolment_enrol(campaign=campaign, communities=communities, kind="pilot", joined_on=D(2021, 1, 10), by=heping_staff)
    report = report_open(campaign=campaign, kind="monthly", period=D(2021, 3, 1), district=heping, by=heping_staff)
    report = report_save(report=report, version=report.version, data={"progress": "推进试点"}, by=heping_staff)
    evidence_add(upload=SimpleUploadedFile("方案.pdf", PDF), by=heping_staff, district=heping, owner=report)
    report_submit(report=report, by=heping_staff)

    today = timezone.localdate()
    round_ = round_create(
        name="年度验收",
        year=today.year,
        opens_on=today - datetime.timedelta(days=5),
        closes_on=today + datetime.timedelta(days=30),
        by=commission_admin,
    )
    team = team_create(round=round_, name="第一检查组", members=[inspector], by=commission_admin)
    (assignment,) = assignments_create(round=round_, communities=communities, team=team, by=commission_admin)
    inspection = inspection_start(assignment=assignment, by=inspector)
    for number in range(1, 17):
        answer_save(inspection=inspection, item_number=number, result="meets", note="", by=inspector)
    inspection_sign(inspection=inspection, by=inspector)

    client = client_for(heping_staff)
    detail = _text(client.get(report.get_absolute_url()))
    assert "最后由张伟于" in detail and "已提交 · 张伟" in detail and "方案.pdf 69 字节 · 张伟" in detail
    printable = _text(client.get(reverse("report_print", args=[report.pk])))
    assert "已提交 · 张伟" in printable
    record = _text(client.get(reverse("inspection_record", args=[inspection.pk])))
    assert "签署人 高振华" in record and "第一检查组（高振华）" in record
    for page in (detail, printable, record):  # the header included
        assert "district-120101" not in page and "inspector-1" not in page


@pytest.mark.django_db
def test_the_admin_names_a_person_when_creating_the_account(commission_admin):
    """Issue 14 item 14: the commission sets a person's family and given name in the admin, new or existing."""
    client = Client()
    client.force_login(commission_admin)
    for url in (reverse("admin:auth_user_add"), reverse("admin:auth_user_change", args=[commission_admin.pk])):
        page = client.get(url).content.decode()
        assert 'name="last_name"' in page and 'name="first_name"' in page
        assert page.index('name="last_name"') < page.index('name="first_name"')  # 姓 before 名
    _named(commission_admin, "刘", "建华")
    assert "刘建华" in client.get(reverse("admin:auth_user_changelist")).content.decode()
