"""Districts' refinements of the standard (细化指标): the workflow, who may do what, and where approved ones show."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from districts.models import AuditEntry, Community, District, Role
from reporting.models import Campaign
from reporting.reports.services import report_open
from reporting.services import enrolment_enrol
from standards.acceptance import (
    AcceptanceError,
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    round_create,
    team_create,
)
from standards.demo_refinements import seed_refinements
from standards.models import InspectionAnswer, Refinement, SelfAssessment, StandardItem
from standards.refinements import (
    RefinementError,
    comparison,
    refinement_approve,
    refinement_create,
    refinement_return,
    refinement_submit,
    refinement_update,
    refinement_withdraw,
)

pytestmark = pytest.mark.django_db
HEPING, HEXI = "120101", "120103"


def _item(number: int) -> StandardItem:
    return StandardItem.objects.get(number=number)


def _draft(staff, code: str = HEPING, number: int = 5, text: str = "每栋楼设分类投放点") -> Refinement:
    return refinement_create(
        district=District.objects.get(code=code),
        item=_item(number),
        text=text,
        guidance="现场查看投放点",
        evidence_required=True,
        by=staff,
    )


def _approved(staff, commission, **kwargs) -> Refinement:
    refinement = refinement_submit(refinement=_draft(staff, **kwargs), by=staff)
    return refinement_approve(refinement=refinement, by=commission)


def test_a_refinement_goes_from_draft_to_approved_with_an_audit_entry_each_step(heping_staff, reviewer):
    refinement = _draft(heping_staff)
    assert refinement.status == Refinement.Status.DRAFT
    refinement = refinement_submit(refinement=refinement, by=heping_staff)
    assert refinement.status == Refinement.Status.SUBMITTED and refinement.submitted_by == heping_staff
    refinement = refinement_approve(refinement=refinement, by=reviewer)
    assert refinement.status == Refinement.Status.APPROVED and refinement.decided_by == reviewer
    trail = AuditEntry.objects.filter(object_id=str(refinement.pk)).order_by("pk")
    assert [(e.action, e.changes.get("status")) for e in trail] == [
        ("create", [None, "draft"]),
        ("transition", ["draft", "submitted"]),
        ("transition", ["submitted", "approved"]),
    ]
    assert all(e.district_id == refinement.district_id for e in trail)


def test_a_returned_refinement_carries_the_reason_and_may_be_changed_and_submitted_again(heping_staff, reviewer):
    refinement = refinement_submit(refinement=_draft(heping_staff), by=heping_staff)
    refinement = refinement_return(refinement=refinement, reason="表述不够具体", by=reviewer)
    assert refinement.status == Refinement.Status.RETURNED and refinement.return_reason == "表述不够具体"
    refinement = refinement_update(refinement=refinement, text="每栋楼设四分类投放点", by=heping_staff)
    refinement = refinement_submit(refinement=refinement, by=heping_staff)
    assert refinement.status == Refinement.Status.SUBMITTED and refinement.text == "每栋楼设四分类投放点"


def test_an_approved_refinement_cannot_be_changed_only_withdrawn(heping_staff, reviewer):
    refinement = _approved(heping_staff, reviewer)
    with pytest.raises(RefinementError, match="不能再修改"):
        refinement_update(refinement=refinement, text="改过的", by=heping_staff)
    refinement.refresh_from_db()
    assert refinement.text == "每栋楼设分类投放点"
    refinement = refinement_withdraw(refinement=refinement, by=heping_staff)
    assert refinement.status == Refinement.Status.WITHDRAWN


def test_only_the_districts_own_staff_write_and_only_the_commission_decides(
    heping_staff, hexi_staff, heping_street_staff, reviewer
):
    heping = District.objects.get(code=HEPING)
    for outsider in (hexi_staff, heping_street_staff, reviewer):
        with pytest.raises(RefinementError, match="和平区"):
            refinement_create(district=heping, item=_item(5), text="x", by=outsider)
    refinement = refinement_submit(refinement=_draft(heping_staff), by=heping_staff)
    for not_commission in (heping_staff, hexi_staff):
        with pytest.raises(RefinementError, match="只有市住房城乡建设委"):
            refinement_approve(refinement=refinement, by=not_commission)
    with pytest.raises(RefinementError, match="和平区"):
        refinement_withdraw(refinement=refinement, by=hexi_staff)
    refinement.refresh_from_db()
    assert refinement.status == Refinement.Status.SUBMITTED


def test_a_step_in_the_wrong_state_is_refused_in_chinese_and_changes_nothing(heping_staff, reviewer):
    refinement = _draft(heping_staff)
    with pytest.raises(RefinementError, match="草稿"):
        refinement_approve(refinement=refinement, by=reviewer)
    with pytest.raises(RefinementError, match="说明退回的理由"):
        refinement_return(refinement=refinement_submit(refinement=refinement, by=heping_staff), reason=" ", by=reviewer)
    assert Refinement.objects.get(pk=refinement.pk).status == Refinement.Status.SUBMITTED


@pytest.mark.parametrize(
    ("text", "guidance", "order", "message"),
    [
        ("  ", "", 0, "请填写细化指标"),
        ("长" * 201, "", 0, "200"),
        ("x", "长" * 2001, 0, "2000"),
        ("x", "", 1000, "999"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(heping_staff, text, guidance, order, message):
    with pytest.raises(RefinementError, match=message):
        refinement_create(
            district=District.objects.get(code=HEPING),
            item=_item(5),
            text=text,
            guidance=guidance,
            order=order,
            by=heping_staff,
        )
    assert not Refinement.objects.exists()
    assert not AuditEntry.objects.filter(content_type__model="refinement").exists()


def test_the_city_does_not_see_a_districts_drafts_and_a_district_never_sees_anothers(
    heping_staff, hexi_staff, reviewer
):
    draft = _draft(heping_staff)
    submitted = refinement_submit(refinement=_draft(heping_staff, number=8), by=heping_staff)
    assert set(Refinement.objects.visible_to(reviewer)) == {submitted}
    assert set(Refinement.objects.visible_to(heping_staff)) == {draft, submitted}
    assert not Refinement.objects.visible_to(hexi_staff).exists()


def test_the_comparison_puts_each_districts_approved_refinements_under_their_item(heping_staff, hexi_staff, reviewer):
    _approved(heping_staff, reviewer, text="和平的细化")
    _approved(hexi_staff, reviewer, code=HEXI, text="河西的细化")
    _approved(hexi_staff, reviewer, code=HEXI, number=9, text="坡道")
    refinement_submit(refinement=_draft(heping_staff, number=9, text="还在审"), by=heping_staff)
    rows = comparison(user=reviewer)
    assert [row["item"].number for row in rows] == [5, 9]
    assert [(d["district"].code, [r.text for r in d["refinements"]]) for d in rows[0]["districts"]] == [
        (HEPING, ["和平的细化"]),
        (HEXI, ["河西的细化"]),
    ]
    assert [d["district"].code for d in rows[1]["districts"]] == [HEXI]


# --- where approved refinements show ------------------------------------------------------------------------------


def _assignment(inspector, code: str):
    today = timezone.localdate()
    round_ = round_create(
        name="验收",
        year=today.year,
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=10),
        by=None,
    )
    team = team_create(round=round_, name=f"组{code}", members=[inspector], by=None)
    community = Community.objects.filter(street__district__code=code).order_by("code")[0]
    return assignments_create(round=round_, communities=[community], team=team, by=None)[0]


def test_a_refinement_appears_on_the_right_districts_checklist_only(
    client_for, inspector, heping_staff, hexi_staff, reviewer
):
    _approved(heping_staff, reviewer, text="和平区的垃圾分类细化指标")
    refinement_submit(refinement=_draft(heping_staff, number=8, text="尚未批准的细化"), by=heping_staff)
    _approved(hexi_staff, reviewer, code=HEXI, text="河西区的垃圾分类细化指标")
    heping_assignment = _assignment(inspector, HEPING)
    client = client_for(inspector)
    page = client.get(f"/inspect/{heping_assignment.pk}/").content.decode()
    assert "和平区的垃圾分类细化指标" in page
    assert "河西区的垃圾分类细化指标" not in page
    assert "尚未批准的细化" not in page
    # Under its own item, as guidance: the item keeps its own answer buttons.
    item_5 = page.split('id="item-5"')[1].split('id="item-6"')[0]
    assert "和平区的垃圾分类细化指标" in item_5 and "需提供佐证" in item_5 and 'name="result-5"' in item_5
    hexi_page = client.get(f"/inspect/{_assignment(inspector, HEXI).pk}/").content.decode()
    assert "河西区的垃圾分类细化指标" in hexi_page and "和平区的垃圾分类细化指标" not in hexi_page


def test_a_self_assessment_row_shows_its_districts_approved_refinements_only(
    client_for, heping_staff, hexi_staff, reviewer
):
    _approved(heping_staff, reviewer, text="和平区的细化")
    withdrawn = _approved(heping_staff, reviewer, number=8, text="已撤回的细化")
    refinement_withdraw(refinement=withdrawn, by=heping_staff)
    _approved(hexi_staff, reviewer, code=HEXI, text="河西区的细化")
    campaign = Campaign.objects.current()
    community = Community.objects.filter(street__district__code=HEPING).order_by("code")[0]
    enrolment_enrol(
        campaign=campaign, communities=[community], kind="pilot", joined_on=datetime.date(2020, 12, 1), by=None
    )
    report = report_open(
        campaign=campaign,
        kind="monthly",
        period=datetime.date(2021, 3, 1),
        district=District.objects.get(code=HEPING),
        by=heping_staff,
    )
    row = SelfAssessment.objects.get(community=community, period=report.period)
    page = client_for(heping_staff).get(f"/reports/{report.pk}/rows/{row.pk}/").content.decode()
    assert "和平区的细化" in page
    assert "已撤回的细化" not in page and "河西区的细化" not in page


# --- pages ----------------------------------------------------------------------------------------------------------


def test_a_district_adds_submits_and_the_commission_approves_on_the_pages(client, heping_staff, reviewer):
    client.force_login(heping_staff)
    response = client.post("/refinements/new/", {"item": "5", "text": "楼栋投放点", "guidance": "", "order": "0"})
    refinement = Refinement.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/refinements/{refinement.pk}/"
    client.post(f"/refinements/{refinement.pk}/submit/")
    assert "已提交" in client.get("/refinements/").content.decode()
    client.force_login(reviewer)
    queue = client.get("/refinements/review/").content.decode()
    assert "楼栋投放点" in queue and "和平区" in queue
    client.post(f"/refinements/{refinement.pk}/approve/")  # no confirmation ticked: nothing happens
    refinement.refresh_from_db()
    assert refinement.status == Refinement.Status.SUBMITTED
    client.post(f"/refinements/{refinement.pk}/approve/", {"confirm": "on"})
    refinement.refresh_from_db()
    assert refinement.status == Refinement.Status.APPROVED
    compare = client.get("/refinements/compare/").content.decode()
    assert "楼栋投放点" in compare and "和平区" in compare


def test_an_empty_form_is_answered_in_chinese_not_with_an_error_page(client_for, heping_staff):
    response = client_for(heping_staff).post("/refinements/new/", {"item": "5", "text": " ", "order": "x"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "该字段是必填项" in body and "请填写整数" in body and "细化指标" in body
    assert not Refinement.objects.exists()
    assert client_for(heping_staff).get("/refinements/new/?item=99").status_code == 404


def test_a_district_cannot_open_the_comparison_or_another_districts_refinement(client_for, heping_staff, hexi_staff):
    refinement = refinement_submit(refinement=_draft(heping_staff), by=heping_staff)
    client = client_for(hexi_staff)
    assert client.get("/refinements/compare/").status_code == 403
    assert client.get(f"/refinements/{refinement.pk}/").status_code == 404
    assert client.post(f"/refinements/{refinement.pk}/withdraw/", {"confirm": "on"}).status_code == 404
    assert "每栋楼设分类投放点" not in client.get("/refinements/").content.decode()


def test_the_demo_gives_two_districts_approved_refinements_and_one_waiting_and_adds_nothing_twice(make_user):
    make_user("commission", Role.COMMISSION_ADMIN)
    for code in ("120101", "120103", "120104"):
        make_user(f"district-{code}", Role.DISTRICT_STAFF, district=code)
    assert seed_refinements() == "refinements: 7 approved, 1 waiting for review"
    approved = Refinement.objects.approved()
    assert set(approved.values_list("district__code", flat=True)) == {"120101", "120103"}
    assert Refinement.objects.get(status=Refinement.Status.SUBMITTED).district.code == "120104"
    assert seed_refinements() == "refinements already present"
    assert Refinement.objects.count() == 8


# --- optional sub-checks on the checklist ------------------------------------------------------------------------


def test_sub_checks_are_saved_with_the_answer_and_never_change_the_items_result(inspector, heping_staff, reviewer):
    refinement = _approved(heping_staff, reviewer)
    inspection = inspection_start(assignment=_assignment(inspector, HEPING), by=inspector)
    sub = {str(refinement.pk): "met"}
    answer = answer_save(inspection=inspection, item_number=5, result="fails", note="缺", sub_checks=sub, by=inspector)
    assert answer.result == "fails" and answer.sub_checks == {str(refinement.pk): "met"}
    answer = answer_save(
        inspection=inspection,
        item_number=5,
        result="fails",
        note="缺",
        sub_checks={str(refinement.pk): ""},
        by=inspector,
    )
    assert InspectionAnswer.objects.get(pk=answer.pk).sub_checks is None
    assert AuditEntry.objects.filter(changes__has_key="item 5 sub-indicators").count() == 2


def test_a_sub_check_not_of_the_districts_approved_refinements_of_the_item_is_refused_in_chinese(
    inspector, heping_staff, hexi_staff, reviewer
):
    other_district = _approved(hexi_staff, reviewer, code=HEXI)
    other_item = _approved(heping_staff, reviewer, number=8)
    not_yet = refinement_submit(refinement=_draft(heping_staff), by=heping_staff)
    own = _approved(heping_staff, reviewer)
    inspection = inspection_start(assignment=_assignment(inspector, HEPING), by=inspector)
    for refused in (other_district, other_item, not_yet):
        with pytest.raises(AcceptanceError, match="请刷新页面"):
            answer_save(
                inspection=inspection,
                item_number=5,
                result="meets",
                note="",
                sub_checks={str(refused.pk): "met"},
                by=inspector,
            )
    with pytest.raises(AcceptanceError, match="未查"):
        answer_save(
            inspection=inspection,
            item_number=5,
            result="meets",
            note="",
            sub_checks={str(own.pk): "maybe"},
            by=inspector,
        )
    assert not InspectionAnswer.objects.filter(inspection=inspection).exists()


def test_the_checklist_sends_sub_checks_and_the_signed_record_keeps_them(client_for, inspector, heping_staff, reviewer):
    refinement = _approved(heping_staff, reviewer, text="投放点齐全")
    assignment = _assignment(inspector, HEPING)
    client = client_for(inspector)
    inspection_pk = client.post(f"/inspect/{assignment.pk}/start/").json()["inspection"]
    response = client.post(
        f"/inspect/answer/{inspection_pk}/",
        {"item": "5", "result": "meets", "note": "", f"sub-{refinement.pk}": "not_met"},
    )
    assert response.json()["ok"] is True
    page = client.get(f"/inspect/{assignment.pk}/").content.decode()
    assert f'name="sub-{refinement.pk}" value="not_met" data-sub="{refinement.pk}" checked' in page
    inspection = InspectionAnswer.objects.get(inspection_id=inspection_pk, item__number=5).inspection
    for n in range(1, 17):
        if n != 5:
            answer_save(inspection=inspection, item_number=n, result="meets", note="", by=inspector)
    signed = inspection_sign(inspection=inspection, by=inspector)
    assert signed.passed  # a sub-indicator not met leaves the item's result as the inspector gave it
    record = client.get(f"/acceptance/inspections/{signed.pk}/").content.decode()
    assert "投放点齐全：<strong>不符合</strong>" in record
    with pytest.raises(DatabaseError), transaction.atomic():
        InspectionAnswer.objects.filter(inspection=signed, item__number=5).update(sub_checks={})


def test_a_refinements_page_leads_each_reader_back_to_a_page_they_may_open(
    client, heping_staff, heping_street_staff, department_staff, reviewer
):
    refinement = refinement_submit(refinement=_draft(heping_staff), by=heping_staff)
    for reader in (heping_staff, heping_street_staff, department_staff, reviewer):
        client.force_login(reader)
        page = client.get(f"/refinements/{refinement.pk}/").content.decode()
        back = re.search(r'<div class="crumbs"><a href="([^"]+)"', page)
        assert back, reader
        assert client.get(back.group(1)).status_code in {200, 302}, (reader, back.group(1))


def test_a_district_refines_the_items_of_the_current_campaigns_standard_only(
    heping_staff, commission_admin, client_for
):
    """With a later campaign current on a revised copy of the standard, the district's page lists that standard's
    items once (not both versions'), and a new refinement refines the revised item."""
    from reporting.campaigns.services import campaign_make_current, campaign_open
    from standards.versions import standard_item_update, standard_version_copy

    old = Campaign.objects.current()
    revised = standard_version_copy(
        source=old.standard, name="天津市绿色社区创建标准（2025年修订）", by=commission_admin
    )
    item_5 = revised.items.get(number=5)
    standard_item_update(
        item=item_5,
        text="生活垃圾分类全覆盖（修订）",
        category=item_5.category,
        allows_not_applicable=False,
        by=commission_admin,
    )
    campaign = campaign_open(
        name="天津市绿色社区创建行动（2025—2027年）",
        issued_by="天津市住房和城乡建设委员会",
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2027, 12, 31),
        standard=revised,
        monthly_due_day=5,
        by=commission_admin,
    )
    campaign_make_current(campaign=campaign, by=commission_admin)
    client = client_for(heping_staff)

    page = client.get("/refinements/").content.decode()
    assert page.count("生活垃圾分类全覆盖（修订）") == 1
    assert StandardItem.objects.get(version=old.standard, number=5).text not in page
    client.post("/refinements/new/", {"item": "5", "text": "每栋楼设分类投放点", "guidance": "", "order": "0"})
    assert Refinement.objects.get().item == item_5
