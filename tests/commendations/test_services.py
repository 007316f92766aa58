"""Commendations: proposing, approving and declining, and every refusal in Chinese."""

from __future__ import annotations

import datetime

import pytest

from districts.models import AuditEntry
from reporting.commendations import services
from reporting.commendations.models import Commendation
from reporting.commendations.selectors import approved_by_kind

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2022, 12, 1)


def _propose(by, **kw):
    values = {"year": 2021, "kind": "unit", "name": "新华社区居委会", "reason": "创建成效显著", **kw}
    return services.commendation_propose(by=by, today=TODAY, **values)


def _refused(message: str, call, **kwargs) -> None:
    with pytest.raises(services.CommendationError) as caught:
        call(**kwargs)
    assert message in caught.value.message


def test_a_district_and_a_department_propose_for_their_own_unit(heping_staff, department_staff):
    by_district = _propose(heping_staff, affiliation="和平区劝业场街道")
    by_department = _propose(department_staff, kind="practice", name="楼道微更新")
    assert by_district.district.code == "120101" and by_district.department is None
    assert by_department.department.code == "zjw" and by_department.district is None
    assert by_district.status == Commendation.Status.PROPOSED
    entry = AuditEntry.objects.get(object_id=str(by_district.pk), content_type__model="commendation")
    assert entry.action == AuditEntry.Action.CREATE and entry.changes["name"] == [None, "新华社区居委会"]
    assert entry.district.code == "120101"


@pytest.mark.parametrize("role", ["reviewer", "heping_street_staff", "inspector"])
def test_only_districts_and_departments_propose(request, role):
    _refused("只有各区和市级部门可以推荐表扬对象", _propose, by=request.getfixturevalue(role))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "  "}, "请填写拟表扬的单位、个人或做法名称"),
        ({"reason": ""}, "请填写推荐理由"),
        ({"kind": "hero"}, "请选择推荐的是单位、个人还是做法"),
        ({"year": 2019}, "表扬年度应在2020年至2022年之间"),
        ({"year": 2023}, "表扬年度应在2020年至2022年之间"),
        ({"name": "名" * 201}, "各不超过200个字"),
    ],
)
def test_a_proposal_with_a_bad_field_is_refused(heping_staff, change, message):
    _refused(message, _propose, by=heping_staff, **change)
    assert not Commendation.objects.exists()


def test_the_same_proposal_twice_is_refused_unless_declined(heping_staff, reviewer):
    first = _propose(heping_staff)
    _refused("已推荐为2021年度表扬对象，不能重复推荐", _propose, by=heping_staff)
    services.commendation_decline(commendation=first, reason="材料不足", by=reviewer)
    assert _propose(heping_staff).status == Commendation.Status.PROPOSED


def test_the_commission_approves_and_the_step_is_audited(heping_staff, reviewer):
    proposal = _propose(heping_staff)
    approved = services.commendation_approve(commendation=proposal, by=reviewer)
    assert approved.status == Commendation.Status.APPROVED and approved.decided_by == reviewer and approved.decided_at
    entry = AuditEntry.objects.filter(object_id=str(proposal.pk), content_type__model="commendation").first()
    assert entry.action == AuditEntry.Action.TRANSITION and entry.changes["status"] == ["proposed", "approved"]


def test_declining_needs_a_reason_and_keeps_it(heping_staff, reviewer):
    proposal = _propose(heping_staff)
    _refused("请填写不予通过的理由", services.commendation_decline, commendation=proposal, reason=" ", by=reviewer)
    declined = services.commendation_decline(commendation=proposal, reason="事迹材料不足", by=reviewer)
    assert declined.status == Commendation.Status.DECLINED and declined.decision_reason == "事迹材料不足"


def test_a_decided_proposal_cannot_be_decided_again(heping_staff, reviewer):
    proposal = _propose(heping_staff)
    services.commendation_approve(commendation=proposal, by=reviewer)
    _refused(
        "该推荐已审核（已通过），不能再次审核",
        services.commendation_decline,
        commendation=proposal,
        reason="改",
        by=reviewer,
    )
    _refused("该推荐已审核（已通过）", services.commendation_approve, commendation=proposal, by=reviewer)


def test_only_the_commission_decides(heping_staff, department_staff):
    proposal = _propose(heping_staff)
    for user in (heping_staff, department_staff):
        _refused("只有市住房城乡建设委可以审核表扬推荐", services.commendation_approve, commendation=proposal, by=user)
    assert Commendation.objects.get(pk=proposal.pk).status == Commendation.Status.PROPOSED


def test_the_published_list_holds_only_approved_ones_of_the_year_by_kind(heping_staff, department_staff, reviewer):
    unit = _propose(heping_staff)
    person = _propose(heping_staff, kind="individual", name="王芳", affiliation="新华社区")
    practice = _propose(department_staff, kind="practice", name="楼道微更新")
    _propose(heping_staff, name="待审单位")
    declined = _propose(heping_staff, name="未通过单位")
    other_year = _propose(heping_staff, year=2022)
    for c in (practice, person, unit, other_year):
        services.commendation_approve(commendation=c, by=reviewer)
    services.commendation_decline(commendation=declined, reason="不符合条件", by=reviewer)
    groups = [(str(label), [c.name for c in rows]) for label, rows in approved_by_kind(2021)]
    assert groups == [("优秀单位", ["新华社区居委会"]), ("优秀个人", ["王芳"]), ("优秀做法", ["楼道微更新"])]


def test_a_decision_is_queued_and_tells_the_proposing_unit(heping_staff, hexi_staff, reviewer):
    from outbox.models import PendingTask
    from reporting.commendations.tasks import commendation_decided_notify
    from reporting.models import Notification

    proposal = _propose(heping_staff)
    services.commendation_decline(commendation=proposal, reason="事迹材料不足", by=reviewer)
    assert PendingTask.objects.filter(task=commendation_decided_notify.name, args=[proposal.pk]).exists()
    for _ in range(2):
        commendation_decided_notify(proposal.pk)
    assert Notification.objects.get(user=heping_staff).message == "2021年度表扬推荐“新华社区居委会”未通过：事迹材料不足"
    assert not Notification.objects.filter(user=hexi_staff).exists()
