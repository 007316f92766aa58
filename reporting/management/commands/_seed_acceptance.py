"""Demo year-end acceptance (验收): a finished 2021 round and a 2022 round still under way, through the services.

A community is inspected once it self-assesses as meeting the standard (its monthly row for October, or its latest
one before). Most pass; some fail an item or two, rectify and pass a re-inspection; a few are still rectifying;
objections are raised during the public notice. Inspections are signed with their historic date; the services stamp
"now" on everything else, so every step is dated back afterwards, as seed_demo does for the reports. Each step tells
the services the day it happens (`today`), as a round refuses work after its end: every step falls inside its round.

Answers are written in bulk while an inspection is still open (answering item by item, over 20,000 audited calls,
would add a minute); starting, signing, rectification and objections go through the services.
"""

from __future__ import annotations

import datetime
import random
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Count

from districts.models import AuditEntry, Community, District
from reporting.campaigns.selectors import current_standard_items
from reporting.figures.selectors import month_end
from reporting.models import Report
from standards import acceptance
from standards.models import (
    AcceptanceRound,
    Assignment,
    Inspection,
    InspectionAnswer,
    Objection,
    Rectification,
    SelfAssessment,
)

LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)
D = datetime.date

# Each team covers a fixed group of districts: an inspector of the commission with staff of the departments that own
# the items most often found wanting. 和平区 comes last in the first team's tour, so in the 2022 round it is where
# assignments are still waiting.
TEAMS = (
    ("第一检查组", "inspector-1", ("dept-zjw", "dept-mzj"), ("120104", "120111", "120112", "120103", "120101")),
    ("第二检查组", "inspector-2", ("dept-sthjj",), ("120102", "120105", "120106", "120110", "120113")),
    (
        "第三检查组",
        "inspector-3",
        ("dept-cgw", "dept-gaj"),
        ("120114", "120115", "120116", "120117", "120118", "120119"),
    ),
)
HEPING, HEXI = "120101", "120103"


@dataclass(frozen=True)
class _RoundPlan:
    name: str
    year: int
    created_on: datetime.date
    opens_on: datetime.date
    closes_on: datetime.date
    notice_days: int
    self_assessed_by: datetime.date  # the month whose self-assessment (or the latest before it) decides who applies
    first_visits: tuple[datetime.date, datetime.date]  # first inspections, from and until
    last_day: datetime.date  # nothing in this round happens later
    # Failed first inspections whose rectification has not been closed by a re-inspection: (state, share of the
    # failures, at least). The others are rectified and pass their re-inspection.
    unfinished: tuple[tuple[str, float, int], ...]
    objections: tuple[str, ...]  # the decisions on objections raised during the notice
    seed: int
    ongoing: bool = False  # leaves work waiting: assignments not started and one inspection half done


ROUNDS = (
    _RoundPlan(
        name="2021年度绿色社区创建验收",
        year=2021,
        created_on=D(2021, 10, 11),
        opens_on=D(2021, 10, 15),
        closes_on=D(2021, 12, 25),
        notice_days=7,
        self_assessed_by=D(2021, 10, 1),
        first_visits=(D(2021, 11, 1), D(2021, 12, 17)),
        last_day=D(2021, 12, 24),
        unfinished=(("requested", 0.0, 2), ("open", 0.0, 3)),
        objections=(Objection.Decision.DISMISSED, Objection.Decision.UPHELD),
        seed=2021,
    ),
    _RoundPlan(
        name="2022年度绿色社区创建验收",
        year=2022,
        created_on=D(2022, 9, 26),
        opens_on=D(2022, 10, 10),
        closes_on=D(2022, 12, 25),
        notice_days=7,
        self_assessed_by=D(2022, 10, 1),
        first_visits=(D(2022, 10, 17), D(2022, 12, 20)),
        last_day=D(2022, 12, 23),
        unfinished=(("requested", 0.15, 2), ("done", 0.1, 1), ("open", 0.25, 3)),
        objections=(Objection.Decision.DISMISSED, Objection.Decision.PENDING),
        seed=2022,
        ongoing=True,
    ),
)
FAIL_SHARE = 0.15
WAITING_IN_HEPING = 4  # inspector-1's 和平区 assignments left not started in the ongoing round
HALF_DONE_ITEMS = 8  # items answered in the one inspection left open
NOTICE_STILL_RUNNING = D(2022, 12, 16)  # a 河西区 pass whose notice runs over 20 December 2022

