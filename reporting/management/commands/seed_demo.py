"""Demo users and realistic campaign activity on the real Tianjin roster, following the 2020-11 → 2022-12 timeline.

Deterministic (fixed random seeds) and safe to run twice: existing users, enrolments and reports are left alone.
Reports go through the real services; as those stamp "now", every step is then dated back to when it would have
happened. The communities' monthly rows are written in bulk, so the whole command takes seconds.
"""

from __future__ import annotations

import datetime
import logging
import random
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone

from districts.models import AuditEntry, Community, Department, District, Membership, Role, Street
from districts.services import community_merge
from greencommunity.people import person_name
from reporting.commendations.demo import seed_commendations
from reporting.experience.demo import seed_experience
from reporting.figures.selectors import campaign_months, month_end
from reporting.funds.demo import seed_funds_demo
from reporting.management.commands._seed_acceptance import seed_acceptance
from reporting.management.commands._seed_recheck import seed_rechecks
from reporting.management.commands._seed_roster import seed_roster_releases
from reporting.models import Campaign, Enrolment, Notification, Report, ReportEvent
from reporting.reports.services import (
    participating_in_month,
    report_accept,
    report_open,
    report_return,
    report_save,
    report_submit,
)
from reporting.services import enrolment_enrol, enrolment_withdraw
from reporting.supervision.demo import seed_supervision
from standards.demo_refinements import seed_refinements
from standards.models import SelfAssessment

PASSWORD = "demo12345"  # noqa: S105 — the documented demo password; seed_demo refuses to run in production
STREET_USERS_PER_DISTRICT = {"120101": 1, "120103": 1, "120116": 2}
LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)
D = datetime.date


@dataclass(frozen=True)
class _Pace:
    """How far one district gets, as shares of its urban roster."""

    enrolled: tuple[float, float]  # taking part by the end of June 2021 and of June 2022
    meeting: tuple[float, float]  # self-assessed as meeting the standard in October 2021 and October 2022


# Made-up figures with the shape of the real campaign: most districts clear the targets (30% of their urban
# communities by the end of 2021, 60% by the end of 2022) with some margin, as acceptance fails a few; 红桥区 is
# behind in 2021 and catches up; 宝坻区, 宁河区 and 蓟州区 stay behind.
PACE = {
    "120101": _Pace(enrolled=(0.80, 0.95), meeting=(0.44, 0.80)),  # 和平区
    "120102": _Pace(enrolled=(0.76, 0.92), meeting=(0.40, 0.72)),  # 河东区
    "120103": _Pace(enrolled=(0.78, 0.93), meeting=(0.42, 0.74)),  # 河西区
    "120104": _Pace(enrolled=(0.75, 0.91), meeting=(0.38, 0.71)),  # 南开区
    "120105": _Pace(enrolled=(0.74, 0.90), meeting=(0.37, 0.70)),  # 河北区
    "120106": _Pace(enrolled=(0.71, 0.90), meeting=(0.25, 0.69)),  # 红桥区
    "120110": _Pace(enrolled=(0.75, 0.90), meeting=(0.39, 0.71)),  # 东丽区
    "120111": _Pace(enrolled=(0.74, 0.91), meeting=(0.38, 0.72)),  # 西青区
    "120112": _Pace(enrolled=(0.73, 0.89), meeting=(0.37, 0.69)),  # 津南区
    "120113": _Pace(enrolled=(0.75, 0.90), meeting=(0.40, 0.71)),  # 北辰区
    "120114": _Pace(enrolled=(0.77, 0.92), meeting=(0.41, 0.73)),  # 武清区
    "120115": _Pace(enrolled=(0.70, 0.87), meeting=(0.22, 0.54)),  # 宝坻区
    "120116": _Pace(enrolled=(0.76, 0.91), meeting=(0.39, 0.71)),  # 滨海新区
    "120117": _Pace(enrolled=(0.70, 0.90), meeting=(0.24, 0.55)),  # 宁河区
    "120118": _Pace(enrolled=(0.73, 0.89), meeting=(0.42, 0.72)),  # 静海区
    "120119": _Pace(enrolled=(0.71, 0.87), meeting=(0.20, 0.52)),  # 蓟州区
}
# Made-up names for the demo users, in the order `_users` lists them, separated by spaces. Each family name here is
# one character: it is stored as last_name (姓) and the rest as first_name (名), so pages show 刘建华, not a login.
DEMO_NAMES = (
    "刘建华 陈静 张伟 王芳 李娜 赵磊 孙丽华 周强 吴敏 郑浩然 冯雪梅 褚志刚 卫红 蒋立新 沈婷 "
    "韩振宇 杨秀英 朱海涛 秦晓燕 尤国栋 许佳 何文博 吕春梅 施建军 曹玉兰 严俊杰 华丹 金永福 "
    "魏淑珍 陶明 姜慧 戚德胜 谢颖 邹卫东 高振华 林晓东 罗思远 梁桂英 宋鹏 郭亚楠 唐宏伟 袁琳 "
    "邓国强 彭晨"
)
STEADY = _Pace(enrolled=(0.75, 0.90), meeting=(0.40, 0.70))  # a district not listed above
# Two 街道 never choose a pilot, so the red flags have something to show (和平区's is on its staff's home page).
STREETS_WITHOUT_PILOT = {"120101006", "120115006"}  # 和平区南市街道, 宝坻区周良街道


def _pace(code: str) -> _Pace:
    return PACE.get(code, STEADY)


