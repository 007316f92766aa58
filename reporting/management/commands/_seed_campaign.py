"""The demo's second campaign, 天津市绿色社区巩固提升行动（2025—2027年）: opened by the commission at the end of 2024
with a revised copy of the 2020 standard (two items changed) and made current, then under way. The districts enrolled
their communities that had not yet met the standard, and have filed monthly reports from January 2025 to November
2026 (the last months still being filed and reviewed) and the 2025 and 2026 annual reports.

seed_demo runs it in two steps: `seed_second_campaign_opening` before the re-check rounds (the 2025 and 2026 rounds
inspect against the standard in force) and the refinements (districts refine the current standard), and
`seed_second_campaign_activity` last, once the roster releases of 2024 and 2026 are in, so that enrolment and the
monthly rows honour the roster of their day. Both go through the services and date every step back; running them
again adds nothing.
"""

from __future__ import annotations

import datetime
import math
import random
import zoneinfo
from collections import Counter, defaultdict
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction

from districts.models import AuditEntry, Community, District
from reporting.campaigns.services import MilestoneSpec, PhaseSpec, campaign_make_current, campaign_open
from reporting.figures.selectors import campaign_months
from reporting.management.commands._seed_acceptance import RowsUpdate, _date_audit, _Stamps
from reporting.management.commands.seed_demo import _date_notifications, _History, _Progress, _rows_update
from reporting.models import Campaign, Enrolment, Milestone, Report
from reporting.services import enrolment_enrol
from standards.acceptance import met_communities
from standards.models import StandardItem
from standards.versions import standard_item_update, standard_version_copy

D = datetime.date
LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)

NAME = "天津市绿色社区巩固提升行动（2025—2027年）"
ISSUED_BY = "天津市住房和城乡建设委员会"
STANDARD_NAME = "绿色社区创建标准（2025年修订）"
STARTS_ON, ENDS_ON = D(2025, 1, 1), D(2027, 12, 31)
# The two items the revision changes: waste sorting now asks for separate collection of kitchen waste, and property
# management's floor rises from 30% to 50% with every old estate covered.
REVISED = {
    5: "开展了社区道路综合治理、海绵化改造和建设，生活垃圾分类居民小区全覆盖，厨余垃圾单独投放、单独收运",
    12: "物业管理覆盖面不低于50%，老旧小区实现专业化物业服务或准物业管理全覆盖",
}
MEASURES = (
    "对已达标社区开展年度自查，配合全市复查，发现问题限期整改",
    "按修订后的标准推进厨余垃圾单独投放、单独收运",
    "推进老旧小区专业化物业服务或准物业管理全覆盖",
    "将未达标社区纳入老旧小区改造和城市更新项目统筹推进",
    "组织社区工作者、物业服务从业者分批培训",
)
ASSIGNMENTS = (
    ("对照修订后的标准开展未达标社区调查摸底", "{district}住房建设委", D(2025, 3, 31)),
    ("推进厨余垃圾单独收运，完善收运台账", "{district}城市管理委", D(2025, 12, 31)),
    ("老旧小区物业服务或准物业管理全覆盖", "{district}住房建设委", D(2026, 6, 30)),
    ("规范社区停车秩序，保障消防生命通道畅通", "{district}公安分局", D(2026, 10, 31)),
    ("组织社区工作者和物业服务从业者培训", "{district}民政局", D(2027, 6, 30)),
)
PHASES = (
    PhaseSpec("巩固提升阶段", D(2025, 1, 1), D(2025, 12, 31)),
    PhaseSpec("全面提升阶段", D(2026, 1, 1), D(2026, 12, 31)),
    PhaseSpec("总结评估阶段", D(2027, 1, 1), D(2027, 12, 31)),
)
TARGETS = {2025: Decimal("0.650"), 2026: Decimal("0.750"), 2027: Decimal("0.850")}
MILESTONES = tuple(
    MilestoneSpec(
        f"各区{round(share * 100)}%以上城市社区达到创建要求", Milestone.Kind.MET_SHARE, D(year, 12, 31), share
    )
    for year, share in TARGETS.items()
)
# When the commission did each step.
COPIED_ON, REVISED_ON, OPENED_ON, CURRENT_ON = D(2024, 11, 18), D(2024, 11, 20), D(2024, 12, 10), D(2024, 12, 20)
PLAN_DUE = D(2025, 2, 28)
# The last month whose report is due by the demo's today (the 5th of December 2026), and when its steps end.
LAST_MONTH = D(2026, 11, 1)
STEPS_UNTIL = datetime.datetime(2026, 12, 7, 17, 30, tzinfo=LOCAL)


