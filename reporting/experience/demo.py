"""Demo experience library on the real 2021–2022 timeline: published cases (two shown at the 2021 现场会, one at
the 2022 经验交流会) and one case returned for changes, made through the services as the districts and the
commission would, then dated back to when it happened. Safe to run twice: it leaves an existing library alone."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from districts.models import AuditEntry, Community, District
from reporting.campaigns.selectors import current_standard_items
from reporting.models import Notification

from . import services
from .models import ExchangeEvent, ExperienceCase, ExperienceCaseStep

LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)
D = datetime.date

# (district, title, items, what was done, results, cost in yuan, submitted on, published on or None, mark)
CASES = (
    (
        "120101",
        "“居民议事厅”共商老旧楼道改造",
        (1, 2, 3),
        "街道党工委牵头，在社区设立“居民议事厅”，每月召开楼门长、物业和居民代表议事会；邀请社区规划师入户征求意见，"
        "形成“一楼一策”改造方案，改造内容由居民投票确定。",
        "完成12个楼门的楼道粉刷、照明和扶手改造，居民参与议事达860人次，改造满意度96%。",
        Decimal("186000"),
        D(2021, 6, 8),
        D(2021, 6, 18),
        "onsite",
    ),
    (
        "120103",
        "垃圾分类“绿色积分”兑换",
        (5, 15),
        "在小区设置4个定时定点投放站，居民分类投放可累积“绿色积分”，每月在社区服务站兑换生活用品；志愿者在投放高峰"
        "时段值守指导。",
        "居民分类投放准确率由45%提高到88%，参与家庭占常住户数的七成以上。",
        Decimal("42000"),
        D(2021, 7, 26),
        D(2021, 8, 5),
        "onsite",
    ),
    (
        "120104",
        "雨水花园与透水铺装的海绵化改造",
        (5, 6, 7),
        "结合老旧小区改造，将两处低洼硬化场地改建为下沉式雨水花园，人行道改为透水铺装，屋面雨水断接引入绿地。",
        "雨季积水点由6处减少为0处，新增公共绿地1200平方米，改造材料就地取材，造价低于常规做法。",
        Decimal("1250000"),
        D(2021, 10, 28),
        D(2021, 11, 10),
        "",
    ),
    (
        "120105",
        "公共空间适老化改造与无障碍坡道",
        (9, 7),
        "逐楼排查出入口高差，加装无障碍坡道和扶手；在小广场增设带靠背座椅和夜间照明，方便老年人休憩。",
        "建成无障碍坡道31处，惠及60岁以上居民1400余人。",
        Decimal("320000"),
        D(2022, 4, 11),
        D(2022, 4, 22),
        "exchange",
    ),
    (
        "120116",
        "智慧安防与停车秩序综合治理",
        (8, 11),
        "安装人脸识别门禁和高空抛物监控，施划停车位并开通共享停车，消防通道设置禁停标识和监控提醒。",
        "小区可盗案件同比下降七成，消防通道占用投诉基本消除。",
        Decimal("560000"),
        D(2022, 7, 4),
        D(2022, 7, 15),
        "",
    ),
    (
        "120111",
        "绿色生活公约进万家",
        (13, 15),
        "社区组织居民讨论制定《绿色生活行为公约》，在宣传栏和业主群发布。",
        "公约已张贴到每个楼门。",
        None,
        D(2022, 5, 10),
        None,
        "",
    ),
)
RETURN_COMMENT = "请补充公约制定过程中居民参与的情况和实施后的变化，并附相关照片。"


def _moment(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=LOCAL)


def _date_trail(obj: models.Model, moments: list[datetime.datetime]) -> None:
    """Date the audit entries of `obj`, oldest first, by the moments the steps happened."""
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).order_by("id")
    for entry, moment in zip(entries, moments, strict=False):
        AuditEntry.objects.filter(pk=entry.pk).update(at=moment)


def seed_experience() -> str:
    if ExperienceCase.objects.exists():
        return "experience library already present, left as it is"
    User = get_user_model()
    commission = User.objects.get(username="reviewer")
    with transaction.atomic():
        onsite = services.event_create(
            kind=ExchangeEvent.Kind.ONSITE,
            title="全市绿色社区创建工作现场会",
            held_on=D(2021, 9, 16),
            host="市住房城乡建设委、和平区人民政府",
            communities=[_community(CASES[0][0]), _community(CASES[1][0])],
            attendees="各区住房城乡建设委分管负责同志、市级有关部门处室负责同志，共60余人",
            by=commission,
        )
        exchange = services.event_create(
            kind=ExchangeEvent.Kind.EXCHANGE,
            title="绿色社区创建经验交流会",
            held_on=D(2022, 6, 28),
            host="市住房城乡建设委",
            communities=[],
            attendees="各区住房城乡建设委、各街道分管负责同志",
            by=commission,
        )
        for event in (onsite, exchange):
            _date_trail(event, [_moment(event.held_on - datetime.timedelta(days=3), 10)])
        events = {"onsite": onsite, "exchange": exchange}
        published = returned = 0
        for code, title, items, measures, results, cost, submitted_on, published_on, shown_at in CASES:
            staff = User.objects.get(username=f"district-{code}")
            case = services.case_create(
                district=District.objects.get(code=code),
                title=title,
                communities=[_community(code)],
                items=list(current_standard_items().filter(number__in=items)),
                measures=measures,
                results=results,
                cost=cost,
                by=staff,
            )
            services.case_submit(case=case, by=staff)
            created_at = _moment(submitted_on - datetime.timedelta(days=2), 15)
            moments = [created_at, _moment(submitted_on, 10)]
            if published_on is None:
                services.case_return(case=case, comment=RETURN_COMMENT, by=commission)
                moments.append(_moment(submitted_on + datetime.timedelta(days=6), 16))
                returned += 1
            else:
                services.case_publish(case=case, by=commission, replicable=bool(shown_at), event=events.get(shown_at))
                moments += [_moment(published_on, 9), _moment(published_on, 9)]
                ExperienceCase.objects.filter(pk=case.pk).update(published_at=_moment(published_on, 9))
                published += 1
            ExperienceCase.objects.filter(pk=case.pk).update(
                created_at=created_at, submitted_at=_moment(submitted_on, 10)
            )
            for step, moment in zip(case.steps.order_by("id"), moments, strict=False):
                type(step).objects.filter(pk=step.pk).update(at=moment)
            _date_trail(case, moments)
    _date_notifications()
    return f"experience library: {published} published cases, {returned} returned, 2 meetings"


def _date_notifications() -> None:
    """The review steps' notifications (sent in process when there is no broker) are dated by their step; only a
    returned case, still waiting for its district, stays unread."""
    steps = {
        f"experience-step:{pk}": (at, action, status)
        for pk, at, action, status in ExperienceCaseStep.objects.values_list("pk", "at", "action", "case__status")
    }
    for notification in Notification.objects.filter(key__startswith="experience-step:"):
        at, action, status = steps.get(notification.key, (None, "", ""))
        if at is None:
            continue
        waiting = action == ExperienceCaseStep.Action.RETURNED and status == ExperienceCase.Status.RETURNED
        Notification.objects.filter(pk=notification.pk).update(
            created_at=at, read_at=None if waiting else at + datetime.timedelta(hours=20)
        )


def _community(district_code: str) -> Community:
    """The district's first residents' committee, so the demo is the same on every run."""
    return Community.objects.filter(district__code=district_code, kind=Community.Kind.RESIDENTS_COMMITTEE).earliest(
        "code"
    )
