"""Every state change of supervision and every refusal, through the services, with the audit trail they write."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from districts.models import AuditEntry, Community
from reporting.supervision import services
from reporting.supervision.models import Finding, RequiredAction, RequiredActionStep, Supervision
from reporting.supervision.services import SupervisionError
from standards.models import Evidence

from .conftest import district, item, photo

pytestmark = pytest.mark.django_db
D = datetime.date


def _audit(obj) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)).order_by(
            "id"
        )
    )


def _open(by, **overrides):
    values = {
        "kind": "site_check",
        "title": "现场检查",
        "held_on": D(2021, 6, 18),
        "districts": [district("120101")],
        "by": by,
        "today": D(2021, 6, 18),
    }
    values.update(overrides)
    return services.supervision_open(**values)


# --- opening and editing ----------------------------------------------------------------------------------------


def test_the_commission_opens_in_its_own_name_and_the_opening_is_audited(reviewer):
    community = Community.objects.filter(district__code="120101").order_by("code").first()
    supervision = _open(reviewer, communities=[community], items=[item(5)], participants="王强、李娜")
    assert supervision.opened_by_department is None and supervision.opened_by == reviewer
    assert list(supervision.communities.all()) == [community] and list(supervision.items.all()) == [item(5)]
    [entry] = _audit(supervision)
    assert entry.action == "create" and entry.actor == reviewer and entry.district.code == "120101"
    assert entry.changes["districts"] == [None, ["和平区"]] and entry.changes["items"] == [None, ["5"]]


def test_a_department_opens_in_its_departments_name(department_staff):
    supervision = _open(department_staff, kind="directive")
    assert supervision.opened_by_department.code == "zjw" and supervision.opener_label == "市住房城乡建设委"


@pytest.mark.parametrize("role", ["heping_staff", "heping_street_staff", "inspector"])
def test_districts_streets_and_inspectors_cannot_open(request, role):
    with pytest.raises(SupervisionError, match="只有市住房城乡建设委和市级部门可以发起督导"):
        _open(request.getfixturevalue(role))
    assert not Supervision.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "visit"}, "请选择督导形式"),
        ({"title": "  "}, "请填写督导主题"),
        ({"held_on": None}, "请填写督导日期"),
        ({"held_on": D(2021, 6, 19)}, "督导日期为2021年6月19日，晚于今天"),
        ({"districts": []}, "请至少选择一个督导涉及的区"),
        ({"participants": "人" * 1001}, "参加人员最多1000个字"),
    ],
)
def test_opening_refuses_bad_input_in_chinese(reviewer, overrides, message):
    with pytest.raises(SupervisionError, match=message):
        _open(reviewer, **overrides)
    assert not Supervision.objects.exists()


def test_opening_refuses_a_community_outside_the_districts(reviewer):
    hexi_community = Community.objects.filter(district__code="120103").order_by("code").first()
    with pytest.raises(SupervisionError) as refused:
        _open(reviewer, communities=[hexi_community])
    assert refused.value.message == f"以下社区不在所选的区内：{hexi_community.name}。"


def test_the_opener_edits_and_the_change_is_audited(directive, department_staff):
    services.supervision_edit(
        supervision=directive,
        kind="survey",
        title="消防通道专题调研",
        held_on=D(2021, 6, 17),
        districts=[district("120101"), district("120103"), district("120104")],
        items=[item(8)],
        participants="城市更新处 王强",
        by=department_staff,
        today=D(2021, 6, 30),
    )
    directive.refresh_from_db()
    assert directive.kind == "survey" and directive.held_on == D(2021, 6, 17)
    assert sorted(directive.districts.values_list("code", flat=True)) == ["120101", "120103", "120104"]
    entry = _audit(directive)[-1]
    assert entry.action == "update" and entry.changes["kind"] == ["directive", "survey"]
    assert entry.changes["items"] == [["5", "8"], ["8"]] and "participants" not in entry.changes


def test_another_department_and_the_commission_cannot_edit_a_departments_action(
    directive, other_department_staff, reviewer
):
    for someone in (other_department_staff, reviewer):
        with pytest.raises(SupervisionError, match="只有市住房城乡建设委（本督导的发起单位）可以修改"):
            services.supervision_edit(
                supervision=directive,
                kind="directive",
                title="改",
                held_on=D(2021, 6, 18),
                districts=[district("120101")],
                by=someone,
                today=D(2021, 7, 1),
            )
    directive.refresh_from_db()
    assert directive.title == "消防通道专项督办"


def test_editing_keeps_a_district_with_required_actions_and_the_date_before_the_deadlines(
    heping_action, directive, department_staff
):
    base = {
        "supervision": directive,
        "kind": "directive",
        "title": "消防通道专项督办",
        "by": department_staff,
        "today": D(2021, 9, 1),
    }
    with pytest.raises(SupervisionError, match="不能移除和平区：本督导有针对它的问题或督办事项"):
        services.supervision_edit(held_on=D(2021, 6, 18), districts=[district("120103")], **base)
    with pytest.raises(SupervisionError, match="督导日期不能晚于其督办事项最早的办理期限2021年7月31日"):
        services.supervision_edit(held_on=D(2021, 8, 1), districts=[district("120101")], **base)


# --- findings ---------------------------------------------------------------------------------------------------


def test_a_finding_with_a_photo_keeps_the_photo_under_the_finding(directive, department_staff):
    finding = services.finding_add(
        supervision=directive,
        item=item(8),
        district=district("120101"),
        text="消防通道被占压",
        upload=photo(),
        caption="楼间通道",
        by=department_staff,
    )
    [evidence] = Evidence.objects.filter(owner_type=ContentType.objects.get_for_model(Finding), owner_id=finding.pk)
    assert evidence.kind == "image" and evidence.district.code == "120101" and evidence.item.number == 8
    assert evidence.caption == "楼间通道"
    assert _audit(finding)[0].changes["text"] == [None, "消防通道被占压"]


def test_a_finding_of_a_one_district_action_belongs_to_that_district(department_staff):
    supervision = _open(department_staff, items=[item(5)])
    finding = services.finding_add(supervision=supervision, item=item(5), text="桶站标识不清", by=department_staff)
    assert finding.district.code == "120101"


@pytest.mark.parametrize(
    ("number", "code", "text", "message"),
    [
        (9, "", "问题", "第9项不在本次督导涉及的标准条目中"),
        (8, "120104", "问题", "南开区不是本次督导涉及的区"),
        (8, "", "  ", "请写明发现的问题"),
    ],
)
def test_a_finding_is_refused_off_the_actions_items_or_districts_or_without_text(
    directive, department_staff, number, code, text, message
):
    with pytest.raises(SupervisionError, match=message):
        services.finding_add(
            supervision=directive,
            item=item(number),
            district=district(code) if code else None,
            text=text,
            by=department_staff,
        )
    assert not Finding.objects.exists()


def test_a_finding_with_a_file_that_is_not_accepted_is_not_kept(directive, department_staff):
    script = SimpleUploadedFile("photo.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    with pytest.raises(SupervisionError, match="不是平台接受的文件类型"):
        services.finding_add(supervision=directive, item=item(8), text="问题", upload=script, by=department_staff)
    assert not Finding.objects.exists() and not Evidence.objects.exists()


# --- required actions: set, answer, send back, close -------------------------------------------------------------


def test_setting_a_required_action_is_audited(heping_action):
    assert heping_action.status == "open" and heping_action.set_on == D(2021, 6, 21)
    [entry] = _audit(heping_action)
    assert entry.district.code == "120101" and entry.changes["due_on"] == [None, "2021-07-31"]


@pytest.mark.parametrize(
    ("code", "due_on", "text", "message"),
    [
        ("120101", D(2021, 6, 17), "整改", "办理期限2021年6月17日早于督导日期2021年6月18日"),
        ("120101", D(2021, 6, 20), "整改", "办理期限2021年6月20日早于提出日期2021年6月21日"),
        ("120101", None, "整改", "请填写办理期限"),
        ("120104", D(2021, 7, 31), "整改", "南开区不是本次督导涉及的区"),
        ("120101", D(2021, 7, 31), "", "请写明区里需要做什么"),
    ],
)
def test_a_required_action_is_refused_with_a_bad_deadline_district_or_text(
    directive, department_staff, code, due_on, text, message
):
    with pytest.raises(SupervisionError, match=message):
        services.required_action_set(
            supervision=directive,
            district=district(code),
            text=text,
            due_on=due_on,
            by=department_staff,
            on=D(2021, 6, 21),
        )
    assert not RequiredAction.objects.exists()


def test_the_district_answers_with_a_photo_and_the_opener_closes(heping_action, heping_staff, department_staff):
    answered = services.required_action_answer(
        required=heping_action,
        text="已清理车辆并施划标线",
        upload=photo("标线.png"),
        by=heping_staff,
        on=D(2021, 7, 20),
    )
    assert answered.status == "answered" and answered.answered_on == D(2021, 7, 20)
    files = Evidence.objects.filter(owner_type=ContentType.objects.get_for_model(RequiredAction), owner_id=answered.pk)
    assert [f.original_name for f in files] == ["标线.png"]
    closed = services.required_action_close(
        required=heping_action, note="复核到位", by=department_staff, on=D(2021, 7, 26)
    )
    assert closed.status == "closed" and closed.closed_on == D(2021, 7, 26) and closed.closed_by == department_staff
    steps = list(RequiredActionStep.objects.filter(required_action=heping_action).values_list("kind", "text", "on"))
    assert steps == [("answered", "已清理车辆并施划标线", D(2021, 7, 20)), ("closed", "复核到位", D(2021, 7, 26))]
    transitions = [e.changes["status"] for e in _audit(heping_action) if e.action == "transition"]
    assert transitions == [["open", "answered"], ["answered", "closed"]]


def test_sent_back_the_district_answers_again(heping_action, heping_staff, department_staff):
    services.required_action_answer(required=heping_action, text="已清理", by=heping_staff, on=D(2021, 7, 20))
    returned = services.required_action_return(
        required=heping_action, reason="缺少整改后照片", by=department_staff, on=D(2021, 7, 22)
    )
    assert returned.status == "returned" and returned.return_reason == "缺少整改后照片"
    again = services.required_action_answer(
        required=heping_action, text="已清理并补充照片", upload=photo(), by=heping_staff, on=D(2021, 7, 25)
    )
    assert again.status == "answered" and again.answer == "已清理并补充照片"
    kinds = list(RequiredActionStep.objects.filter(required_action=heping_action).values_list("kind", flat=True))
    assert kinds == ["answered", "returned", "answered"]


def test_a_step_cannot_be_dated_before_the_visit_or_after_today(
    directive, heping_action, heping_staff, department_staff
):
    with pytest.raises(SupervisionError, match="督办事项的提出日期不能早于督导日期2021年6月18日"):
        services.required_action_set(
            supervision=directive,
            district=district("120101"),
            text="整改",
            due_on=D(2021, 7, 31),
            by=department_staff,
            on=D(2021, 6, 17),
        )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(SupervisionError, match="晚于今天"):
        services.required_action_answer(required=heping_action, text="已办", by=heping_staff, on=tomorrow)
    with pytest.raises(SupervisionError, match="答复日期不能早于督办事项的提出日期2021年6月21日"):
        services.required_action_answer(required=heping_action, text="已办", by=heping_staff, on=D(2021, 6, 20))
    services.required_action_answer(required=heping_action, text="已办", by=heping_staff, on=D(2021, 7, 20))
    with pytest.raises(SupervisionError, match="办结日期不能早于答复日期2021年7月20日"):
        services.required_action_close(required=heping_action, by=department_staff, on=D(2021, 7, 19))
    assert RequiredAction.objects.get().status == "answered"


def test_an_answer_without_text_is_refused(heping_action, heping_staff):
    with pytest.raises(SupervisionError, match="请先写明做了什么再答复"):
        services.required_action_answer(required=heping_action, text=" ", by=heping_staff, on=D(2021, 7, 20))
    heping_action.refresh_from_db()
    assert heping_action.status == "open"


@pytest.mark.parametrize("role", ["hexi_staff", "heping_street_staff", "department_staff", "reviewer"])
def test_only_the_districts_own_staff_answer(request, heping_action, role):
    with pytest.raises(SupervisionError, match="只有和平区的工作人员可以答复"):
        services.required_action_answer(
            required=heping_action, text="已办", by=request.getfixturevalue(role), on=D(2021, 7, 20)
        )
    assert not RequiredActionStep.objects.exists()


def test_an_answered_action_waits_for_the_opener(heping_action, heping_staff):
    services.required_action_answer(required=heping_action, text="已办", by=heping_staff, on=D(2021, 7, 20))
    with pytest.raises(SupervisionError, match="已于2021年7月20日答复，正在等待市住房城乡建设委办结或退回"):
        services.required_action_answer(required=heping_action, text="再报", by=heping_staff, on=D(2021, 7, 21))


def test_a_closed_action_takes_nothing_more(heping_action, heping_staff, department_staff):
    services.required_action_answer(required=heping_action, text="已办", by=heping_staff, on=D(2021, 7, 20))
    services.required_action_close(required=heping_action, by=department_staff, on=D(2021, 7, 26))
    closed = "该督办事项已于2021年7月26日办结，不能再办理"
    with pytest.raises(SupervisionError, match=closed):
        services.required_action_answer(required=heping_action, text="补充", by=heping_staff, on=D(2021, 7, 27))
    with pytest.raises(SupervisionError, match=closed):
        services.required_action_close(required=heping_action, by=department_staff, on=D(2021, 7, 27))
    with pytest.raises(SupervisionError, match=closed):
        services.required_action_return(
            required=heping_action, reason="重新办理", by=department_staff, on=D(2021, 7, 27)
        )


def test_an_unanswered_action_can_be_neither_closed_nor_sent_back(heping_action, department_staff):
    with pytest.raises(SupervisionError, match="和平区尚未答复，答复后才能办结"):
        services.required_action_close(required=heping_action, by=department_staff, on=D(2021, 7, 26))
    with pytest.raises(SupervisionError, match="和平区尚未答复，答复后才能退回"):
        services.required_action_return(required=heping_action, reason="未办", by=department_staff, on=D(2021, 7, 26))


def test_sending_back_needs_a_reason_and_only_the_opener_decides(
    heping_action, heping_staff, department_staff, other_department_staff, reviewer
):
    services.required_action_answer(required=heping_action, text="已办", by=heping_staff, on=D(2021, 7, 20))
    with pytest.raises(SupervisionError, match="请填写退回的理由"):
        services.required_action_return(required=heping_action, reason="", by=department_staff)
    for someone in (other_department_staff, reviewer, heping_staff):
        with pytest.raises(SupervisionError, match="只有市住房城乡建设委（本督导的发起单位）可以修改"):
            services.required_action_close(required=heping_action, by=someone, on=D(2021, 7, 26))
    heping_action.refresh_from_db()
    assert heping_action.status == "answered"


def test_overdue_is_read_from_the_dates(heping_action, heping_staff, department_staff):
    rows = RequiredAction.objects
    assert not rows.overdue_on(D(2021, 7, 31)).exists() and rows.overdue_on(D(2021, 8, 1)).exists()
    services.required_action_answer(required=heping_action, text="已办", by=heping_staff, on=D(2021, 8, 3))
    services.required_action_close(required=heping_action, by=department_staff, on=D(2021, 8, 5))
    # Closed on 5 August: overdue from 1 to 4 August, as any later reading of those days still says.
    assert rows.overdue_on(D(2021, 8, 4)).exists() and not rows.overdue_on(D(2021, 8, 5)).exists()
    assert not rows.overdue_on(D(2021, 6, 20)).exists()