# Items found wanting, how often, and what the inspectors wrote; then what the district reported having done.
FINDINGS = {
    5: ("垃圾分类投放点未设置分类标识", "部分楼院未设置垃圾分类投放点，未实现居民小区全覆盖"),
    15: ("缺少社区绿色公约公示", "居民绿色生活行为公约未经居民议事会讨论通过"),
    8: ("现场发现消防通道被私家车占压", "停车位施划不完整，楼院内车辆乱停乱放"),
    13: ("宣传栏未设置绿色社区创建专栏，创建信息更新不及时", "社区无固定宣传场所"),
    11: ("部分楼门智能门禁未投入使用，监控存在盲区", "高空抛物监控点位未接入社区平台"),
    14: ("未提供物业服务人员培训记录", "社区工作者培训台账不完整"),
    9: ("部分楼栋出入口未设置无障碍坡道", "公共活动空间缺少扶手、座椅等适老化设施"),
    3: ("未见设计师、工程师进社区的活动记录",),
    4: ("部分楼院照明设施损坏未修复", "雨后楼院积水，排水设施不完善"),
    7: ("公共活动空间健身器材破损未更换",),
    2: ("议事会会议记录不完整，未见线上议事记录",),
}
FINDING_WEIGHTS = {5: 6, 15: 5, 8: 5, 13: 4, 11: 3, 14: 3, 9: 2, 3: 2, 4: 2, 7: 1, 2: 1}
REMEDIES = {
    5: "已在各投放点张贴分类标识，增设投放点2处，并安排志愿者桶边督导",
    15: "居民绿色生活行为公约已经居民议事会讨论通过，在宣传栏和各楼门张贴公示",
    8: "已清理占压消防通道车辆，重新施划停车位和消防通道标线",
    13: "宣传栏已增设绿色社区创建专栏，每月更新创建信息",
    11: "已完成智能门禁调试并补装监控点位，全部接入社区平台",
    14: "已组织物业服务人员和社区工作者专题培训，补齐培训台账",
    9: "已在主要楼栋出入口加装无障碍坡道和扶手",
    3: "已邀请责任规划师进社区踏勘，组织居民讨论整治方案并留存记录",
    4: "已更换损坏的楼院照明灯具，疏通排水管道",
    7: "已更换破损健身器材，并落实日常巡查维护",
    2: "已补齐议事会会议记录，开通线上议事群",
}
# What an inspector sometimes notes on an item that meets the standard.
REMARKS = {
    5: "现场查看垃圾分类投放点，分类标识清晰，有桶边督导",
    7: "口袋公园和健身广场使用情况良好",
    8: "停车秩序规范，消防通道标线清晰",
    11: "智能门禁和监控系统运行正常",
    12: "已引入专业物业服务",
    13: "宣传栏设有创建专栏，信息更新及时",
    15: "绿色生活行为公约已张贴公示，居民知晓率较高",
}
OBJECTIONS = (
    (
        "小区居民（来信）",
        "反映小区东侧停车秩序混乱，消防通道经常被车辆占压，与公示的验收结论不符。",
        "经组织现场复核，消防通道标线清晰，检查期间未发现占压情况，来信反映的问题已由社区纳入日常巡查，异议不成立。",
        "经现场核实，来信反映的情况属实：小区内多处消防通道被长期占压，验收时未予发现。异议成立，取消该社区本年度达标认定，责成所在区督促整改。",
    ),
    (
        "社区居民（电话）",
        "反映社区垃圾分类投放点混投混运，分类收运未落实。",
        "经调阅收运台账并现场查看，分类收运正常，个别混投情况已由社区督导员纠正，异议不成立。",
        "经核实，社区垃圾分类收运不规范问题属实，异议成立，取消该社区本年度达标认定，责成所在区督促整改。",
    ),
)


@dataclass
class _Visit:
    """One inspection to make: of which assignment, when, and what it finds."""

    assignment: Assignment
    at: datetime.datetime
    not_applicable: frozenset[int]
    failed: tuple[int, ...] = ()
    state: str = "passed"  # when it fails, where its rectification stands: closed, requested, done or open
    # Set once the visit is made.
    started_at: datetime.datetime = field(init=False)
    inspection: Inspection = field(init=False)