def second_campaign() -> Campaign | None:
    return Campaign.objects.filter(name=NAME).first()


def seed_second_campaign_opening() -> str:
    """The commission copies the 2020 standard, revises two items, opens the campaign and makes it current."""
    if second_campaign() is not None:
        return "second campaign already present, left as it is"
    first = Campaign.objects.order_by("starts_on").first()
    if first is None:
        return "no campaign to follow"
    commission = get_user_model().objects.filter(username="commission").first()
    rng = random.Random(2024)
    with transaction.atomic():
        stamps = _Stamps(since=AuditEntry.objects.aggregate(last=models.Max("pk"))["last"] or 0)
        version = standard_version_copy(source=first.standard, name=STANDARD_NAME, by=commission)
        stamps.add(version, _moment(rng, COPIED_ON))
        for number, text in REVISED.items():
            item = StandardItem.objects.select_related("category").get(version=version, number=number)
            item = standard_item_update(
                item=item,
                text=text,
                category=item.category,
                allows_not_applicable=item.allows_not_applicable,
                by=commission,
            )
            stamps.add(item, _moment(rng, REVISED_ON))
        campaign = campaign_open(
            name=NAME,
            issued_by=ISSUED_BY,
            starts_on=STARTS_ON,
            ends_on=ENDS_ON,
            standard=version,
            monthly_due_day=5,
            phases=PHASES,
            milestones=MILESTONES,
            annual_due=(11, 15),
            plan_due=PLAN_DUE,
            by=commission,
        )
        stamps.add(campaign, _moment(rng, OPENED_ON))
        campaign_make_current(campaign=campaign, by=commission)
        stamps.add(campaign, _moment(rng, CURRENT_ON))
        _date_audit(stamps, _rows_update)
        _rows_update(type(version), ["created_at"], [(version.pk, _moment(rng, COPIED_ON))])
    revised = "、".join(str(n) for n in REVISED)
    return f"second campaign: {NAME} opened with {STANDARD_NAME} (items {revised} revised), current"


def seed_second_campaign_activity() -> str:
    """Enrolment and the reports of 2025-01 to 2026-11, through the services, each step dated back."""
    campaign = second_campaign()
    if campaign is None:
        return "no second campaign"
    if Enrolment.objects.filter(campaign=campaign).exists():
        return "second campaign's enrolments already present, left as they are"
    started = datetime.datetime.now(tz=LOCAL)
    with transaction.atomic():
        enrolled, met_before = _enrol(campaign, _rows_update)
        history = _LaterHistory(campaign, enrolled, met_before)
        history.implementation_plans()
        history.monthly_reports()
        history.annual_reports()
        history.date_steps()
    _date_notifications(since=started)
    return (
        f"second campaign: enrolled {len(enrolled)} communities that had not yet met the standard; {history.summary()}"
    )


def _moment(rng: random.Random, day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, rng.randint(9, 16), rng.randint(0, 59), tzinfo=LOCAL)


def _enrol(campaign: Campaign, rows_update: RowsUpdate) -> tuple[list[Enrolment], Counter[int]]:
    """Each district enrols, in two batches in the first half of 2025, its urban communities on the roster that had
    not met the standard when the campaign began; returns the enrolments and how many had met, per district."""
    rng = random.Random(2025)
    before = STARTS_ON - datetime.timedelta(days=1)
    met = set(met_communities(before).values_list("pk", flat=True))
    urban = (
        Community.objects.as_of(STARTS_ON)
        .filter(kind_on=Community.Kind.RESIDENTS_COMMITTEE)
        .select_related("district")
        .order_by("code")
    )
    by_district: dict[int, list[Community]] = defaultdict(list)
    met_before: Counter[int] = Counter()
    for community in urban:
        if not community.is_on_roster(STARTS_ON):
            continue
        if community.pk in met:
            met_before[community.district_id] += 1
        else:
            by_district[community.district_id].append(community)
    enrolled: list[Enrolment] = []
    stamps = _Stamps(since=AuditEntry.objects.aggregate(last=models.Max("pk"))["last"] or 0)
    staff = {u.username: u for u in get_user_model().objects.filter(username__startswith="district-")}
    for district in District.objects.order_by("code"):
        pool = by_district.get(district.pk, [])
        if not pool:
            continue
        first = round(len(pool) * rng.uniform(0.6, 0.8))
        batches = (
            (pool[:first], _day(rng, D(2025, 1, 6), D(2025, 2, 28))),
            (pool[first:], _day(rng, D(2025, 3, 3), D(2025, 6, 27))),
        )
        for members, joined in batches:
            if not members:
                continue
            made = enrolment_enrol(
                campaign=campaign,
                communities=members,
                kind=Enrolment.Kind.BATCH,
                joined_on=joined,
                by=staff.get(f"district-{district.code}"),
            )
            for enrolment in made:
                stamps.add(enrolment, _moment(rng, joined))
            enrolled += made
    _date_audit(stamps, rows_update)
    return enrolled, met_before


