"""Hostile input to the reports: narrative, community rows, bulk changes and the workflow buttons. Free text is
escaped on the page and printed literally in the PDF; forged fields and replays change nothing."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from districts.models import Community, District
from reporting.documents.build import document_pdf, document_spec
from reporting.models import GeneratedDocument, Report, ReportEvent
from reporting.reports.services import assessment_save, report_open, report_save, report_submit
from reporting.services import enrolment_enrol
from standards.acceptance import assignments_create
from standards.models import SelfAssessment

from .conftest import ESCAPED, HEPING, HEXI, SCRIPT, counts, first_row, pdf_text, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.hostile]
D = datetime.date


def messages_after(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def save_narrative(client, report, **fields):
    report.refresh_from_db()
    return client.post(reverse("report_narrative_save", args=[report.pk]), {"version": report.version, **fields})


def test_html_in_every_narrative_field_is_escaped_on_the_report_page(zh, heping_staff, march):
    client = zh(heping_staff)
    fields = {name: f"{SCRIPT}{name}" for name in ("progress", "practices", "problems", "next_plan")}
    assert save_narrative(client, march, **fields).status_code == 302
    page = client.get(reverse("report_detail", args=[march.pk])).content.decode()
    assert SCRIPT not in page
    for name in fields:
        assert f"{ESCAPED}{name}" in page


def test_html_in_the_narrative_is_printed_literally_in_the_monthly_pdf(heping_staff, march, tmp_path):
    report_save(
        report=march, version=march.version, data={"progress": SCRIPT, "problems": "<b>粗体</b>"}, by=heping_staff
    )
    pdf = document_pdf(document_spec(kind="district-monthly", period="2021-03", scope_code=HEPING))
    text = pdf_text(pdf, tmp_path)
    assert SCRIPT in text and "<b>粗体</b>" in text


def test_html_in_a_row_note_is_escaped_in_the_row_editor(zh, heping_staff, march):
    client = zh(heping_staff)
    row = first_row(march)
    response = client.post(
        reverse("report_row", args=[march.pk, row.pk]),
        {"stage": "creating", "version": row.version, "item-1": "in_progress", "note-1": SCRIPT},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.notes == {"1": SCRIPT}
    edit = client.get(reverse("report_row", args=[march.pk, row.pk])).content.decode()
    assert SCRIPT not in edit and ESCAPED in edit


def test_html_in_a_row_note_is_escaped_on_the_inspectors_checklist(
    zh, heping_staff, march, world, inspector, commission_admin
):
    row = first_row(march)
    assessment_save(
        report=march,
        assessment=row,
        version=row.version,
        stage="creating",
        items={},
        notes={"7": SCRIPT},
        by=heping_staff,
    )
    (assignment,) = assignments_create(
        round=world.round, communities=[row.community], team=world.team, by=commission_admin
    )
    page = zh(inspector).get(reverse("inspection_checklist", args=[assignment.pk])).content.decode()
    assert SCRIPT not in page and ESCAPED in page


def test_html_in_an_annual_report_is_printed_literally_in_the_annual_compilation(heping_staff, campaign, tmp_path):
    annual = report_open(
        campaign=campaign,
        kind="annual",
        period=D(2021, 1, 1),
        district=District.objects.get(code=HEPING),
        by=heping_staff,
    )
    annual = report_save(report=annual, version=annual.version, data={"progress": SCRIPT}, by=heping_staff)
    report_submit(report=annual, by=heping_staff)
    text = pdf_text(document_pdf(document_spec(kind="annual", period="2021")), tmp_path)
    assert SCRIPT in text.replace("\n", "")


def test_html_in_a_return_comment_is_escaped_in_the_reports_history(zh, heping_staff, reviewer, march):
    save_narrative(zh(heping_staff), march, progress="本月完成摸底")
    zh(heping_staff).post(reverse("report_submit", args=[march.pk]))
    client = zh(reviewer)
    client.post(reverse("report_return", args=[march.pk]), {"comment": SCRIPT})
    page = client.get(reverse("report_detail", args=[march.pk])).content.decode()
    assert SCRIPT not in page and ESCAPED in page


def test_a_narrative_longer_than_its_column_is_a_form_error(zh, heping_staff, march):
    before = counts()
    response = save_narrative(zh(heping_staff), march, progress="长" * 20001)
    assert response.status_code == 400
    page = text_of(response)
    assert "请修改标出的内容；本次未保存任何数据。" in page
    assert "确保该变量包含不超过 20000 字符 (目前字符数 20001)。" in page
    march.refresh_from_db()
    assert march.progress == "" and counts() == before


def test_a_row_note_longer_than_allowed_is_refused_in_chinese(zh, heping_staff, march):
    row = first_row(march)
    before = counts()
    response = zh(heping_staff).post(
        reverse("report_row", args=[march.pk, row.pk]),
        {"stage": "creating", "version": row.version, "note-3": "注" * 501},
        HTTP_HX_REQUEST="true",
    )
    assert '<div class="errorlist" role="alert">第3项：说明超过500字。</div>' in response.content.decode()
    row.refresh_from_db()
    assert row.notes == {} and counts() == before


def test_a_stage_that_is_not_on_the_form_is_refused(zh, heping_staff, march):
    row = first_row(march)
    before = counts()
    response = zh(heping_staff).post(
        reverse("report_row", args=[march.pk, row.pk]),
        {"stage": "accepted", "version": row.version},
        HTTP_HX_REQUEST="true",
    )
    assert '<div class="errorlist" role="alert">请从列表中选择创建阶段。</div>' in response.content.decode()
    row.refresh_from_db()
    assert row.stage == "not_started" and counts() == before


def test_a_status_field_forged_into_the_narrative_form_is_ignored(zh, heping_staff, march):
    response = save_narrative(zh(heping_staff), march, progress="本月进展", status="accepted", district=HEXI)
    assert response.status_code == 302
    march.refresh_from_db()
    assert (march.status, march.district.code, march.progress) == ("draft", HEPING, "本月进展")


def test_a_bulk_change_naming_a_row_of_another_district_changes_nothing(zh, heping_staff, hexi_staff, campaign, march):
    hexi_community = Community.objects.filter(district__code=HEXI).order_by("code").first()
    enrolment_enrol(
        campaign=campaign, communities=[hexi_community], kind="pilot", joined_on=D(2021, 1, 10), by=hexi_staff
    )
    report_open(
        campaign=campaign, kind="monthly", period=D(2021, 3, 1), district=District.objects.get(code=HEXI), by=hexi_staff
    )
    foreign = SelfAssessment.objects.get(community=hexi_community)
    own = first_row(march)
    before = counts()
    response = zh(heping_staff).post(
        reverse("report_rows_bulk", args=[march.pk]), {"row": [own.pk, foreign.pk], "stage": "creating"}, follow=True
    )
    assert messages_after(response) == ["所选社区中有的不在本报告中。"]
    assert set(SelfAssessment.objects.values_list("stage", flat=True)) == {"not_started"}
    assert counts() == before


def test_another_districts_code_in_the_start_form_creates_no_report(zh, heping_staff):
    before = counts()
    response = zh(heping_staff).post(
        reverse("report_start"), {"kind": "monthly", "period": "2021-03-01", "district": HEXI}
    )
    assert response.status_code == 404
    assert "该页面不存在，或不在您的查看范围内。" in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("period", ["2021-02-30", "2021-13-01", "abc"])
def test_an_impossible_period_is_refused_with_a_chinese_message(zh, heping_staff, period):
    before = counts()
    response = zh(heping_staff).post(
        reverse("report_start"), {"kind": "monthly", "period": period, "district": HEPING}, follow=True
    )
    assert messages_after(response) == ["报告期不是有效日期。"]
    assert counts() == before


@pytest.mark.parametrize("period", ["2020-09-01", "2023-01-01"])
def test_a_month_before_or_after_the_campaign_is_refused(zh, heping_staff, period):
    before = counts()
    response = zh(heping_staff).post(
        reverse("report_start"), {"kind": "monthly", "period": period, "district": HEPING}, follow=True
    )
    assert messages_after(response) == ["本次创建行动没有该月份的月报。"]
    assert counts() == before


def test_a_replayed_submit_gets_a_clear_message_and_no_second_event(zh, heping_staff, march):
    client = zh(heping_staff)
    save_narrative(client, march, progress="本月完成摸底")
    client.get(reverse("report_detail", args=[march.pk]))  # shows (and so clears) the message of the save
    first = client.post(reverse("report_submit", args=[march.pk]), follow=True)
    assert messages_after(first) == ["已提交，已通知市住房城乡建设委。"]
    rows = list(SelfAssessment.objects.order_by("pk").values_list("pk", "version"))
    before = counts()
    second = client.post(reverse("report_submit", args=[march.pk]), follow=True)
    assert messages_after(second) == ["该报告当前状态为“已提交”，现在不能进行此操作。"]
    assert counts() == before
    assert ReportEvent.objects.filter(report=march, action="submitted").count() == 1
    assert list(SelfAssessment.objects.order_by("pk").values_list("pk", "version")) == rows


def test_a_replayed_start_opens_the_same_report_and_adds_no_rows(zh, heping_staff, march):
    client = zh(heping_staff)
    data = {"kind": "monthly", "period": "2021-03-01", "district": HEPING}
    rows = SelfAssessment.objects.count()
    before = counts()
    for _attempt in range(2):
        assert client.post(reverse("report_start"), data)["Location"] == march.get_absolute_url()
    assert Report.objects.filter(kind="monthly", period=D(2021, 3, 1)).count() == 1
    assert SelfAssessment.objects.count() == rows and counts() == before


def test_a_negative_plan_target_is_a_form_error(zh, heping_staff, campaign):
    plan = report_open(
        campaign=campaign,
        kind="implementation_plan",
        period=campaign.starts_on,
        district=District.objects.get(code=HEPING),
        by=heping_staff,
    )
    before = counts()
    response = zh(heping_staff).post(
        reverse("report_narrative_save", args=[plan.pk]),
        {
            "version": plan.version,
            "overall_target": "目标",
            "targets-TOTAL_FORMS": "1",
            "targets-INITIAL_FORMS": "0",
            "targets-0-year": "2021",
            "targets-0-communities": "-5",
            "targets-0-pilots_per_street": "0",
            "work-TOTAL_FORMS": "0",
            "work-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 400
    assert "确保该值大于或等于0。" in text_of(response)
    plan.refresh_from_db()
    assert plan.overall_target == "" and not plan.targets.exists() and counts() == before


def test_sql_in_the_report_list_filters_is_only_a_filter(zh, reviewer, march):
    response = zh(reviewer).get(reverse("report_list") + "?district=1' OR '1'='1&period=2021-13&status=x;DROP")
    assert response.status_code == 200
    assert messages_after(response) == ["月份请按“年-月”填写，例如 2021-03。"]
    assert "没有符合条件的报告。" in text_of(response)


def test_a_document_for_a_thirteenth_month_is_refused_in_chinese(zh, commission_admin):
    response = zh(commission_admin).post(
        reverse("document_request"), {"kind": "city-bulletin", "period": "2021-13"}, follow=True
    )
    assert messages_after(response) == ["请按YYYY-MM格式填写月份，例如2022-06。"]
    assert not GeneratedDocument.objects.exists()


def test_a_document_for_a_month_before_the_campaign_is_refused_in_chinese(zh, commission_admin, campaign):
    response = zh(commission_admin).post(
        reverse("document_request"), {"kind": "district-monthly", "period": "2019-06", "district": HEPING}, follow=True
    )
    start, end = campaign.starts_on, campaign.ends_on
    assert messages_after(response) == [
        f"2019年6月不在创建行动期间（{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日）。"
    ]
    assert not GeneratedDocument.objects.exists()