class Command(BaseCommand):
    help = "Create demo users (password demo12345) and realistic campaign activity. Refuses in production."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--without-second-campaign",
            action="store_true",
            help="Leave out the 2025-2027 campaign: the first campaign and what followed it only.",
        )

    def handle(self, *args: object, **options: object) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run in production mode (DJANGO_ENV=production).")
        if not District.objects.exists():
            raise CommandError("Load the divisions first: python manage.py load_divisions PATH")
        # The 2020-2022 campaign the migrations load; the demo's second campaign follows it.
        campaign = Campaign.objects.order_by("starts_on").first()
        if campaign is None:
            raise CommandError("No campaign is set up; run migrate first.")
        started = timezone.now()
        # Without a broker the workflow's notifications run in process, and a log line for each would bury the summary.
        task_log = logging.getLogger("celery.app.trace")
        level = task_log.level
        task_log.setLevel(max(level, logging.WARNING))
        try:
            with transaction.atomic():
                logins = self._users()
                activity = self._activity(campaign)
                reports = _reports(campaign)
        finally:
            task_log.setLevel(level)
        # The notifications were sent when the transaction committed; date them by the steps they tell of.
        _date_notifications(since=started)
        self.stdout.write(self.style.SUCCESS(f"demo users ready ({len(logins)}); {activity}; {reports}"))
        # In the order things happened where one step reads another's: the first campaign's work (read against its
        # standard), the second campaign opened with its revised standard (the later re-check rounds inspect against
        # it, districts refine it), the roster releases, then the second campaign's enrolment and reports.
        from reporting.management.commands._seed_campaign import (
            seed_second_campaign_activity,
            seed_second_campaign_opening,
        )

        self.stdout.write(self.style.SUCCESS(seed_acceptance()))
        self.stdout.write(self.style.SUCCESS(seed_supervision()))
        self.stdout.write(self.style.SUCCESS(seed_funds_demo()))
        self.stdout.write(self.style.SUCCESS(seed_experience()))
        self.stdout.write(self.style.SUCCESS(seed_commendations()))
        second = not options.get("without_second_campaign")
        if second:
            self.stdout.write(self.style.SUCCESS(seed_second_campaign_opening()))
        self.stdout.write(self.style.SUCCESS(seed_rechecks()))
        self.stdout.write(self.style.SUCCESS(seed_roster_releases()))
        self.stdout.write(self.style.SUCCESS(seed_refinements()))
        if second:
            self.stdout.write(self.style.SUCCESS(seed_second_campaign_activity()))
        self.stdout.write("Demo logins (password demo12345):")
        for username, label in logins:
            self.stdout.write(f"  {username:<22} {label}")

    def _users(self) -> list[tuple[str, str]]:
        User = get_user_model()
        wanted: list[tuple[str, dict]] = [
            ("commission", {"role": Role.COMMISSION_ADMIN}),
            ("reviewer", {"role": Role.COMMISSION_REVIEWER}),
        ]
        for district in District.objects.order_by("code"):
            wanted.append((f"district-{district.code}", {"role": Role.DISTRICT_STAFF, "district": district}))
        for code, count in STREET_USERS_PER_DISTRICT.items():
            for street in Street.objects.filter(district__code=code, kind=Street.Kind.SUBDISTRICT).order_by("code")[
                :count
            ]:
                wanted.append((f"street-{street.code}", {"role": Role.STREET_STAFF, "street": street}))
        for department in Department.objects.all():
            wanted.append((f"dept-{department.code}", {"role": Role.DEPARTMENT_STAFF, "department": department}))
        for n in (1, 2, 3):
            wanted.append((f"inspector-{n}", {"role": Role.INSPECTOR}))

        # Hashing is deliberately slow; the demo users share one password, so hash it once.
        hashed = make_password(PASSWORD)
        logins, names = [], DEMO_NAMES.split()
        for number, (username, membership) in enumerate(wanted):
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.password = hashed
                user.is_staff = user.is_superuser = username == "commission"
                Membership.objects.create(user=user, **membership)
            unnamed = not (user.last_name or user.first_name)  # a name given in the admin is kept
            if unnamed:
                name = names[number % len(names)]
                user.last_name, user.first_name = name[0], name[1:]
            if created or unnamed:
                user.save()
            unit = membership.get("district") or membership.get("street") or membership.get("department") or ""
            logins.append((username, f"{person_name(user)} · {Role(membership['role']).label} {unit}".strip()))
        return logins

    def _activity(self, campaign: Campaign) -> str:
        if Enrolment.objects.filter(campaign=campaign).exists():
            return "enrolments already present, left as they are"
        rng = random.Random(2020)
        communities = list(
            Community.objects.filter(kind=Community.Kind.RESIDENTS_COMMITTEE)
            .select_related("street", "district")
            .order_by("code")
        )
        self._survey(rng, communities)
        by_street: dict[int, list[Community]] = defaultdict(list)
        for community in communities:
            by_street[community.street_id].append(community)

        # Pilots (试点先行, 2020-11 → 2021-04): every 街道 picks 1-2 but the ones left for the red flags; about half
        # of the towns with a residents' committee pick one too.
        groups: dict[tuple[int, str, datetime.date], list[Community]] = defaultdict(list)
        chosen: set[int] = set()
        for street in Street.objects.order_by("code"):
            pool = by_street.get(street.id, [])
            if not pool or street.code in STREETS_WITHOUT_PILOT:
                continue
            if street.kind != Street.Kind.SUBDISTRICT and rng.random() < 0.5:
                continue
            for community in rng.sample(pool, min(len(pool), rng.choice((1, 1, 2)))):
                joined = _day(rng, D(2020, 11, 10), D(2021, 4, 30))
                groups[(community.district_id, Enrolment.Kind.PILOT, joined)].append(community)
                chosen.add(community.pk)

        # Then the batches (全面推开), each district approving a few at a time: one from March to June 2021 brings it
        # to its share for mid-2021, the ones from July 2021 to June 2022 to its share for mid-2022.
        by_district: dict[int, list[Community]] = defaultdict(list)
        for community in communities:
            by_district[community.district_id].append(community)
        for district_id, pool in by_district.items():
            pace = _pace(pool[0].district.code)
            rest = [c for c in pool if c.pk not in chosen]
            rng.shuffle(rest)
            pilots = len(pool) - len(rest)
            first = round(len(pool) * pace.enrolled[0]) - pilots
            second = round(len(pool) * pace.enrolled[1]) - pilots
            spring = [_day(rng, D(2021, 3, 1), D(2021, 6, 25)) for _ in range(3)]
            later = [_day(rng, D(2021, 7, 5), D(2021, 12, 20)) for _ in range(3)]
            later += [_day(rng, D(2022, 1, 10), D(2022, 6, 25)) for _ in range(3)]
            for index, community in enumerate(rest[: max(second, 0)]):
                joined = rng.choice(spring if index < first else later)
                groups[(district_id, Enrolment.Kind.BATCH, joined)].append(community)

        enrolled = []
        for (_district, kind, joined), members in sorted(groups.items(), key=lambda g: g[0][2]):
            enrolled += enrolment_enrol(campaign=campaign, communities=members, kind=kind, joined_on=joined, by=None)

        batch = [e for e in enrolled if e.kind == Enrolment.Kind.BATCH]
        withdrawn = rng.sample(batch, min(6, len(batch)))
        for enrolment in withdrawn:
            enrolment_withdraw(
                enrolment=enrolment,
                on=enrolment.joined_on + datetime.timedelta(days=rng.randint(40, 120)),
                reason=rng.choice(["居民意愿不足，暂缓创建", "纳入老旧小区改造计划后统一推进", "社区合并调整"]),
                by=None,
            )

        # One real-looking roster change: two small communities of 和平区 merged in mid-2022; the one that closes
        # stops taking part on that day.
        hp = [c for c in communities if c.district.code == HEPING]
        merged = ""
        if len(hp) > 2 and hp[-1].street_id == hp[-2].street_id:
            source, target, on = hp[-1], hp[-2], D(2022, 7, 1)
            taking_part = next(
                (e for e in enrolled if e.community_id == source.pk and e not in withdrawn and e.joined_on < on), None
            )
            if taking_part is not None:
                enrolment_withdraw(enrolment=taking_part, on=on, reason="社区合并调整", by=None)
            community_merge(community=source, into=target, on=on, by=None, note="社区规模调整（演示数据）")
            merged = f", merged {source.name} into {target.name}"
        return f"enrolled {len(enrolled)} communities, withdrew {len(withdrawn)}{merged}"

    def _survey(self, rng: random.Random, communities: list[Community]) -> None:
        for community in communities:
            if rng.random() < 0.08:  # a few surveys are still unfinished
                continue
            year = rng.choice([rng.randint(1955, 1999), rng.randint(1980, 2000), rng.randint(2000, 2020)])
            community.build_year = year
            community.build_era = f"{year // 10 * 10}年代"
            community.households = rng.randint(600, 6000)
            community.buildings = max(3, community.households // rng.randint(60, 160))
            community.is_old_estate = year < 2000
            community.renovation = (
                rng.choice(["planned", "in_progress", "done", "done"]) if year < 2000 else "not_planned"
            )
            community.property_management_share = rng.choice([20, 35, 50, 70, 85, 100])
        _rows_update(
            Community,
            [
                "build_year",
                "build_era",
                "households",
                "buildings",
                "is_old_estate",
                "renovation",
                "property_management_share",
            ],
            [
                (
                    c.pk,
                    c.build_year,
                    c.build_era,
                    c.households,
                    c.buildings,
                    c.is_old_estate,
                    c.renovation,
                    c.property_management_share,
                )
                for c in communities
                if c.households is not None
            ],
        )


def _day(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


def _moment(rng: random.Random, day: datetime.date, first_hour: int = 9, last_hour: int = 17) -> datetime.datetime:
    """A time during office hours on `day`, in Tianjin."""
    return datetime.datetime(
        day.year, day.month, day.day, rng.randint(first_hour, last_hour), rng.randint(0, 59), tzinfo=LOCAL
    )


def _rows_insert(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Add many rows, each (value, ...) in the order of `names`: one prepared INSERT run for every row.

    Unlike `bulk_create`, it builds no model instances and keeps the `auto_now` values given.
    """
    if not rows:
        return
    fields = [cast(models.Field, model._meta.get_field(name)) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608 — names come from the model
    params = [[f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)] for values in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _rows_update(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Give many rows each their own values: rows are (pk, value, ...) in the order of `names`.

    One prepared UPDATE run for every row; `bulk_update` builds a CASE per column, which is far slower at this size.
    """
    if not rows:
        return
    fields = [cast(models.Field, model._meta.get_field(name)) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608 — names come from the model
    params = [
        [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)] + [pk] for pk, *values in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- the communities' progress --------------------------------------------------------------------------------

# Items in the order communities tend to complete them: publicity and participation first, building work last.
EASY_FIRST = (13, 15, 1, 2, 14, 12, 4, 7, 3, 8, 6, 10, 16, 5, 9, 11)
WORK_NOTES = {
    1: "正在组织楼门长、居民代表参与环境整治方案讨论",
    2: "社区议事会已成立，线上议事群正在推广",
    3: "已联系责任规划师，正在踏勘现场",
    4: "部分楼院照明、排水设施待完善",
    5: "垃圾分类投放点改造施工中",
    6: "改造方案正在征求居民意见",
    7: "口袋公园改造方案已通过居民议事会讨论",
    8: "停车位施划正在进行，消防通道标线待补",
    9: "坡道、扶手加装工程已招标",
    10: "夜间施工噪声问题已协调城管部门处理",
    11: "智能门禁已安装一半楼门，监控点位待补",
    12: "正在与物业公司洽谈接管事宜",
    13: "宣传栏已更新，创建专栏待设",
    14: "已组织社区工作者参加区级培训，物业人员培训待安排",
    15: "绿色生活公约草案正在征求居民意见",
    16: "历史建筑保护标识待设置",
}
DONE_NOTES = {
    5: "实现垃圾分类小区全覆盖，设置桶边督导志愿者",
    7: "建成口袋公园一处，增设健身器材",
    11: "智能门禁、高空抛物监控已全部接入",
    12: "引入专业物业，覆盖率达到100%",
    15: "居民绿色生活公约已在议事会通过并张贴公示",
    16: "辖区古树名木已挂牌保护",
}


@dataclass(frozen=True)
class _Progress:
    """How one enrolled community moves through the stages; months are indices into the campaign's months."""

    starts: int
    meets: int | None
    order: tuple[int, ...]  # the applicable items, in the order they are completed
    not_applicable: frozenset[int]
    highlights: tuple[int, ...]  # items whose note a community that meets the standard keeps

    @classmethod
    def draw(cls, rng: random.Random, *, starts: int, meets: int | None) -> _Progress:
        not_applicable = frozenset(n for n, share in ((10, 0.1), (16, 0.55)) if rng.random() < share)
        ranked = sorted(
            (n for n in EASY_FIRST if n not in not_applicable), key=lambda n: EASY_FIRST.index(n) + rng.uniform(-3, 3)
        )
        notable = [n for n in DONE_NOTES if n not in not_applicable]
        return cls(
            starts=starts,
            meets=meets,
            order=tuple(ranked),
            not_applicable=not_applicable,
            highlights=tuple(rng.sample(notable, rng.randint(0, 2))),
        )

    def state(self, month: int) -> tuple[str, dict[str, str], dict[str, str]]:
        """(stage, items, notes) in `month`; a community meeting the standard meets every applicable item."""
        if month < self.starts:
            return SelfAssessment.Stage.NOT_STARTED, {}, {}
        items = {str(n): SelfAssessment.ItemStatus.NOT_APPLICABLE.value for n in self.not_applicable}
        if self.meets is not None and month >= self.meets:
            items |= {str(n): SelfAssessment.ItemStatus.MEETS.value for n in self.order}
            return (
                SelfAssessment.Stage.MEETS,
                _by_number(items),
                _by_number({str(n): DONE_NOTES[n] for n in self.highlights}),
            )
        span = (self.meets if self.meets is not None else self.starts + 18) - self.starts
        done = min(len(self.order) - 1, len(self.order) * (month - self.starts + 1) // (span + 1))
        items |= {str(n): SelfAssessment.ItemStatus.MEETS.value for n in self.order[:done]}
        items |= {str(n): SelfAssessment.ItemStatus.IN_PROGRESS.value for n in self.order[done : done + 3]}
        working = self.order[done]
        return SelfAssessment.Stage.CREATING, _by_number(items), {str(working): WORK_NOTES[working]}


def _by_number(values: dict[str, str]) -> dict[str, str]:
    """Items keyed by number in the standard's order, as the services store them."""
    return dict(sorted(values.items(), key=lambda pair: int(pair[0])))


# --- the reports ----------------------------------------------------------------------------------------------

HEPING, HEXI = "120101", "120103"
# Left for the browser tests to file: 和平区's monthly report for 2022-12 and this department's 2022 annual report.
UNFILED_DEPARTMENT = "zjw"
# The first communities (by code) of that 和平区 report, whose items the browser tests change: still creating.
STILL_CREATING_IN_HEPING = 2
PLAN_RETURNED = "120119"

# What happens to a report after it is first saved.
PATHS = {
    "draft": (),
    "submitted": ("submit",),
    "returned": ("submit", "return"),
    "resubmitted": ("submit", "return", "save", "submit"),
    "accepted": ("submit", "accept"),
    "reworked": ("submit", "return", "save", "submit", "accept"),
}
RETURN_COMMENTS = [
    "请补充试点社区照片",
    "本月新增达标社区数量与社区明细不一致，请核实后重新提交",
    "存在问题部分过于笼统，请结合具体社区说明",
    "请补充下月工作计划的时间节点和责任单位",
    "请补充老旧小区改造与创建工作的衔接情况",
]
EARLY_PROGRESS = [
    "{month}，{district}召开绿色社区创建工作推进会，部署试点工作，目前已确定试点社区{enrolled}个，其中{creating}个已启动创建。",
    "{district}组织各街道完成城市社区调查摸底，建立创建工作台账；截至{month}底，{enrolled}个试点社区参与创建。",
    "{month}，{district}各试点社区对照16项创建标准开展自查，列出问题清单，{creating}个社区正在推进整改。",
]
PROGRESS = [
    "{month}，{district}新纳入创建社区{new}个，累计{enrolled}个社区参与创建，其中{meets}个社区已自评达标，{creating}个社区正在创建。",
    "{district}持续推进绿色社区创建，截至{month}底参与创建社区{enrolled}个，自评达标{meets}个，本月新增达标{new_meets}个。",
    "{month}，{district}{enrolled}个参与创建社区对照16项创建标准查漏补缺，{creating}个社区正在推进整改。",
]
# Said only by a district that will (or will not) reach the year's target.
ON_PLAN = [
    "{month}，{district}结合老旧小区改造推进绿色社区创建，{creating}个在创社区按计划推进，累计达标社区{meets}个。",
    "本月{district}新增自评达标社区{new_meets}个，累计达标{meets}个；参与创建社区共{enrolled}个，整体进度符合年度计划。",
]
BEHIND_PLAN = [
    "本月{district}新增自评达标社区{new_meets}个，累计达标{meets}个；参与创建社区共{enrolled}个，达标进度滞后于年度计划，正在督促各街道加快推进。",
    "截至{month}底，{district}自评达标社区{meets}个，距年度目标尚有差距；{creating}个在创社区正在对照创建标准整改提升。",
]
PRACTICES = [
    "依托社区议事会开展“居民点单、社区派单”，推动居民参与楼院环境整治。",
    "组织设计师、工程师进社区，协助居民谋划口袋公园和楼院微改造方案。",
    "将绿色社区创建与老旧小区改造统筹推进，同步实施雨污分流和海绵化改造。",
    "在创建社区推行垃圾分类定时定点投放，组织志愿者开展桶边督导。",
    "发挥社区党组织引领作用，组建由物业、业委会和居民代表参加的创建工作专班。",
    "利用社区公众号和宣传栏定期发布创建进展，组织居民讨论绿色生活公约。",
    "联合城管、公安部门开展停车秩序专项整治，清理占压消防通道车辆。",
    "推进公共空间适老化改造，为老旧楼栋加装扶手、坡道等无障碍设施。",
]
PROBLEMS = [
    "部分老旧小区无物业管理，长效管护机制尚未建立。",
    "个别街道对创建标准理解不到位，自评把关不够严格。",
    "改造资金来源较为单一，部分项目推进较慢。",
    "居民参与积极性不均衡，部分社区议事活动频次偏低。",
    "智能安防系统建设投入较大，部分社区尚未落实。",
    "停车位供需矛盾突出，停车秩序治理难度较大。",
    "部分社区创建资料归档不规范，佐证材料不完整。",
]
NEXT_PLANS = [
    "{next_month}督促各街道加快推进{creating}个在创社区的整改提升，组织一次创建工作交叉检查。",
    "下月重点推进生活垃圾分类设施和公共绿地提升，指导已达标社区做好创建资料归档。",
    "{next_month}组织社区工作者和物业服务人员开展绿色社区创建专题培训，提升自评质量。",
    "对照年度目标，对进度滞后的街道进行督导，推动{next_month}新增一批达标社区。",
]
MEASURES = [
    "加强组织领导，成立由区政府分管领导牵头的绿色社区创建工作专班",
    "开展城市社区调查摸底，逐个社区建立创建工作台账",
    "坚持试点先行，每个街道至少选取1个社区开展创建试点",
    "统筹推进老旧小区改造、生活垃圾分类和海绵城市建设",
    "搭建社区协商议事平台，推动共建共治共享",
    "加强宣传培训，组织发布居民绿色生活公约",
]
ASSIGNMENTS = [
    ("组织城市社区调查摸底，建立创建工作台账", "{district}住房建设委", D(2020, 12, 31)),
    ("每个街道选取1至2个社区开展创建试点", "各街道办事处", D(2021, 5, 31)),
    ("搭建社区协商议事平台，开展社区工作者培训", "{district}民政局", D(2021, 12, 31)),
    ("统筹推进老旧小区改造与绿色社区创建", "{district}住房建设委", D(2022, 6, 30)),
    ("规范社区停车秩序，保障消防生命通道畅通", "{district}公安分局", D(2022, 8, 31)),
    ("推进生活垃圾分类和社区绿化提升", "{district}城市管理委", D(2022, 10, 31)),
]
DEPARTMENT_WORK = {
    "zjw": "牵头统筹绿色社区创建，组织推进老旧小区改造和社区基础设施完善",
    "fgw": "统筹安排相关项目和资金，支持社区基础设施绿色化改造",
    "cgw": "推进生活垃圾分类和社区绿化提升，指导口袋公园建设",
    "mzj": "指导社区搭建协商议事平台，组织社区工作者培训",
    "scjgw": "加强社区电梯等特种设备安全监管，规范物业服务",
    "sthjj": "开展噪声扰民等环境问题治理，推动绿色生活宣传",
    "swj": "推进社区雨污分流和海绵化改造",
    "gaj": "推进社区智能安防系统建设，规范社区停车秩序",
    "xfjy": "开展消防生命通道专项整治，加强社区消防安全宣传",
    "wjw": "推进健康社区建设，支持公共空间适老化改造",
    "whly": "加强社区历史文化资源保护，组织社区文化活动",
    "ghzy": "组织责任规划师、设计师进社区，辅导居民谋划人居环境整治方案",
}
DEPARTMENT_PRACTICES = [
    "建立与各区的工作对接机制，按月通报相关任务进展。",
    "会同市住房城乡建设委开展联合督导检查，现场指导问题整改。",
    "编制工作指引，明确技术要求和验收口径。",
    "组织召开专题培训会，覆盖各区相关业务骨干。",
]
DEPARTMENT_PROBLEMS = [
    "各区工作进展不够平衡，部分区相关资金保障不足。",
    "部门间信息共享机制有待完善。",
    "部分任务与其他专项工作交叉，统筹难度较大。",
]


def _key(filer: District | Department) -> str:
    return f"{'district' if isinstance(filer, District) else 'department'}-{filer.pk}"


def _month_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月"


def _reports(campaign: Campaign) -> str:
    if Report.objects.filter(campaign=campaign).exists():
        return "reports already present, left as they are"
    enrolments = list(
        Enrolment.objects.filter(campaign=campaign).select_related("community").order_by("joined_on", "id")
    )
    if not enrolments:
        return "no enrolments, so no reports"
    history = _History(campaign, enrolments)
    history.implementation_plans()
    history.monthly_reports()
    history.annual_reports()
    history.date_steps()
    return history.summary()


class _History:
    """Files every report of the campaign through the services, then dates each step as if done back then."""

    def __init__(self, campaign: Campaign, enrolments: list[Enrolment]) -> None:
        self.campaign = campaign
        self.rng = random.Random(2022)
        self.months = campaign_months(campaign)
        self.districts = list(District.objects.order_by("code"))
        self.departments = list(Department.objects.order_by("code"))
        users = {u.username: u for u in get_user_model().objects.all()}
        self.reviewer = users.get("reviewer")
        self.filer = {_key(d): users.get(f"district-{d.code}") for d in self.districts} | {
            _key(p): users.get(f"dept-{p.code}") for p in self.departments
        }
        self.roster = Counter(
            Community.objects.filter(kind=Community.Kind.RESIDENTS_COMMITTEE).values_list("district_id", flat=True)
        )
        self.joined: Counter[tuple[int, int]] = Counter()  # (district, month) → communities that joined
        self.first_batch: dict[int, int] = {}  # district → the month its first batch joined
        self.meeting_months: dict[int, list[int]] = {}  # district → the month each community meets the standard
        self.progress = self._plan_progress(enrolments)
        self.steps: dict[int, list[tuple[str, datetime.datetime]]] = defaultdict(list)
        self.counts: dict[tuple[int, int], Counter[str]] = {}  # (district, month) → rows by stage
        self.rows_written = 0

    def _plan_progress(self, enrolments: list[Enrolment]) -> dict[int, _Progress]:
        """When each community starts and meets the standard, so that each district has its share meeting it by
        October 2021 and October 2022 (the acceptance rounds' cut-off): pilots first, then the batches, those that
        joined earlier sooner."""
        rng, last = self.rng, len(self.months) - 1
        cutoffs = (self._index(D(2021, 10, 1)), self._index(D(2022, 10, 1)), last)
        starting: dict[int, list[tuple[Enrolment, int]]] = defaultdict(list)
        for enrolment in enrolments:
            joined = self._index(enrolment.joined_on)
            district_id = enrolment.community.district_id
            self.joined[(district_id, joined)] += 1
            pilot = enrolment.kind == Enrolment.Kind.PILOT
            if not pilot:
                self.first_batch[district_id] = min(self.first_batch.get(district_id, joined), joined)
            starting[district_id].append((enrolment, joined + (rng.choice((0, 0, 1)) if pilot else rng.randint(0, 1))))
        progress: dict[int, _Progress] = {}
        for district in self.districts:
            members = starting.get(district.pk, [])
            pace, roster = _pace(district.code), self.roster[district.pk]
            # By the campaign's end a few more have caught up.
            wanted = [round(roster * share) for share in (*pace.meeting, min(pace.meeting[1] + 0.06, 1))]
            taking_part = sorted((m for m in members if m[0].withdrawn_on is None), key=lambda m: m[0].community.code)
            if district.code == HEPING:
                taking_part = taking_part[STILL_CREATING_IN_HEPING:]
            ranked = sorted(taking_part, key=lambda m: (m[0].kind != Enrolment.Kind.PILOT, m[1] + rng.uniform(0, 4)))
            meets: dict[int, int] = {}
            opens = 0
            for cutoff, count in zip(cutoffs, wanted, strict=True):
                for enrolment, starts in ranked:
                    if len(meets) >= count:
                        break
                    # Pilots take four to ten months, the batches three (the newer estates) to twelve.
                    shortest, longest = (4, 10) if enrolment.kind == Enrolment.Kind.PILOT else (3, 12)
                    earliest = max(opens, starts + shortest)
                    if enrolment.community_id not in meets and earliest <= cutoff:
                        meets[enrolment.community_id] = rng.randint(
                            earliest, max(earliest, min(cutoff, starts + longest))
                        )
                opens = cutoff + 1
            self.meeting_months[district.pk] = list(meets.values())
            for enrolment, starts in members:
                progress[enrolment.community_id] = _Progress.draw(
                    rng, starts=starts, meets=meets.get(enrolment.community_id)
                )
        return progress

    def _meeting_by(self, district: District, month: int) -> int:
        """How many of the district's communities self-assess as meeting the standard in `month`."""
        return sum(meets <= month for meets in self.meeting_months[district.pk])

    def _first_target_year(self) -> int:
        """The first year with a target: a month before it is judged against that year's target."""
        return 2021

    def _already_met(self, district: District) -> int:
        """Communities of the district that met the standard before the campaign began (none for the first)."""
        return 0

    def _target(self, year: int) -> float:
        """The share of a district's urban communities the campaign asks to meet the standard by the end of `year`."""
        return 0.3 if year <= 2021 else 0.6

    def _on_plan(self, district: District, month: int) -> bool:
        """Whether the district reaches the target of `month`'s year (30% in 2021, 60% in 2022) by its October."""
        year = max(self.months[month].year, self._first_target_year())
        return self._meeting_by(district, self._index(D(year, 10, 1))) >= self._target(year) * self.roster[district.pk]

    def _index(self, day: datetime.date) -> int:
        start = self.campaign.starts_on
        return (day.year - start.year) * 12 + day.month - start.month

    # --- filing through the services ---

    def _file(
        self,
        *,
        kind: str,
        period: datetime.date,
        outcome: str,
        late: bool,
        opened: datetime.datetime,
        text: dict[str, str],
        filer: District | Department,
        plan_rows: dict[str, list[dict[str, Any]]] | None = None,
        month: int | None = None,
    ) -> Report:
        rng = self.rng
        by = self.filer[_key(filer)]
        when = opened + datetime.timedelta(hours=rng.randint(2, 40))
        if month is not None:
            assert isinstance(filer, District)  # only a district files monthly reports
            self._rows(filer, period, month, when=when, by=by)
        report = report_open(
            campaign=self.campaign,
            kind=kind,
            period=period,
            by=by,
            district=filer if isinstance(filer, District) else None,
            department=filer if isinstance(filer, Department) else None,
        )
        self.steps[report.pk].append(("open", opened))
        if month is not None:
            assert report.district is not None
            text = self._monthly_text(report.district, month)
        report = report_save(report=report, version=report.version, data=text, by=by, **(plan_rows or {}))
        self.steps[report.pk].append(("save", when))
        for action in PATHS[outcome]:
            if action == "submit" and report.first_submitted_at is None:
                shift = rng.randint(1, 12) if late else -rng.randint(0, 5)
                when = max(
                    _moment(rng, report.due_on + datetime.timedelta(days=shift)), when + datetime.timedelta(hours=2)
                )
                report = report_submit(report=report, by=by)
            elif action == "submit":
                when += datetime.timedelta(hours=rng.randint(1, 6))
                report = report_submit(report=report, by=by)
            elif action == "return":
                when = _moment(rng, when.date() + datetime.timedelta(days=rng.randint(1, 3)))
                report = report_return(report=report, comment=rng.choice(RETURN_COMMENTS), by=self.reviewer)
            elif action == "accept":
                when = _moment(rng, when.date() + datetime.timedelta(days=rng.randint(1, 5)))
                report = report_accept(report=report, by=self.reviewer)
            elif action == "save":
                when = _moment(rng, when.date() + datetime.timedelta(days=rng.randint(1, 2)))
                revised = {name: getattr(report, name) for name in text}
                first = next(iter(text))
                revised[first] = f"{revised[first]}（已按审核意见补充完善）"
                report = report_save(report=report, version=report.version, data=revised, by=by)
            self.steps[report.pk].append((action, when))
        return report

    def _rows(self, district: District, period: datetime.date, month: int, *, when: datetime.datetime, by: Any) -> None:
        """Write the month's rows, each community where it stood that month, before the report is opened: opening
        it then finds every row there, as if the district had filled them in."""
        end = month_end(period)
        taking_part = participating_in_month(Report(campaign=self.campaign, district=district, period=period))
        stages: Counter[str] = Counter()
        rows = []
        for community_id, withdrawn_on in taking_part.values_list("community_id", "withdrawn_on"):
            stage, items, notes = self.progress[community_id].state(month)
            if withdrawn_on is not None and withdrawn_on <= end:
                stage = SelfAssessment.Stage.WITHDRAWN
            stages[stage] += 1
            rows.append(
                (
                    community_id,
                    district.pk,
                    period,
                    self.campaign.standard_id,
                    stage,
                    items,
                    notes,
                    1,
                    when,
                    getattr(by, "pk", None),
                )
            )
        _rows_insert(
            SelfAssessment,
            [
                "community",
                "district",
                "period",
                "standard",
                "stage",
                "items",
                "notes",
                "version",
                "updated_at",
                "updated_by",
            ],
            rows,
        )
        self.rows_written += len(rows)
        self.counts[(district.pk, month)] = stages

    def _figures(self, district: District, month: int) -> dict[str, Any]:
        stages = self.counts.get((district.pk, month), Counter())
        before = next(
            (self.counts[(district.pk, m)] for m in range(month - 1, -1, -1) if (district.pk, m) in self.counts),
            Counter(),
        )
        enrolled = sum(n for stage, n in stages.items() if stage != SelfAssessment.Stage.WITHDRAWN)
        return {
            "district": district.name,
            "month": _month_label(self.months[month]),
            "next_month": f"{self.months[month + 1].month}月" if month + 1 < len(self.months) else "下一阶段",
            "enrolled": enrolled,
            "new": self.joined[(district.pk, month)],
            "meets": stages[SelfAssessment.Stage.MEETS],
            "new_meets": max(0, stages[SelfAssessment.Stage.MEETS] - before[SelfAssessment.Stage.MEETS]),
            "creating": stages[SelfAssessment.Stage.CREATING],
        }

    def _monthly_text(self, district: District, month: int) -> dict[str, str]:
        rng, figures = self.rng, self._figures(district, month)
        if month < self.first_batch.get(district.pk, len(self.months)):  # only pilots so far
            sentences = EARLY_PROGRESS
        else:
            sentences = PROGRESS + (ON_PLAN if self._on_plan(district, month) else BEHIND_PLAN)
        # A sentence about what did not happen this month ("0 new") reads badly; pick one that fits.
        fitting = [
            t
            for t in sentences
            if all(f"{{{name}}}" not in t or figures[name] for name in ("new", "new_meets", "meets"))
        ]
        progress = rng.choice(fitting or PROGRESS[-1:])
        return {
            "progress": progress.format(**figures),
            "practices": "".join(rng.sample(PRACTICES, 2)),
            "problems": rng.choice(PROBLEMS),
            "next_plan": rng.choice(NEXT_PLANS).format(**figures),
        }

    # --- the three kinds ---

    def implementation_plans(self) -> None:
        rng, period = self.rng, self.campaign.starts_on
        late = set(rng.sample([d.code for d in self.districts if d.code != PLAN_RETURNED], 2))
        for district in self.districts:
            roster = self.roster[district.pk]
            first, second = round(roster * rng.uniform(0.30, 0.36)), round(roster * rng.uniform(0.60, 0.66))
            measures = rng.sample(MEASURES, rng.randint(4, 5))
            numerals = "一二三四五"
            work = sorted(rng.sample(ASSIGNMENTS, rng.randint(3, 5)), key=lambda a: a[2])
            self._file(
                kind=Report.Kind.IMPLEMENTATION_PLAN,
                period=period,
                outcome="returned" if district.code == PLAN_RETURNED else "accepted",
                late=district.code in late,
                opened=_moment(rng, _day(rng, D(2020, 11, 16), D(2020, 12, 1))),
                filer=district,
                text={
                    "overall_target": (
                        f"以城市社区为创建对象，到2021年底，{district.name}{first}个城市社区达到绿色社区创建要求，"
                        f"占城市社区总数的30%以上；到2022年底，达标社区达到{second}个，占比60%以上。"
                    ),
                    "measures": "；".join(f"{numerals[i]}是{m}" for i, m in enumerate(measures)) + "。",
                },
                plan_rows={
                    "targets": [
                        {"year": 2021, "communities": first, "pilots_per_street": 1},
                        {"year": 2022, "communities": second, "pilots_per_street": 1},
                    ],
                    "assignments": [
                        {"task": task, "unit": unit.format(district=district.name), "due_on": due}
                        for task, unit, due in work
                    ],
                },
            )

    def monthly_reports(self) -> None:
        rng, last = self.rng, len(self.months) - 1
        codes = [d.code for d in self.districts]
        outcomes: dict[tuple[str, int], tuple[str, bool]] = {}
        # How often a month's report was never filed: often in the first month, before everyone had started, and
        # never in October, as the year's acceptance goes by the communities' rows of that month.
        skipped = {0: 0.15} | {month: 0.0 for month, period in enumerate(self.months) if period.month == 10}
        for month in range(last + 1):
            for code in codes:
                draw = rng.random()
                if draw < skipped.get(month, 0.025):
                    outcomes[(code, month)] = ("missing", False)
                elif draw < 0.15:
                    outcomes[(code, month)] = ("accepted", True)
                elif draw < 0.23:
                    outcomes[(code, month)] = ("reworked", rng.random() < 0.3)
                else:
                    outcomes[(code, month)] = ("accepted", False)
        # The campaign's last months are still being filed and reviewed.
        others = [code for code in codes if code not in (HEPING, HEXI)]
        outcomes[(rng.choice(others), last - 2)] = ("returned", False)
        for outcome, code in zip(
            ("returned", "returned", "submitted", "submitted", "resubmitted"), rng.sample(others, 5), strict=True
        ):
            outcomes[(code, last - 1)] = (outcome, rng.random() < 0.3)
        for outcome, code in zip(
            ("draft", "draft", "draft", "submitted", "submitted", "submitted", "submitted", "returned", "missing"),
            rng.sample(others, 9),
            strict=True,
        ):
            outcomes[(code, last)] = (outcome, rng.random() < 0.3)
        outcomes[(HEPING, last)] = ("missing", False)
        outcomes[(HEXI, last)] = ("draft", False)

        for month, period in enumerate(self.months):
            for district in self.districts:
                outcome, late = outcomes[(district.code, month)]
                if outcome == "missing":
                    continue
                self._file(
                    kind=Report.Kind.MONTHLY,
                    period=period,
                    outcome=outcome,
                    late=late,
                    opened=_moment(rng, period + datetime.timedelta(days=rng.randint(19, 26))),
                    filer=district,
                    text={},
                    month=month,
                )

    def annual_reports(self) -> None:
        rng = self.rng
        years = sorted({day.year for day in self.months if day.month == 1})
        filers: list[District | Department] = [*self.districts, *self.departments]
        for year in years:
            period = D(year, 1, 1)
            # The browser tests' filers keep a plain history, so their own reports are the ones waiting for review.
            special = rng.sample([f for f in filers if f.code not in (HEPING, HEXI, UNFILED_DEPARTMENT)], 4)
            late = {_key(f) for f in (special[:2] if year == years[0] else special[:1])}
            outcome = {_key(special[2]): "reworked"} | ({_key(special[3]): "submitted"} if year == years[-1] else {})
            for filer in filers:
                if year == years[-1] and isinstance(filer, Department) and filer.code == UNFILED_DEPARTMENT:
                    continue
                self._file(
                    kind=Report.Kind.ANNUAL,
                    period=period,
                    outcome=outcome.get(_key(filer), "accepted"),
                    late=_key(filer) in late,
                    opened=_moment(rng, _day(rng, D(year, 10, 20), D(year, 11, 5))),
                    filer=filer,
                    text=self._annual_text(filer, year),
                )

    def _annual_text(self, filer: District | Department, year: int) -> dict[str, str]:
        rng, final = self.rng, year == self.campaign.ends_on.year
        if isinstance(filer, Department):
            work = DEPARTMENT_WORK.get(filer.code, "落实创建行动方案明确的职责分工")
            return {
                "progress": f"{year}年，{filer.name}按照创建行动方案的职责分工，{work}，指导各区推进相关创建任务。",
                "practices": "".join(rng.sample(DEPARTMENT_PRACTICES, 2)),
                "problems": rng.choice(DEPARTMENT_PROBLEMS),
                "next_plan": (
                    f"{year + 1}年，{filer.name}将把相关工作纳入常态化管理，巩固绿色社区创建成果。"
                    if final
                    else f"{year + 1}年，{filer.name}将继续{work}，加强对进度滞后区的督导。"
                ),
            }
        october = self._index(D(year, 10, 1))
        figures = next(
            (self._figures(filer, m) for m in range(october, -1, -1) if (filer.pk, m) in self.counts),
            self._figures(filer, october),
        )
        already = self._already_met(filer)
        share = round(100 * (figures["meets"] + already) / max(self.roster[filer.pk], 1), 1)
        target = round(100 * self._target(year))
        verdict = "完成年度目标" if self._on_plan(filer, october) else f"距{target}%的年度目标尚有差距"
        together = f"连同此前已达到创建要求的{already}个社区，合计" if already else ""
        return {
            "progress": (
                f"{year}年，{filer.name}累计{figures['enrolled']}个城市社区参与绿色社区创建，"
                f"{figures['meets']}个社区自评达到创建要求，{together}占城市社区总数的{share}%，{verdict}。"
            ),
            "practices": "".join(rng.sample(PRACTICES, 3)),
            "problems": "".join(rng.sample(PROBLEMS, 2)),
            "next_plan": (
                f"{year + 1}年，{filer.name}将巩固绿色社区创建成果，完善社区人居环境长效管护机制。"
                if final
                else f"{year + 1}年，{filer.name}将对照{round(100 * self._target(year + 1))}%的达标目标，"
                f"加快推进{figures['creating']}个在创社区整改提升。"
            ),
        }

    # --- dating every step ---

    def date_steps(self) -> None:
        """Move the reports, their history and their audit entries back to when each step happened."""
        report_rows: list[tuple[Any, ...]] = []
        event_rows: list[tuple[int, datetime.datetime]] = []
        audit_rows: list[tuple[int, datetime.datetime]] = []
        events: dict[int, list[int]] = defaultdict(list)
        for pk, report_id in (
            ReportEvent.objects.filter(report_id__in=self.steps).order_by("id").values_list("pk", "report_id")
        ):
            events[report_id].append(pk)
        audits: dict[int, list[int]] = defaultdict(list)
        entries = AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Report), object_id__in=[str(pk) for pk in self.steps]
        )
        for pk, object_id in entries.order_by("id").values_list("pk", "object_id"):
            audits[int(object_id)].append(pk)
        for report_id, steps in self.steps.items():
            submits = [when for action, when in steps if action == "submit"]
            accepted = steps[-1][1] if steps[-1][0] == "accept" else None
            report_rows.append(
                (
                    report_id,
                    steps[0][1],
                    steps[-1][1],
                    submits[0] if submits else None,
                    submits[-1] if submits else None,
                    accepted,
                )
            )
            # Every step is audited; saving is the one step the history leaves out.
            event_times = [when for action, when in steps if action != "save"]
            event_rows += zip(events[report_id], event_times, strict=True)
            audit_rows += zip(audits[report_id], [when for _action, when in steps], strict=True)
        _rows_update(
            Report, ["created_at", "updated_at", "first_submitted_at", "submitted_at", "accepted_at"], report_rows
        )
        _rows_update(ReportEvent, ["at"], event_rows)
        _rows_update(AuditEntry, ["at"], audit_rows)

    def summary(self) -> str:
        statuses = Counter(Report.objects.filter(pk__in=self.steps).values_list("status", flat=True))
        listed = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
        return f"filed {len(self.steps)} reports ({listed}), {self.rows_written} community rows written"


def _date_notifications(*, since: datetime.datetime) -> None:
    """Date the workflow notifications of this run by their step; only what still needs attention stays unread."""
    sent = list(
        Notification.objects.filter(created_at__gte=since, key__startswith="report-event:").values_list("pk", "key")
    )
    if not sent:
        return
    event_ids = {pk: int(key.rsplit(":", 1)[1]) for pk, key in sent}
    events = {
        pk: (at, report_id, status)
        for pk, at, report_id, status in ReportEvent.objects.filter(pk__in=set(event_ids.values())).values_list(
            "pk", "at", "report_id", "report__status"
        )
    }
    latest = dict(
        ReportEvent.objects.filter(report_id__in={e[1] for e in events.values()})
        .order_by()
        .values("report_id")
        .annotate(last=models.Max("pk"))
        .values_list("report_id", "last")
    )
    waiting = {Report.Status.SUBMITTED, Report.Status.RESUBMITTED, Report.Status.RETURNED}
    rows = []
    for pk, event_id in event_ids.items():
        if event_id not in events:
            continue
        at, report_id, status = events[event_id]
        unread = latest.get(report_id) == event_id and status in waiting
        rows.append((pk, at, None if unread else at + datetime.timedelta(hours=20)))
    with transaction.atomic():
        _rows_update(Notification, ["created_at", "read_at"], rows)
