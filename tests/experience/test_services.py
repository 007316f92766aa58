"""The experience library's services: every state change, and every refusal in Chinese."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from districts.models import AuditEntry, Community
from reporting.experience import services
from reporting.experience.models import ExperienceCase, ExperienceCaseStep
from standards.models import Evidence, StandardItem

from .conftest import png_upload

pytestmark = pytest.mark.django_db
Status = ExperienceCase.Status


def _trail(case) -> list[tuple[str, dict]]:
    ct = ContentType.objects.get_for_model(ExperienceCase)
    return [
        (e.action, e.changes)
        for e in AuditEntry.objects.filter(content_type=ct, object_id=str(case.pk)).order_by("at", "id")
    ]


def _refused(message: str, call, **kwargs) -> None:
    with pytest.raises(services.ExperienceError) as caught:
        call(**kwargs)
    assert message in caught.value.message


def test_a_district_creates_a_draft_with_its_communities_items_and_cost(make_case, heping_communities):
    case = make_case(items=(3, 5), communities=heping_communities[:2], cost=Decimal("12000.50"))
    assert case.status == Status.DRAFT and case.district.code == "120101"
    assert sorted(i.number for i in case.items.all()) == [3, 5]
    assert set(case.communities.all()) == set(heping_communities[:2])
    assert case.cost == Decimal("12000.50")
    ((action, changes),) = _trail(case)
    assert action == AuditEntry.Action.CREATE and changes["title"] == [None, "楼道微更新"]
    assert changes["items"] == [None, [3, 5]]
    assert [s.action for s in case.steps.all()] == [ExperienceCaseStep.Action.CREATED]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "  ", "请填写标题"),
        ("measures", "", "请填写主要做法"),
        ("items", (), "请至少选择一项涉及的创建标准条目"),
        ("cost", Decimal("-1"), "投入费用不能为负数"),
    ],
)
def test_a_case_with_an_empty_or_negative_field_is_refused(make_case, field, value, message):
    with pytest.raises(services.ExperienceError) as caught:
        make_case(**{field: value}) if field != "title" else make_case(value)
    assert message in caught.value.message
    assert not ExperienceCase.objects.exists()


def test_a_case_needs_a_community_of_its_own_district(make_case):
    _refused("请至少选择一个实施的社区", make_case, communities=[])
    other = Community.objects.filter(district__code="120103").first()
    with pytest.raises(services.ExperienceError) as caught:
        make_case(communities=[other])
    assert other.name in caught.value.message and "只能涉及本区的社区" in caught.value.message


def test_only_the_districts_own_staff_write_its_cases(make_case, hexi_staff, heping_street_staff, reviewer):
    for user in (hexi_staff, heping_street_staff, reviewer):
        _refused("只有和平区的工作人员可以填写或修改本区的经验做法", make_case, by=user)
    assert not ExperienceCase.objects.exists()


def test_a_draft_is_edited_and_the_change_audited(make_case, heping_staff, heping_communities):
    case = make_case()
    services.case_update(
        case=case,
        title="楼道微更新（修订）",
        communities=heping_communities[:2],
        items=list(StandardItem.objects.filter(number=6)),
        measures=case.measures,
        results="楼道整洁，居民满意。",
        cost=None,
        by=heping_staff,
    )
    case.refresh_from_db()
    assert case.title == "楼道微更新（修订）" and case.cost is None
    action, changes = _trail(case)[-1]
    assert action == AuditEntry.Action.UPDATE
    assert changes["items"] == [[5], [6]] and changes["cost"] == ["12000.00", None]
    assert "measures" not in changes


def test_submit_return_resubmit_publish(make_case, heping_staff, reviewer):
    case = make_case()
    case = services.case_submit(case=case, by=heping_staff)
    assert case.status == Status.SUBMITTED and case.submitted_at
    case = services.case_return(case=case, comment="请补充居民参与情况。", by=reviewer)
    assert case.status == Status.RETURNED
    case = services.case_submit(case=case, by=heping_staff)
    assert case.status == Status.SUBMITTED
    case = services.case_publish(case=case, by=reviewer, comment="内容翔实")
    assert case.status == Status.PUBLISHED and case.published_at and case.published_by == reviewer
    steps = [(s.action, s.comment) for s in case.steps.all()]
    assert steps == [
        ("created", ""),
        ("submitted", ""),
        ("returned", "请补充居民参与情况。"),
        ("submitted", ""),
        ("published", "内容翔实"),
    ]
    statuses = [c["status"] for a, c in _trail(case) if a == AuditEntry.Action.TRANSITION]
    assert statuses == [
        ["draft", "submitted"],
        ["submitted", "returned"],
        ["returned", "submitted"],
        ["submitted", "published"],
    ]


def test_submitting_without_results_is_refused(make_case, heping_staff):
    case = make_case(results="")
    _refused("请先填写取得成效", services.case_submit, case=case, by=heping_staff)
    case.refresh_from_db()
    assert case.status == Status.DRAFT


def test_a_submitted_or_published_case_cannot_be_edited_or_submitted_again(
    make_case, published_case, heping_staff, heping_communities
):
    case = make_case()
    services.case_submit(case=case, by=heping_staff)
    _refused(
        "当前状态为“待审核”，只有草稿或退回修改时才能修改",
        services.case_update,
        case=case,
        title="改",
        communities=heping_communities[:1],
        items=list(StandardItem.objects.filter(number=1)),
        measures="做法",
        results="",
        cost=None,
        by=heping_staff,
    )
    _refused("当前状态为“待审核”，不能进行此操作", services.case_submit, case=case, by=heping_staff)
    published = published_case()
    _refused("当前状态为“已发布”，不能进行此操作", services.case_submit, case=published, by=heping_staff)


def test_publishing_an_unsubmitted_case_is_refused(make_case, heping_staff, reviewer):
    draft = make_case()
    _refused("该经验做法尚未提交，只有已提交的经验做法才能发布", services.case_publish, case=draft, by=reviewer)
    services.case_submit(case=draft, by=heping_staff)
    returned = services.case_return(case=draft, comment="补充材料", by=reviewer)
    _refused("尚未提交", services.case_publish, case=returned, by=reviewer)
    assert ExperienceCase.objects.get(pk=draft.pk).status == Status.RETURNED


def test_publishing_twice_and_returning_a_published_case_are_refused(published_case, reviewer):
    case = published_case()
    _refused("当前状态为“已发布”", services.case_publish, case=case, by=reviewer)
    _refused("当前状态为“已发布”", services.case_return, case=case, comment="再改", by=reviewer)


def test_returning_needs_comments_and_the_commission(make_case, heping_staff, reviewer, department_staff):
    case = services.case_submit(case=make_case(), by=heping_staff)
    _refused("退回前请写明需要修改的内容", services.case_return, case=case, comment="  ", by=reviewer)
    _refused("只有市住房城乡建设委可以审核和发布", services.case_return, case=case, comment="改", by=heping_staff)
    _refused("只有市住房城乡建设委可以审核和发布", services.case_publish, case=case, by=department_staff)
    assert ExperienceCase.objects.get(pk=case.pk).status == Status.SUBMITTED


def test_a_published_case_is_marked_replicable_and_linked_to_a_meeting(published_case, reviewer, onsite_event):
    case = published_case()
    case = services.case_promote(case=case, replicable=True, event=onsite_event, by=reviewer)
    assert case.replicable and case.event == onsite_event
    action, changes = _trail(case)[-1]
    assert action == AuditEntry.Action.UPDATE
    assert changes == {"replicable": [False, True], "event": [None, "全市绿色社区创建现场会"]}


def test_publish_can_mark_replicable_and_link_at_once(make_case, heping_staff, reviewer, onsite_event):
    case = services.case_submit(case=make_case(), by=heping_staff)
    case = services.case_publish(case=case, by=reviewer, replicable=True, event=onsite_event)
    assert case.status == Status.PUBLISHED and case.replicable and case.event == onsite_event


def test_only_a_published_case_is_promoted(make_case, heping_staff, reviewer, onsite_event):
    case = services.case_submit(case=make_case(), by=heping_staff)
    _refused(
        "只有已发布的经验做法才能标为可复制可推广",
        services.case_promote,
        case=case,
        replicable=True,
        event=None,
        by=reviewer,
    )
    _refused("只有市住房城乡建设委", services.case_promote, case=case, replicable=True, event=None, by=heping_staff)


def test_files_are_added_and_removed_while_editable(make_case, heping_staff, reviewer):
    case = make_case()
    evidence = services.case_file_add(case=case, upload=png_upload(), caption="改造后", by=heping_staff)
    assert evidence.owner == case and evidence.district.code == "120101" and evidence.thumbnail
    services.case_file_remove(case=case, evidence=evidence, by=heping_staff)
    assert Evidence.objects.get(pk=evidence.pk).removed_at is not None
    services.case_submit(case=case, by=heping_staff)
    _refused(
        "只有草稿或退回修改时才能添加或删除文件",
        services.case_file_add,
        case=case,
        upload=png_upload(),
        by=heping_staff,
    )


def test_a_disguised_file_is_refused_in_chinese(make_case, heping_staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = make_case()
    script = SimpleUploadedFile("photo.jpg", b"#!/bin/sh\necho hi\n", content_type="image/jpeg")
    _refused("不是平台接受的文件类型", services.case_file_add, case=case, upload=script, by=heping_staff)
    assert not Evidence.objects.exists()


def test_another_districts_staff_cannot_attach_files(make_case, hexi_staff):
    case = make_case()
    _refused("只有和平区的工作人员", services.case_file_add, case=case, upload=png_upload(), by=hexi_staff)


def test_a_meeting_is_recorded_and_audited(onsite_event):
    assert onsite_event.communities.count() == 2
    entry = AuditEntry.objects.get(object_id=str(onsite_event.pk), content_type__model="exchangeevent")
    assert entry.changes["held_on"] == [None, "2021-09-16"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "请填写会议名称"),
        ({"held_on": None}, "请填写召开日期"),
        ({"host": " "}, "请填写主办单位"),
        ({"attendees": ""}, "请填写参会人员"),
        ({"communities": []}, "现场会至少观摩一个社区"),
        ({"kind": "party"}, "请选择会议类型"),
    ],
)
def test_a_meeting_with_a_missing_field_is_refused(reviewer, heping_communities, change, message):
    values = {
        "kind": "onsite",
        "title": "现场会",
        "held_on": datetime.date(2021, 9, 16),
        "host": "市住房城乡建设委",
        "communities": heping_communities[:1],
        "attendees": "各区",
        **change,
    }
    _refused(message, services.event_create, by=reviewer, **values)


def test_only_the_commission_records_meetings(heping_staff):
    _refused(
        "只有市住房城乡建设委",
        services.event_create,
        kind="exchange",
        title="经验交流会",
        held_on=datetime.date(2022, 6, 1),
        host="市住房城乡建设委",
        communities=[],
        attendees="各区",
        by=heping_staff,
    )


def test_each_review_step_is_queued_and_tells_the_other_side(make_case, heping_staff, reviewer, hexi_staff):
    from outbox.models import PendingTask
    from reporting.experience.tasks import case_step_notify
    from reporting.models import Notification

    case = services.case_submit(case=make_case(), by=heping_staff)
    services.case_return(case=case, comment="请补充照片", by=reviewer)
    steps = {s.action: s for s in case.steps.all()}
    queued = PendingTask.objects.filter(task=case_step_notify.name)
    assert sorted(p.args[0] for p in queued) == sorted([steps["submitted"].pk, steps["returned"].pk])
    # Run as the worker would, twice: one notification each, to the commission and to 和平区 only.
    for _ in range(2):
        case_step_notify(steps["submitted"].pk)
        case_step_notify(steps["returned"].pk)
    assert Notification.objects.get(user=reviewer).message == "和平区报送了经验做法“楼道微更新”，请审核。"
    assert Notification.objects.get(user=heping_staff).message == "经验做法“楼道微更新”已退回：请补充照片"
    assert not Notification.objects.filter(user=hexi_staff).exists()
