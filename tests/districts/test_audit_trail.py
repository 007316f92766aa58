"""The audit trail reads in words whatever wrote it: every kind of entry the services, imports, the admin and the
access checks produce, through `readable_changes` and the /audit/ page."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from districts import imports
from districts.audit import readable_change_rows
from districts.loading import divisions_load, read_division_rows
from districts.models import AuditEntry, Community, Department, District
from districts.services import (
    community_add,
    community_close,
    community_merge,
    community_split,
    community_update_survey,
)
from reporting.documents.tasks import document_render, document_request
from reporting.models import Campaign, GeneratedDocument
from reporting.reports.services import (
    assessment_save,
    assessments_bulk_set,
    report_accept,
    report_open,
    report_return,
    report_save,
    report_submit,
    report_unlock,
)
from reporting.services import enrolment_enrol, enrolment_withdraw
from standards.acceptance import (
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    objection_decide,
    objection_record,
    rectification_done,
    reinspection_request,
    round_create,
    team_create,
)
from standards.evidence import evidence_add, evidence_remove
from standards.models import Assignment, InspectionTeam, Rectification, SelfAssessment, StandardItem
from tests.conftest import PASSWORD, TIANJIN_CSV
from tests.districts.test_import import HUAYUANLU, csv_bytes, row, survey

pytestmark = pytest.mark.django_db
D = datetime.date
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _roster(by, heping: District) -> None:
    """Survey edit, import, addition, closure, merger and split of communities."""
    first, second, third, fourth = Community.objects.filter(street__code="120101002").order_by("code")[:4]
    community_update_survey(
        community=first, by=by, data={"households": 900, "renovation": "in_progress", "is_old_estate": True}
    )
    content = csv_bytes([row(HUAYUANLU, **survey(households=1200, buildings=14, old="是", renovation="已完成"))])
    token = imports.roster_import_store(upload=imports.validate_upload(upload=SimpleUploadedFile("名册.csv", content)))
    imports.roster_import_confirm(user=by, token=token, note="年度调查摸底")
    community_add(
        street=first.street,
        code="120101002901",
        name="新建社区居委会",
        kind="居委会",
        established_on=D(2022, 3, 1),
        by=by,
    )
    community_close(community=second, on=D(2022, 6, 1), by=by, note="拆迁")
    community_merge(community=third, into=first, on=D(2022, 6, 1), by=by)
    community_split(
        community=fourth,
        parts=[
            {"code": "120101002902", "name": "东区社区居委会"},
            {"code": "120101002903", "name": "西区社区居委会"},
        ],
        on=D(2022, 7, 1),
        by=by,
    )
    divisions_load(read_division_rows(TIANJIN_CSV), by=by)


def _reports(campaign, staff, reviewer, heping: District, enrolled: list[Community]) -> None:
    """Every step of a report: rows, plan, narrative, evidence and the whole workflow."""
    march = report_open(campaign=campaign, kind="monthly", period=D(2021, 3, 1), district=heping, by=staff)
    rows = list(SelfAssessment.objects.filter(district=heping, period=march.period).order_by("community__code"))
    assessment_save(
        report=march,
        assessment=rows[0],
        version=rows[0].version,
        stage="creating",
        items={"1": "meets", "3": "in_progress"},
        notes={"3": "分类投放点建设中"},
        by=staff,
    )
    assessments_bulk_set(report=march, ids=[r.pk for r in rows[1:]], by=staff, item=2, item_status="meets")
    march = report_save(report=march, version=march.version, data={"progress": "推进试点"}, by=staff)
    item = StandardItem.objects.get(number=3)
    attached = evidence_add(upload=SimpleUploadedFile("分类投放点.pdf", PDF), by=staff, district=heping, owner=march)
    evidence_add(
        upload=SimpleUploadedFile("整改照片.pdf", PDF),
        by=staff,
        district=heping,
        community=enrolled[0],
        item=item,
        owner=march,
        caption="桶站",
    )
    evidence_remove(evidence=attached, by=staff)
    march = report_submit(report=march, by=staff)
    march = report_return(report=march, comment="补充试点名单", by=reviewer)
    march = report_submit(report=march, by=staff)
    march = report_accept(report=march, by=reviewer, comment="同意")
    report_unlock(report=march, reason="数据更正", by=reviewer)

    plan = report_open(
        campaign=campaign, kind="implementation_plan", period=campaign.starts_on, district=heping, by=staff
    )
    plan = report_save(
        report=plan,
        version=plan.version,
        data={"overall_target": "到2022年底60%达标", "measures": "成立专班"},
        by=staff,
        targets=[{"year": 2021, "communities": 30, "pilots_per_street": 1}],
        assignments=[{"task": "调查摸底", "unit": "区住房建设委", "due_on": D(2020, 12, 31)}],
    )
    report_save(
        report=plan,
        version=plan.version,
        data={"overall_target": "到2022年底60%达标", "measures": "成立专班"},
        by=staff,
        targets=[
            {"year": 2021, "communities": 32, "pilots_per_street": 1},
            {"year": 2022, "communities": 64, "pilots_per_street": 2},
        ],
        assignments=[{"task": "调查摸底", "unit": "区民政局", "due_on": None}],
    )


def _acceptance(commission, inspector, district_staff, department_staff, communities: list[Community]) -> None:
    """A round, its team, first inspections (one failing, one passing), rectification, re-inspection, objection."""
    today = timezone.localdate()
    round_ = round_create(
        name="年度验收",
        year=today.year,
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=30),
        notice_days=7,
        by=commission,
    )
    team = team_create(round=round_, name="第一检查组", members=[inspector], by=commission)
    team_create(round=round_, name="第一检查组", members=[department_staff], by=commission)
    team_create(round=round_, name="备用组", members=[inspector], by=commission)  # deleted in the admin later
    failing, passing = assignments_create(round=round_, communities=communities[:2], team=team, by=commission)
    for assignment, failed_item in ((failing, 3), (passing, None)):
        inspection = inspection_start(assignment=assignment, by=inspector)
        for number in range(1, 17):
            fails = number == failed_item
            answer_save(
                inspection=inspection,
                item_number=number,
                result="fails" if fails else "meets",
                note="缺少分类投放点" if fails else "",
                by=inspector,
            )
        signed = inspection_sign(inspection=inspection, by=inspector, summary="现场检查")
    rectification = Rectification.objects.get(community=communities[0])
    rectification_done(rectification=rectification, note="已增设投放点", by=district_staff)
    reinspection_request(community=communities[0], by=district_staff)
    assignments_create(
        round=round_, communities=communities[:1], team=team, by=commission, kind=Assignment.Kind.REINSPECTION
    )
    objection = objection_record(inspection=signed, received_on=today, text="楼道堆物未清", by=commission)
    objection_decide(objection=objection, decision="dismissed", note="经核查已清理", by=commission)


def _documents(commission, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        made = document_request(kind="city-bulletin", period="2021-03", scope_code="", by=commission)
    broken = GeneratedDocument.objects.create(campaign=made.campaign, kind="city-bulletin", period="2019-06")
    with pytest.raises(Exception, match="2019"):
        document_render(broken.pk)


def _admin_and_access(commission, heping_staff) -> None:
    """The admin's audited saves (a department, a person's account) and the refusals the middleware records."""
    admin = Client()
    admin.force_login(commission)
    department = Department.objects.get(code="zjw")
    response = admin.post(
        reverse("admin:districts_department_change", args=[department.pk]),
        {"code": department.code, "name": department.name, "is_lead": "", "order": department.order + 1},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = admin.post(
        reverse("admin:auth_user_add"),
        {
            "username": "inspector-9",
            "last_name": "欧阳",
            "first_name": "明远",
            "email": "ouyang@example.org",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    spare = InspectionTeam.objects.get(name="备用组")
    response = admin.post(reverse("admin:standards_inspectionteam_delete", args=[spare.pk]), {"post": "yes"})
    assert response.status_code == 302, response.content.decode()[:2000]
    staff = Client()
    staff.force_login(heping_staff)
    assert staff.get("/reports/99999999/").status_code == 404
    Client().post(reverse("login"), {"username": "district-120101", "password": "wrong-password"})


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_every_kind_of_audit_entry_reads_in_words_on_the_audit_page(
    commission_admin,
    reviewer,
    heping_staff,
    department_staff,
    inspector,
    media,
    client_for,
    django_capture_on_commit_callbacks,
):
    """Issue 14 item 12: an implementation plan's targets and division of work, and every other change a service
    writes, render in `readable_changes` and on every page of /audit/ (a plan's change used to answer 500)."""
    commission_admin.last_name, commission_admin.first_name = "刘", "建华"
    commission_admin.save()
    campaign = Campaign.objects.current()
    heping = District.objects.get(code="120101")
    enrolled = list(Community.objects.filter(street__code="120101001").order_by("code")[:4])
    enrolment_enrol(campaign=campaign, communities=enrolled, kind="pilot", joined_on=D(2021, 1, 10), by=heping_staff)
    enrolment_withdraw(enrolment=enrolled[3].enrolments.get(), on=D(2022, 6, 30), reason="撤并", by=heping_staff)
    _roster(heping_staff, heping)
    _reports(campaign, heping_staff, reviewer, heping, enrolled)
    annual = report_open(
        campaign=campaign,
        kind="annual",
        period=D(2021, 1, 1),
        department=Department.objects.get(code="zjw"),
        by=department_staff,
    )
    report_save(report=annual, version=annual.version, data={"progress": "年度总结"}, by=department_staff)
    _acceptance(commission_admin, inspector, heping_staff, department_staff, enrolled[:2])
    _documents(commission_admin, django_capture_on_commit_callbacks)
    _admin_and_access(commission_admin, heping_staff)

    entries = list(AuditEntry.objects.select_related("content_type"))
    written = {e.content_type.model if e.content_type else None for e in entries}
    assert written >= {
        "community",
        "enrolment",
        "report",
        "selfassessment",
        "evidence",
        "acceptanceround",
        "inspectionteam",
        "assignment",
        "inspection",
        "rectification",
        "objection",
        "generateddocument",
        "department",
        "user",
        None,
    }
    assert {e.action for e in entries} == set(AuditEntry.Action.values)
    for entry in entries:
        for name, label, _old, _new in readable_change_rows(entry):
            assert label != name and "_" not in label, (entry.content_type, name)

    client = client_for(commission_admin)
    first = client.get("/audit/")
    assert first.status_code == 200
    total = re.search(r"共(\d+)页", first.content.decode())
    pages = int(total.group(1)) if total else 1
    html = "".join(client.get(f"/audit/?page={n}").content.decode() for n in range(1, pages + 1))
    text = re.sub(r"<[^>]+>", " ", html)
    assert "2021年：32个社区达标，每个街道1个试点；2022年：64个社区达标，每个街道2个试点" in text
    assert "年度目标" in text and "任务分工" in text and "调查摸底 · 区住房建设委 · 2020年12月31日前完成" in text
    assert "第3项" in text and "不达标" in text and "已申请复验" in text and "异议不成立" in text
    assert "检查项（第3项）" in text and "推进中" in text
    assert "名册变更" in text and "拆分" in text and "SHA-256校验值" in text
    assert "姓氏" in text and "欧阳" in text and "名字" in text and "明远" in text
    assert "刘建华" in text  # who made a change is named, not their login
    for raw in ("item 3", "rectification", "sha256", "roster_change", "overall_target", "None"):
        assert raw not in text, raw
    district_page = client_for(heping_staff).get("/audit/")
    assert district_page.status_code == 200 and "年度目标" in district_page.content.decode()
    named = get_user_model().objects.get(username="inspector-9")
    assert (named.last_name, named.first_name) == ("欧阳", "明远")