@dataclass
class _Stamps:
    """When each audited step happened, per audited object, in the order the services wrote the entries."""

    since: int  # the last audit entry before this run
    steps: dict[tuple[int, str], list[datetime.datetime]] = field(default_factory=lambda: defaultdict(list))

    def add(self, obj: models.Model, when: datetime.datetime) -> None:
        self.steps[(ContentType.objects.get_for_model(obj).pk, str(obj.pk))].append(when)


RowsUpdate = Callable[[type[models.Model], Sequence[str], Sequence[Sequence[Any]]], None]


def seed_acceptance() -> str:
    """Create the demo acceptance rounds that are not there yet; returns a one-line summary."""
    # seed_demo imports this module, so its helper is imported once seed_demo is fully loaded.
    from reporting.management.commands.seed_demo import _rows_update

    users = {u.username: u for u in get_user_model().objects.all()}
    summaries = []
    with transaction.atomic():
        stamps = _Stamps(since=AuditEntry.objects.aggregate(last=models.Max("pk"))["last"] or 0)
        for plan in ROUNDS:
            if AcceptanceRound.objects.filter(name=plan.name, year=plan.year).exists():
                summaries.append(f"{plan.year} round already present, left as it is")
                continue
            summaries.append(_Round(plan, users, stamps, _rows_update).run())
        if stamps.steps:
            _date_audit(stamps, _rows_update)
            _refresh_monthly_figures(_rows_update)
    return "acceptance: " + "; ".join(summaries)