def _day(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


class _LaterHistory(_History):
    """The first campaign's report history, for a campaign that starts with most communities already meeting the
    standard: each enrolled community starts in its first month or the next, and about half of them self-assess as
    meeting it five to sixteen months later."""

    def __init__(self, campaign: Campaign, enrolments: list[Enrolment], met_before: Counter[int]) -> None:
        self.met_before = met_before
        super().__init__(campaign, enrolments)
        self.rng = random.Random(2026)
        self.months = campaign_months(campaign, until=LAST_MONTH)

    def _plan_progress(self, enrolments: list[Enrolment]) -> dict[int, _Progress]:
        rng = random.Random(2025)
        self.meeting_months = {district.pk: [] for district in self.districts}
        progress: dict[int, _Progress] = {}
        for enrolment in enrolments:
            joined = self._index(enrolment.joined_on)
            district_id = enrolment.community.district_id
            self.joined[(district_id, joined)] += 1
            self.first_batch[district_id] = 0  # no pilots: every month reads as the campaign under way
            starts = joined + rng.randint(0, 1)
            meets = starts + rng.randint(5, 16) if rng.random() < 0.55 else None
            if meets is not None:
                self.meeting_months[district_id].append(meets)
            progress[enrolment.community_id] = _Progress.draw(rng, starts=starts, meets=meets)
        return progress

    def implementation_plans(self) -> None:
        """Every district's plan for the campaign: its targets for each year and who does what, accepted."""
        rng = self.rng
        for district in self.districts:
            roster = self.roster[district.pk]
            targets = {year: math.ceil(roster * share) for year, share in TARGETS.items()}
            wanted = "；".join(f"到{year}年底达标社区不少于{n}个" for year, n in targets.items())
            self._file(
                kind=Report.Kind.IMPLEMENTATION_PLAN,
                period=self.campaign.starts_on,
                outcome="accepted",
                late=False,
                opened=_moment(rng, _day(rng, D(2025, 1, 13), D(2025, 2, 10))),
                filer=district,
                text={
                    "overall_target": (
                        f"巩固2020—2022年创建成果，{district.name}现有{self.met_before[district.pk]}个城市社区达到创建"
                        f"要求；{wanted}，按修订后的标准推进其余社区创建。"
                    ),
                    "measures": "；".join(f"{'一二三四'[i]}是{m}" for i, m in enumerate(rng.sample(MEASURES, 4)))
                    + "。",
                },
                plan_rows={
                    "targets": [
                        {"year": year, "communities": n, "pilots_per_street": 0} for year, n in targets.items()
                    ],
                    "assignments": [
                        {"task": task, "unit": unit.format(district=district.name), "due_on": due}
                        for task, unit, due in rng.sample(ASSIGNMENTS, 3)
                    ],
                },
            )

    def date_steps(self) -> None:
        """As the first campaign's, except that the last months' steps drawn after the demo's today (a late
        submission of November's report, say) are brought back before it, in their order."""
        for report_id, steps in self.steps.items():
            last = len(steps)
            self.steps[report_id] = [
                (action, min(when, STEPS_UNTIL - datetime.timedelta(minutes=20 * (last - index))))
                for index, (action, when) in enumerate(steps)
            ]
        super().date_steps()

    def _first_target_year(self) -> int:
        return STARTS_ON.year

    def _already_met(self, district: District) -> int:
        return self.met_before[district.pk]

    def _meeting_by(self, district: District, month: int) -> int:
        return self.met_before[district.pk] + super()._meeting_by(district, month)

    def _target(self, year: int) -> float:
        return float(TARGETS.get(year, max(TARGETS.values())))
