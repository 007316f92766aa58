"""Hostile input to year-end acceptance: the inspector's answers and signature, rectification notes, objections,
rounds, teams and bulk assignment. Free text is escaped on the pages and printed literally in the acceptance
record's PDF; refusals are Chinese and write nothing."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from reporting.documents.build import document_pdf, document_spec
from standards.acceptance import objection_record
from standards.models import AcceptanceRound, Assignment, InspectionAnswer, InspectionTeam, Objection, Rectification

from .conftest import ESCAPED, SCRIPT, audit_writes, open_inspection, pdf_text, signed_inspection, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.hostile]


def messages_after(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def answer(client, inspection, **data):
    return client.post(reverse("inspection_answer", args=[inspection.pk]), data)


def record_pdf_text(community, tmp_path) -> str:
    return pdf_text(document_pdf(document_spec(kind="acceptance-record", scope_code=community.code)), tmp_path)


# --- the inspector's answers and signature --------------------------------------------------------------------


def test_html_in_an_answer_note_is_escaped_on_the_inspection_record(zh, world, inspector, commission_admin):
    community = world.communities[0]
    inspection = signed_inspection(world, community, by=inspector, fail={4}, notes={4: SCRIPT})
    page = zh(commission_admin).get(reverse("inspection_record", args=[inspection.pk])).content.decode()
    assert SCRIPT not in page and ESCAPED in page


def test_html_in_an_answer_note_is_printed_literally_in_the_acceptance_pdf(world, inspector, tmp_path):
    community = world.communities[0]
    signed_inspection(world, community, by=inspector, fail={4}, notes={4: SCRIPT})
    assert SCRIPT in record_pdf_text(community, tmp_path).replace("\n", "")


def test_html_in_the_signature_summary_is_escaped_and_printed_literally(zh, world, inspector, tmp_path):
    community = world.communities[0]
    inspection = signed_inspection(world, community, by=inspector, summary=SCRIPT)
    page = zh(inspector).get(reverse("inspection_record", args=[inspection.pk])).content.decode()
    assert SCRIPT not in page and ESCAPED in page
    assert SCRIPT in record_pdf_text(community, tmp_path).replace("\n", "")


def test_an_answer_note_longer_than_its_column_is_refused_in_chinese(zh, world, inspector):
    inspection = open_inspection(world, world.communities[0], by=inspector)
    audit = audit_writes()
    response = answer(zh(inspector), inspection, item="2", result="fails", note="缺" * 2001)
    assert response.status_code == 400
    assert json.loads(response.content) == {"ok": False, "item": 2, "error": "说明超过2000字。"}
    assert not InspectionAnswer.objects.exists() and audit_writes() == audit


def test_a_result_that_is_not_on_the_form_is_refused(zh, world, inspector):
    inspection = open_inspection(world, world.communities[0], by=inspector)
    response = answer(zh(inspector), inspection, item="2", result="excellent")
    assert json.loads(response.content) == {"ok": False, "item": 2, "error": "请选择达标、不达标或不适用。"}
    assert not InspectionAnswer.objects.exists()


@pytest.mark.parametrize("item", ["0", "17", "-1", "1e3", "１"])
def test_an_item_number_out_of_range_is_refused(zh, world, inspector, item):
    inspection = open_inspection(world, world.communities[0], by=inspector)
    response = answer(zh(inspector), inspection, item=item, result="meets")
    assert json.loads(response.content) == {"ok": False, "item": None, "error": f"没有第{item}项。"}
    assert not InspectionAnswer.objects.exists()


def test_a_resent_answer_is_one_row_and_one_audit_entry(zh, world, inspector):
    inspection = open_inspection(world, world.communities[0], by=inspector)
    client = zh(inspector)
    audit = audit_writes()
    for _attempt in range(3):
        assert answer(client, inspection, item="5", result="fails", note="缺少分类投放点").status_code == 200
    assert InspectionAnswer.objects.count() == 1 and audit_writes() == audit + 1


# --- rectification --------------------------------------------------------------------------------------------


@pytest.fixture
def failed(world, inspector):
    community = world.communities[0]
    inspection = signed_inspection(world, community, by=inspector, fail={5})
    return inspection.rectifications.get()


def test_html_in_a_rectification_note_is_escaped_on_the_list_and_printed_literally(zh, failed, heping_staff, tmp_path):
    client = zh(heping_staff)
    response = client.post(reverse("rectification_done", args=[failed.pk]), {"note": SCRIPT}, follow=True)
    assert messages_after(response) == [f"{failed.community.name}第5项已标记为整改完成。"]
    page = client.get(reverse("rectifications")).content.decode()
    assert SCRIPT not in page and ESCAPED in page
    assert SCRIPT in record_pdf_text(failed.community, tmp_path).replace("\n", "")


def test_a_rectification_note_longer_than_its_column_is_a_chinese_error(zh, failed, heping_staff):
    audit = audit_writes()
    response = zh(heping_staff).post(
        reverse("rectification_done", args=[failed.pk]), {"note": "改" * 2001}, follow=True
    )
    assert messages_after(response) == ["确保该变量包含不超过 2000 字符 (目前字符数 2001)。"]
    failed.refresh_from_db()
    assert failed.status == "open" and failed.done_note == "" and audit_writes() == audit


def test_another_district_cannot_mark_a_rectification_done(zh, failed, hexi_staff):
    audit = audit_writes()
    response = zh(hexi_staff).post(reverse("rectification_done", args=[failed.pk]), {"note": "已整改"})
    assert response.status_code == 404
    failed.refresh_from_db()
    assert failed.status == "open" and audit_writes() == audit


# --- objections ---------------------------------------------------------------------------------------------


@pytest.fixture
def passed(world, inspector):
    return signed_inspection(world, world.communities[1], by=inspector)


def test_html_in_an_objection_is_escaped_on_the_record_and_printed_literally(zh, passed, commission_admin, tmp_path):
    client = zh(commission_admin)
    today = timezone.localdate().isoformat()
    response = client.post(
        reverse("objection_create", args=[passed.pk]), {"received_on": today, "raised_by": SCRIPT, "text": SCRIPT}
    )
    assert response.status_code == 302
    page = client.get(reverse("acceptance_record", args=[passed.community.code])).content.decode()
    assert SCRIPT not in page and ESCAPED in page
    assert SCRIPT in record_pdf_text(passed.community, tmp_path).replace("\n", "")


def test_html_in_an_objections_decision_is_escaped_and_printed_literally(zh, passed, commission_admin, tmp_path):
    objection = objection_record(
        inspection=passed, received_on=timezone.localdate(), text="绿化不到位", by=commission_admin
    )
    client = zh(commission_admin)
    client.post(
        reverse("objection_decide", args=[objection.pk]), {"decision": "dismissed", "note": SCRIPT, "confirm": "on"}
    )
    objection.refresh_from_db()
    assert objection.decision_note == SCRIPT
    page = client.get(reverse("acceptance_record", args=[passed.community.code])).content.decode()
    assert SCRIPT not in page and ESCAPED in page
    assert SCRIPT in record_pdf_text(passed.community, tmp_path).replace("\n", "")


def test_an_objection_on_an_impossible_date_is_a_chinese_error(zh, passed, commission_admin):
    response = zh(commission_admin).post(
        reverse("objection_create", args=[passed.pk]), {"received_on": "2021-02-30", "text": "异议"}, follow=True
    )
    assert messages_after(response) == ["输入一个有效的日期。"]
    assert not Objection.objects.exists()


def test_an_objection_outside_the_notice_period_is_refused(zh, passed, commission_admin):
    response = zh(commission_admin).post(
        reverse("objection_create", args=[passed.pk]), {"received_on": "2020-01-01", "text": "异议"}, follow=True
    )
    start, end = passed.signed_on.isoformat(), passed.notice_ends_on.isoformat()
    assert messages_after(response) == [f"公示期为{start}至{end}，异议须在公示期内收到。"]
    assert not Objection.objects.exists()


def test_an_objector_name_longer_than_its_column_is_a_chinese_error(zh, passed, commission_admin):
    today = timezone.localdate().isoformat()
    response = zh(commission_admin).post(
        reverse("objection_create", args=[passed.pk]),
        {"received_on": today, "raised_by": "王" * 101, "text": "异议"},
        follow=True,
    )
    assert messages_after(response) == ["确保该变量包含不超过 100 字符 (目前字符数 101)。"]
    assert not Objection.objects.exists()


def test_a_district_cannot_record_an_objection(zh, passed, heping_staff):
    today = timezone.localdate().isoformat()
    response = zh(heping_staff).post(
        reverse("objection_create", args=[passed.pk]), {"received_on": today, "text": "异议"}
    )
    assert response.status_code == 403
    assert not Objection.objects.exists()


# --- rounds, teams, assignments -----------------------------------------------------------------------------


def test_a_round_with_impossible_dates_is_a_form_error(zh, commission_admin):
    rounds = AcceptanceRound.objects.count()
    response = zh(commission_admin).post(
        reverse("acceptance_rounds"),
        {
            "name": "2021年度验收",
            "year": "2021",
            "opens_on": "2021-13-01",
            "closes_on": "2021-02-30",
            "notice_days": "7",
            "rectification_days": "30",
        },
    )
    assert response.status_code == 400
    assert text_of(response).count("输入一个有效的日期。") == 2
    assert AcceptanceRound.objects.count() == rounds


def test_a_round_closing_before_it_opens_is_a_form_error(zh, commission_admin):
    rounds = AcceptanceRound.objects.count()
    response = zh(commission_admin).post(
        reverse("acceptance_rounds"),
        {
            "name": "2021年度验收",
            "year": "2021",
            "opens_on": "2021-12-01",
            "closes_on": "2021-10-01",
            "notice_days": "-3",
            "rectification_days": "30",
        },
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "验收结束日期不能早于开始日期。" in page and "确保该值大于或等于0。" in page
    assert AcceptanceRound.objects.count() == rounds


def test_a_team_with_a_forged_member_id_is_refused(zh, world, commission_admin, heping_staff):
    teams = InspectionTeam.objects.count()
    response = zh(commission_admin).post(
        reverse("acceptance_team_create", args=[world.round.pk]), {"name": "第二组", "members": [heping_staff.pk]}
    )
    assert response.status_code == 400
    assert "请从验收人员和市级部门工作人员名单中选择成员。" in text_of(response)
    assert InspectionTeam.objects.count() == teams


def test_an_assignment_with_a_street_of_another_district_is_refused(zh, world, commission_admin):
    assignments = Assignment.objects.count()
    response = zh(commission_admin).post(
        reverse("acceptance_assign", args=[world.round.pk]),
        {"team": world.team.pk, "district": "120101", "street": "120103001", "kind": "first", "expected": "3"},
    )
    assert response.status_code == 400
    assert "大营门街道不属于和平区。" in text_of(response)
    assert Assignment.objects.count() == assignments


def test_an_assignment_with_an_unknown_district_code_is_refused(zh, world, commission_admin):
    assignments = Assignment.objects.count()
    response = zh(commission_admin).post(
        reverse("acceptance_assign", args=[world.round.pk]),
        {"team": world.team.pk, "district": "999999", "kind": "first", "expected": "3"},
    )
    assert response.status_code == 400
    assert "请从列表中选择区。" in text_of(response)
    assert Assignment.objects.count() == assignments


def test_an_assignment_with_another_rounds_team_is_refused(zh, world, commission_admin):
    today = timezone.localdate()
    other = AcceptanceRound.objects.create(
        name="2022年度验收",
        year=2022,
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=10),
    )
    assignments = Assignment.objects.count()
    response = zh(commission_admin).post(
        reverse("acceptance_assign", args=[other.pk]),
        {"team": world.team.pk, "district": "120101", "kind": "first", "expected": "3"},
    )
    assert response.status_code == 400
    assert "请选择本批次的验收组。" in text_of(response)
    assert Assignment.objects.count() == assignments


def test_a_rectification_id_that_is_not_a_number_is_not_found(zh, heping_staff):
    response = zh(heping_staff).post("/acceptance/rectifications/abc/done/", {"note": "x"})
    assert response.status_code == 404
    assert Rectification.objects.count() == 0


# --- extending a round (issue 14 item 3) ------------------------------------------------------------------------


def _extend(client, round_, **data):
    later = (round_.closes_on + datetime.timedelta(days=30)).isoformat()
    return client.post(
        reverse("acceptance_round_extend", args=[round_.pk]),
        {"closes_on": later, "reason": "补验", "confirm": "on", **data},
    )


def test_html_in_the_reason_for_an_extension_is_escaped_on_the_round_page(zh, world, commission_admin):
    client = zh(commission_admin)
    assert _extend(client, world.round, reason=SCRIPT).status_code == 302
    page = client.get(reverse("acceptance_round", args=[world.round.pk])).content.decode()
    assert SCRIPT not in page and ESCAPED in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "延" * 2001}, "确保该变量包含不超过 2000 字符 (目前字符数 2001)。"),
        ({"closes_on": "2021-02-30"}, "输入一个有效的日期。"),
        ({"closes_on": "9" * 40}, "输入一个有效的日期。"),
        ({"closes_on": "2020-01-01"}, "新的结束日期须晚于现在的结束日期"),
        ({"confirm": ""}, "请勾选确认延长。"),
    ],
)
def test_a_bad_extension_is_a_chinese_form_error_and_changes_nothing(zh, world, commission_admin, data, message):
    before, writes = world.round.closes_on, audit_writes()
    response = _extend(zh(commission_admin), world.round, **data)
    assert response.status_code == 400
    assert message in text_of(response)
    world.round.refresh_from_db()
    assert world.round.closes_on == before and audit_writes() == writes
