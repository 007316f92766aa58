"""Demo commendations for 2021 and 2022: proposed by districts and departments in November, decided by the
commission in December (one declined, one still waiting), through the services and dated back. Safe to run
twice: it leaves existing commendations alone."""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from districts.models import AuditEntry, Community, Street
from reporting.models import Notification

from . import services
from .models import Commendation

LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)
D = datetime.date
# Each proposal: (proposer's login, year, kind, name, affiliation, reason, decision).
APPROVE, DECLINE, WAIT = "approve", "decline", "wait"


def _street(code: str) -> str:
    return Street.objects.filter(district__code=code, kind=Street.Kind.SUBDISTRICT).earliest("code").name


def _community(code: str) -> Community:
    return Community.objects.filter(district__code=code, kind="居委会").earliest("code")


def _proposals() -> list[tuple[str, int, str, str, str, str, str]]:
    return [
        (
            "district-120101",
            2021,
            "unit",
            _street("120101"),
            "和平区",
            "率先在辖区全部社区建立居民议事机制，试点社区全部达标。",
            APPROVE,
        ),
        (
            "district-120103",
            2021,
            "individual",
            "李秀兰",
            f"河西区{_community('120103').name}党委书记",
            "带领居民推行垃圾分类“绿色积分”，分类准确率大幅提高。",
            APPROVE,
        ),
        (
            "dept-zjw",
            2021,
            "practice",
            "“居民议事厅”共商老旧楼道改造",
            f"和平区{_community('120101').name}",
            "共同缔造理念落实到位，做法可复制可推广，已在全市现场会上交流。",
            APPROVE,
        ),
        ("district-120104", 2021, "unit", _community("120104").name, "南开区", "完成海绵化改造。", DECLINE),
        ("district-120116", 2022, "unit", _street("120116"), "滨海新区", "辖区社区创建达标率居全区首位。", APPROVE),
        (
            "district-120105",
            2022,
            "individual",
            "赵建国",
            f"河北区{_community('120105').name}物业服务中心经理",
            "组织物业团队配合完成适老化改造，长期义务为老年居民维修。",
            APPROVE,
        ),
        (
            "dept-cgw",
            2022,
            "practice",
            "垃圾分类“绿色积分”兑换",
            f"河西区{_community('120103').name}",
            "以积分激励带动居民参与，成本低、见效快。",
            APPROVE,
        ),
        ("district-120111", 2022, "unit", _street("120111"), "西青区", "组织开展绿色生活公约宣传。", WAIT),
    ]


DECLINE_REASON = "推荐材料未说明创建成效，请在下一年度补充后再行推荐。"


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=LOCAL)


def seed_commendations() -> str:
    if Commendation.objects.exists():
        return "commendations already present, left as they are"
    User = get_user_model()
    commission = User.objects.get(username="reviewer")
    counts = {APPROVE: 0, DECLINE: 0, WAIT: 0}
    content_type = ContentType.objects.get_for_model(Commendation)
    with transaction.atomic():
        for login, year, kind, name, affiliation, reason, decision in _proposals():
            proposal = services.commendation_propose(
                year=year,
                kind=kind,
                name=name,
                affiliation=affiliation,
                reason=reason,
                by=User.objects.get(username=login),
            )
            if decision == APPROVE:
                services.commendation_approve(commendation=proposal, by=commission)
            elif decision == DECLINE:
                services.commendation_decline(commendation=proposal, reason=DECLINE_REASON, by=commission)
            counts[decision] += 1
            proposed_at, decided_at = _at(D(year, 11, 20), 10), _at(D(year, 12, 10), 15)
            Commendation.objects.filter(pk=proposal.pk).update(
                proposed_at=proposed_at, **({"decided_at": decided_at} if decision != WAIT else {})
            )
            entries = AuditEntry.objects.filter(content_type=content_type, object_id=str(proposal.pk)).order_by("id")
            for entry, moment in zip(entries, (proposed_at, decided_at), strict=False):
                AuditEntry.objects.filter(pk=entry.pk).update(at=moment)
    # The decisions' notifications (sent in process when there is no broker) are dated, and read, back then.
    for commendation in Commendation.objects.exclude(status=Commendation.Status.PROPOSED):
        Notification.objects.filter(key=f"commendation-decided:{commendation.pk}").update(
            created_at=commendation.decided_at, read_at=commendation.decided_at + datetime.timedelta(days=1)
        )
    return (
        f"commendations: {counts[APPROVE]} approved, {counts[DECLINE]} declined, {counts[WAIT]} waiting "
        "for 2021 and 2022"
    )