class _Round:
    """One round, from its creation to where it stood at its end (or, for the round under way, today)."""

    def __init__(self, plan: _RoundPlan, users: dict[str, Any], stamps: _Stamps, rows_update: RowsUpdate) -> None:
        self.plan, self.users, self.stamps, self.rows_update = plan, users, stamps, rows_update
        self.rng = random.Random(plan.seed)
        self.commission = users.get("commission")
        self.items = {item.number: item for item in current_standard_items()}
        self.inspector: dict[int, Any] = {}  # team → the inspector who signs
        self.district_code = dict(District.objects.values_list("pk", "code"))
        self.assigned_at: list[tuple[int, datetime.datetime]] = []

    def run(self) -> str:
        plan = self.plan
        self.round = acceptance.round_create(
            name=plan.name,
            year=plan.year,
            opens_on=plan.opens_on,
            closes_on=plan.closes_on,
            notice_days=plan.notice_days,
            by=self.commission,
        )
        created = self._moment(plan.created_on)
        self.stamps.add(self.round, created)
        self.rows_update(AcceptanceRound, ["created_at"], [(self.round.pk, created)])

        visits, waiting = self._first_inspections()
        self._inspect(visits)
        reinspections = self._rectify([v for v in visits if v.failed])
        self._inspect(reinspections)
        objections = self._objections([v for v in visits if not v.failed])
        if waiting:
            self._half_done(waiting[0])
        self.rows_update(Assignment, ["assigned_at"], self.assigned_at)

        states = Counter(v.state for v in visits if v.failed)
        return (
            f"{plan.year} round: {len(visits)} communities inspected, {sum(states.values())} failed "
            f"({', '.join(f'{n} {state}' for state, n in sorted(states.items()))}), "
            f"{len(reinspections)} re-inspected, {objections} objections"
            + (f", {len(waiting) - 1} assignments not started and one inspection half done" if waiting else "")
        )

    def _moment(self, day: datetime.date, first_hour: int = 9, last_hour: int = 16) -> datetime.datetime:
        """A time during office hours on `day`, in Tianjin."""
        hour, minute = self.rng.randint(first_hour, last_hour), self.rng.randint(0, 59)
        return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL)

    # --- who is inspected, when, and what is found --------------------------------------------------------------

    def _applicants(self) -> dict[int, frozenset[int]]:
        """Communities that self-assessed as meeting the standard by the plan's month and are not yet accepted,
        with the items they marked not applicable."""
        plan = self.plan
        latest: dict[int, tuple[str, dict[str, str]]] = {}
        rows = SelfAssessment.objects.filter(period__lte=plan.self_assessed_by).order_by("period")
        for community_id, stage, items in rows.values_list("community_id", "stage", "items"):
            latest[community_id] = (stage, items)
        # Met already, or still rectifying what an earlier round found: not a new applicant.
        settled = set(acceptance.met_communities(plan.opens_on).values_list("pk", flat=True)) | set(
            Rectification.objects.exclude(status=Rectification.Status.CLOSED).values_list("community_id", flat=True)
        )
        on_roster = set(Community.objects.on_roster(plan.opens_on).values_list("pk", flat=True))
        return {
            community_id: frozenset(int(n) for n, status in items.items() if status == "not_applicable")
            for community_id, (stage, items) in latest.items()
            if stage == SelfAssessment.Stage.MEETS and community_id in on_roster and community_id not in settled
        }

    def _first_inspections(self) -> tuple[list[_Visit], list[Assignment]]:
        """Teams, assignments, and the first inspections' dates and findings. Returns the visits to make and, in a
        round under way, the assignments waiting (the first of them is half done)."""
        plan, rng = self.plan, self.rng
        applicants = self._applicants()
        by_district: dict[str, list[Community]] = defaultdict(list)
        communities = Community.objects.filter(pk__in=applicants).select_related("district")
        for community in communities.order_by("street__code", "code"):
            by_district[community.district.code].append(community)

        visits: list[_Visit] = []
        waiting: list[Assignment] = []
        for name, inspector, staff, codes in TEAMS:
            members = [self.users[username] for username in (inspector, *staff) if username in self.users]
            formed = self._moment(plan.created_on + datetime.timedelta(days=2))
            team = acceptance.team_create(
                round=self.round, name=name, members=members, by=self.commission, today=formed.date()
            )
            self.stamps.add(team, formed)
            self.inspector[team.pk] = self.users.get(inspector)
            tour: list[Assignment] = []
            for code in codes:
                if not by_district[code]:
                    continue
                when = self._moment(_add_workdays(plan.opens_on, rng.randint(0, 4)))
                created = acceptance.assignments_create(
                    round=self.round, communities=by_district[code], team=team, by=self.commission, today=when.date()
                )
                for assignment in created:
                    self.stamps.add(assignment, when)
                    self.assigned_at.append((assignment.pk, when))
                order = {c.pk: index for index, c in enumerate(by_district[code])}
                tour += sorted(created, key=lambda a: order[a.community_id])
            if plan.ongoing and inspector == "inspector-1":
                # The tour ends in 和平区, where the team has not got to the last few yet.
                heping = [a for a in tour if self.district_code[a.district_id] == HEPING]
                held = heping[-min(len(heping) - 1, WAITING_IN_HEPING + 1) :] if len(heping) > 1 else []
                waiting += held
                tour = [a for a in tour if a not in held]
            visits += self._schedule(tour, applicants)
        self._findings(visits)
        return sorted(visits, key=lambda v: v.at), waiting

    def _schedule(self, tour: list[Assignment], applicants: dict[int, frozenset[int]]) -> list[_Visit]:
        """Spread a team's tour over the working days of the round, a few communities a day."""
        days = _workdays(*self.plan.first_visits)
        per_day: dict[datetime.date, list[Assignment]] = defaultdict(list)
        for index, assignment in enumerate(tour):
            per_day[days[index * len(days) // len(tour)]].append(assignment)
        visits = []
        for day, assignments in per_day.items():
            # Signed on leaving: the day's visits spread between late morning and late afternoon.
            for slot, assignment in enumerate(assignments):
                signed = 10 * 60 + 30 + slot * (390 // len(assignments)) + self.rng.randint(0, 25)
                at = datetime.datetime(day.year, day.month, day.day, signed // 60, signed % 60, tzinfo=LOCAL)
                visits.append(_Visit(assignment, at, applicants[assignment.community_id]))
        return visits

    def _findings(self, visits: list[_Visit]) -> None:
        """Which first inspections fail, on which items, and how far each rectification has come by the end."""
        plan, rng = self.plan, self.rng
        visits.sort(key=lambda v: v.at)
        failures = max(round(len(visits) * FAIL_SHARE), sum(least for _state, _share, least in plan.unfinished) + 3)
        counts = {state: max(least, round(failures * share)) for state, share, least in plan.unfinished}
        counts = {"closed": failures - sum(counts.values()), **counts}
        # Rectifying, asking for a re-inspection and passing it takes about three weeks; a later failure has only
        # got as far as its date allows.
        needs = {"closed": 17, "requested": 9, "done": 6, "open": 0}
        taken: set[int] = set()
        for state, count in counts.items():
            latest = plan.last_day - datetime.timedelta(days=needs[state])
            pool = [i for i, v in enumerate(visits) if v.at.date() <= latest and i not in taken]
            if state == "open":  # mostly recent findings, the odd one long overdue
                pool = pool[len(pool) * 2 // 3 :] + pool[: len(pool) * 2 // 3 : 9]
            for index in rng.sample(pool, min(count, len(pool))):
                visit = visits[index]
                candidates = [n for n in FINDINGS if n not in visit.not_applicable]
                weights = [FINDING_WEIGHTS[n] for n in candidates]
                found = {rng.choices(candidates, weights)[0] for _ in range(rng.choice((1, 1, 2)))}
                visit.failed, visit.state = tuple(sorted(found)), state
                taken.add(index)
        if plan.ongoing:
            # One 河西区 pass whose public notice is still running on 20 December.
            hexi = [v for v in visits if not v.failed and self.district_code[v.assignment.district_id] == HEXI]
            if hexi:
                moved = hexi[-1]
                moved.at = moved.at.replace(month=NOTICE_STILL_RUNNING.month, day=NOTICE_STILL_RUNNING.day)

    # --- through the services -----------------------------------------------------------------------------------

    def _inspect(self, visits: list[_Visit]) -> None:
        """Start, answer (in bulk, while open), date and sign each visit, in the order they happened."""
        if not visits:
            return
        for visit in visits:
            visit.started_at = visit.at - datetime.timedelta(minutes=self.rng.randint(45, 70))
            visit.inspection = acceptance.inspection_start(
                assignment=visit.assignment,
                by=self.inspector[visit.assignment.team_id],
                today=visit.started_at.date(),
            )
            self.stamps.add(visit.inspection, visit.started_at)
        InspectionAnswer.objects.bulk_create([answer for visit in visits for answer in self._answers(visit)])
        self._date_open([(v.inspection.pk, v.started_at, v.at - datetime.timedelta(minutes=10)) for v in visits])
        for visit in visits:
            visit.inspection = acceptance.inspection_sign(
                inspection=visit.inspection,
                by=self.inspector[visit.assignment.team_id],
                summary=self._summary(visit),
                signed_at=visit.at,
            )
            self.stamps.add(visit.inspection, visit.at)

    def _answers(self, visit: _Visit) -> list[InspectionAnswer]:
        reinspection = visit.assignment.kind == Assignment.Kind.REINSPECTION
        remarks = self.rng.sample(sorted(set(REMARKS) - set(visit.failed)), self.rng.choice((0, 0, 1, 2)))
        answers = []
        for number, item in self.items.items():
            if number in visit.not_applicable:
                result, note = InspectionAnswer.Result.NOT_APPLICABLE, ""
            elif number in visit.failed and reinspection:
                result, note = InspectionAnswer.Result.MEETS, "复查：已整改到位"
            elif number in visit.failed:
                result, note = InspectionAnswer.Result.FAILS, self.rng.choice(FINDINGS[number])
            else:
                result, note = InspectionAnswer.Result.MEETS, REMARKS[number] if number in remarks else ""
            answers.append(
                InspectionAnswer(
                    inspection=visit.inspection,
                    item=item,
                    result=result,
                    note=note,
                    answered_by=self.inspector[visit.assignment.team_id],
                )
            )
        return answers

    def _date_open(self, rows: Sequence[tuple[int, datetime.datetime, datetime.datetime]]) -> None:
        date_open_inspections(self.rows_update, rows)

    def _summary(self, visit: _Visit) -> str:
        listed = "、".join(f"第{n}项" for n in sorted(visit.not_applicable))
        checked = f"对照16项创建标准逐项核查（{listed}不适用）" if listed else "对照16项创建标准逐项核查"
        failed = "、".join(f"第{n}项" for n in visit.failed)
        if visit.assignment.kind == Assignment.Kind.REINSPECTION:
            return f"复查：{failed}已整改到位。{checked}，全部符合创建要求，同意通过验收。"
        if visit.failed:
            due = visit.at.date() + datetime.timedelta(days=self.round.rectification_days)
            return (
                f"{checked}，{failed}不符合创建要求，其余各项符合。"
                f"请于{due.year}年{due.month}月{due.day}日前完成整改后申请复查。"
            )
        return f"{checked}，全部符合创建要求，同意通过验收。"

    def _rectify(self, failed: list[_Visit]) -> list[_Visit]:
        """Rectify, ask for a re-inspection and assign it, as far as each failure has come. Returns the
        re-inspections to make."""
        rng = self.rng
        done_at: list[tuple[int, datetime.datetime]] = []
        requested_at: list[tuple[int, datetime.datetime]] = []
        reinspections = []
        for visit in failed:
            if visit.state == "open":
                continue
            district_staff = self.users.get(f"district-{self.district_code[visit.assignment.district_id]}")
            done_on = min(_add_workdays(visit.at.date(), rng.randint(3, 6)), self.plan.last_day)
            rectifications = list(Rectification.objects.filter(inspection=visit.inspection).select_related("item"))
            for rectification in rectifications:
                when = self._moment(done_on, 9, 12)
                acceptance.rectification_done(
                    rectification=rectification,
                    note=REMEDIES[rectification.item.number],
                    by=district_staff,
                    today=done_on,
                )
                self.stamps.add(rectification, when)
                done_at.append((rectification.pk, when))
            if visit.state == "done":
                continue
            asked = self._moment(min(_add_workdays(done_on, rng.randint(0, 1)), self.plan.last_day), 14, 16)
            acceptance.reinspection_request(community=visit.assignment.community, by=district_staff, today=asked.date())
            self.stamps.add(visit.assignment.community, asked)
            requested_at += [(rectification.pk, asked) for rectification in rectifications]
            if visit.state == "requested":
                continue
            assigned = self._moment(min(_add_workdays(asked.date(), 1), self.plan.last_day))
            (assignment,) = acceptance.assignments_create(
                round=self.round,
                communities=[visit.assignment.community],
                team=visit.assignment.team,
                by=self.commission,
                kind=Assignment.Kind.REINSPECTION,
                today=assigned.date(),
            )
            self.stamps.add(assignment, assigned)
            self.assigned_at.append((assignment.pk, assigned))
            again = self._moment(min(_add_workdays(assigned.date(), rng.randint(2, 3)), self.plan.last_day), 10, 16)
            reinspections.append(_Visit(assignment, again, visit.not_applicable, visit.failed))
        self.rows_update(Rectification, ["done_at"], done_at)
        self.rows_update(Rectification, ["requested_at"], requested_at)
        return sorted(reinspections, key=lambda v: v.at)

    def _objections(self, passed: list[_Visit]) -> int:
        """Objections received during the notice: decided a few days after it ends, or (late in a round under way)
        still pending. Returns how many."""
        rng, plan = self.rng, self.plan
        decided: list[tuple[int, datetime.datetime]] = []
        # Not the 河西区 community kept for its notice period, whose status an objection would change.
        passed = [v for v in passed if self.district_code[v.assignment.district_id] != HEXI]
        early = [v for v in passed if v.at.date() <= plan.last_day - datetime.timedelta(days=21)]
        late = [v for v in passed if v.at.date() >= plan.last_day - datetime.timedelta(days=8)]
        raised = 0
        for (raised_by, text, dismissed, upheld), decision in zip(OBJECTIONS, plan.objections, strict=True):
            pool = late if decision == Objection.Decision.PENDING else early
            if not pool:
                continue
            inspection = pool.pop(rng.randrange(len(pool))).inspection
            assert inspection.signed_on is not None and inspection.notice_ends_on is not None  # a signed pass
            received = min(inspection.signed_on + datetime.timedelta(days=rng.randint(1, 4)), plan.last_day)
            objection = acceptance.objection_record(
                inspection=inspection, received_on=received, text=text, raised_by=raised_by, by=self.commission
            )
            self.stamps.add(objection, self._moment(received))
            raised += 1
            if decision == Objection.Decision.PENDING:
                continue
            when = self._moment(_add_workdays(inspection.notice_ends_on, rng.randint(1, 3)))
            note = upheld if decision == Objection.Decision.UPHELD else dismissed
            acceptance.objection_decide(objection=objection, decision=decision, note=note, by=self.commission)
            self.stamps.add(objection, when)
            decided.append((objection.pk, when))
        self.rows_update(Objection, ["decided_at"], decided)
        return raised

    def _half_done(self, assignment: Assignment) -> None:
        """The inspection the inspector is in the middle of: started on the round's last day, half answered."""
        inspector = self.inspector[assignment.team_id]
        started = self._moment(self.plan.last_day, 14, 14)
        inspection = acceptance.inspection_start(assignment=assignment, by=inspector, today=started.date())
        self.stamps.add(inspection, started)
        for number in range(1, HALF_DONE_ITEMS + 1):
            acceptance.answer_save(
                inspection=inspection,
                item_number=number,
                result=InspectionAnswer.Result.MEETS,
                note=REMARKS.get(number, ""),
                by=inspector,
                today=started.date(),
            )
            self.stamps.add(inspection, started + datetime.timedelta(minutes=6 * number))
        self._date_open([(inspection.pk, started, started + datetime.timedelta(minutes=6 * HALF_DONE_ITEMS))])


def date_open_inspections(
    rows_update: RowsUpdate, rows: Sequence[tuple[int, datetime.datetime, datetime.datetime]]
) -> None:
    """Date inspections (id, started, answered) and their answers while still open: once signed, the database
    refuses any change."""
    rows_update(Inspection, ["started_at"], [(pk, started) for pk, started, _answered in rows])
    quote = connection.ops.quote_name
    answered_at = InspectionAnswer._meta.get_field("answered_at")
    sql = (
        f"UPDATE {quote(InspectionAnswer._meta.db_table)} SET {quote(answered_at.column)} = %s "  # noqa: S608 — names come from the model
        f"WHERE {quote(InspectionAnswer._meta.get_field('inspection').column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[answered_at.get_db_prep_save(at, connection), pk] for pk, _started, at in rows])


def _workdays(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    days = (first + datetime.timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.weekday() < 5]


def _add_workdays(day: datetime.date, count: int) -> datetime.date:
    """`count` working days after `day` (0: `day` itself, or the next working day if it falls on a weekend)."""
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    while count > 0:
        day += datetime.timedelta(days=1)
        count -= day.weekday() < 5
    return day


def _date_audit(stamps: _Stamps, rows_update: RowsUpdate) -> None:
    """Date the audit entries this run wrote by the steps they record (the services stamp "now")."""
    entries: dict[tuple[int, str], list[int]] = defaultdict(list)
    written = AuditEntry.objects.filter(pk__gt=stamps.since, content_type__isnull=False).order_by("pk")
    for pk, content_type_id, object_id in written.values_list("pk", "content_type_id", "object_id"):
        entries[(content_type_id, object_id)].append(pk)
    rows: list[tuple[int, datetime.datetime]] = []
    for key, times in stamps.steps.items():
        rows += zip(entries[key], times, strict=True)
    rows_update(AuditEntry, ["at"], rows)


def _refresh_monthly_figures(rows_update: RowsUpdate) -> None:
    """Submitted monthly reports froze their figures before any inspection was seeded; give them the number of
    communities that had met the standard by the month's end, as they would have shown."""
    first = AcceptanceRound.objects.order_by("opens_on").values_list("opens_on", flat=True).first()
    if first is None:
        return
    reports = list(
        Report.objects.filter(kind=Report.Kind.MONTHLY, period__gte=first.replace(day=1))
        .exclude(figures={})
        .values_list("pk", "district_id", "period", "figures")
    )
    met: dict[datetime.date, dict[int, int]] = {}
    for period in {period for _pk, _district, period, _figures in reports}:
        counted = acceptance.met_inspections(month_end(period)).order_by().values("district_id")
        met[period] = dict(counted.annotate(n=Count("pk")).values_list("district_id", "n"))
    rows_update(
        Report,
        ["figures"],
        [
            (pk, figures | {"met": met[period].get(district_id, 0)})
            for pk, district_id, period, figures in reports
            if figures.get("met") != met[period].get(district_id, 0)
        ],
    )
