"""Demo standing management (长效管理): a re-check round (复查) a year from 2023 to 2026, through the services.

Each round draws a share of every district's communities that met on its opening day, from a fixed seed
("demo-2023"...) so anyone can repeat the draw. One team inspects them. Most pass; a few fail an item or two,
rectify and pass a re-inspection. In 2024 one community lets its rectification deadline pass and the daily job
revokes its title (摘牌) the day after; in 2025 an acceptance round accepts it again. The 2026 round is under way:
some communities not visited yet, one inspection half done and one rectification open with its deadline ahead.

As in `_seed_acceptance`, each step tells the services the day it happens (`today`), answers are written in bulk
while an inspection is open, and every audited step and timestamp is dated back afterwards.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction

from districts.models import AuditEntry, Community, District
from reporting.management.commands._seed_acceptance import (
    FINDING_WEIGHTS,
    FINDINGS,
    LOCAL,
    REMEDIES,
    RowsUpdate,
    _add_workdays,
    _date_audit,
    _Stamps,
    _workdays,
    date_open_inspections,
)
from reporting.models import Campaign
from standards import acceptance
from standards.models import (
    AcceptanceRound,
    Assignment,
    Inspection,
    InspectionAnswer,
    Rectification,
    Revocation,
    StandardItem,
    StandardVersion,
)
from standards.recheck import Quota, recheck_round_open, revocations_due
from standards.selectors import standard_items

D = datetime.date
SHARE = Decimal(3)  # percent of each district's communities that met, rounded up
FAIL_SHARE = 0.08
TEAM = "复查检查组"
REACCEPTANCE = "2025年度验收（摘牌社区重新验收）"


@dataclass(frozen=True)
class _RecheckPlan:
    year: int
    opens_on: datetime.date
    closes_on: datetime.date
    visits: tuple[datetime.date, datetime.date]  # first inspections, from and until
    ongoing: bool = False  # under way today: the last communities not visited yet, one inspection half done

    @property
    def name(self) -> str:
        return f"{self.year}年度绿色社区复查"

    @property
    def seed(self) -> str:
        return f"demo-{self.year}"


PLANS = (
    _RecheckPlan(2023, D(2023, 9, 1), D(2023, 11, 30), (D(2023, 9, 11), D(2023, 10, 27))),
    _RecheckPlan(2024, D(2024, 9, 2), D(2024, 11, 30), (D(2024, 9, 9), D(2024, 10, 25))),
    _RecheckPlan(2025, D(2025, 9, 1), D(2025, 11, 30), (D(2025, 9, 8), D(2025, 10, 24))),
    _RecheckPlan(2026, D(2026, 9, 1), D(2026, 12, 25), (D(2026, 9, 7), D(2026, 11, 27)), ongoing=True),
)
MISSED_YEAR = 2024  # the year one community misses its rectification deadline and loses the title


def seed_rechecks() -> str:
    """Create the demo re-check rounds unless they are there; returns a one-line summary."""
    from reporting.management.commands.seed_demo import _rows_update

    if AcceptanceRound.objects.filter(kind=AcceptanceRound.Kind.RECHECK, draw_seed=PLANS[0].seed).exists():
        return "re-checks already present, left as they are"
    users = {u.username: u for u in get_user_model().objects.filter(username__in=_usernames())}
    return "re-checks: " + recheck_history(
        districts=list(District.objects.order_by("code")), users=users, rows_update=_rows_update
    )


def _usernames() -> list[str]:
    return [
        "commission",
        "inspector-1",
        *(f"district-{code}" for code in District.objects.values_list("code", flat=True)),
    ]


def recheck_history(*, districts: Sequence[District], users: dict[str, Any], rows_update: RowsUpdate) -> str:
    """The four re-check rounds over `districts`, the revocation and the re-acceptance, in one transaction."""
    with transaction.atomic():
        stamps = _Stamps(since=AuditEntry.objects.aggregate(last=models.Max("pk"))["last"] or 0)
        history = _History(districts, users, stamps, rows_update)
        summaries = [history.round(plan) for plan in PLANS]
        _date_audit(stamps, rows_update)
    return "; ".join(summaries)


@dataclass
class _Visit:
    assignment: Assignment
    at: datetime.datetime
    failed: tuple[int, ...] = ()
    inspection: Inspection | None = None


class _History:
    def __init__(
        self, districts: Sequence[District], users: dict[str, Any], stamps: _Stamps, rows_update: RowsUpdate
    ) -> None:
        self.districts, self.users, self.stamps, self.rows_update = districts, users, stamps, rows_update
        self.commission = users.get("commission")
        self.inspector = users.get("inspector-1")
        self.items: dict[int, StandardItem] = {}  # the items of the standard the round inspects against
        self.district_code = {d.pk: d.code for d in districts}
        self.revoked: Community | None = None
        self.rng = random.Random(2023)

    def _moment(self, day: datetime.date, first_hour: int = 9, last_hour: int = 16) -> datetime.datetime:
        hour, minute = self.rng.randint(first_hour, last_hour), self.rng.randint(0, 59)
        return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL)

    def round(self, plan: _RecheckPlan) -> str:
        rng = self.rng
        reaccepted = plan.year == MISSED_YEAR + 1 and self.revoked is not None
        if self.revoked is not None and reaccepted:
            self._reaccept(self.revoked)
        created = self._moment(plan.opens_on)
        standard = _standard_in_force(plan.opens_on)
        self.items = {item.number: item for item in standard_items(standard=standard.pk)}
        round_ = recheck_round_open(
            standard=standard,
            name=plan.name,
            year=plan.year,
            opens_on=plan.opens_on,
            closes_on=plan.closes_on,
            quotas={district: Quota(share=SHARE) for district in self.districts},
            seed=plan.seed,
            by=self.commission,
        )
        self.stamps.add(round_, created)
        self.rows_update(AcceptanceRound, ["created_at"], [(round_.pk, created)])
        team = acceptance.team_create(
            round=round_,
            name=TEAM,
            members=[self.inspector] if self.inspector else [],
            by=self.commission,
            today=plan.opens_on,
        )
        self.stamps.add(team, created + datetime.timedelta(minutes=20))
        communities = list(
            Community.objects.filter(pk__in=round_.selections.values("community_id")).order_by("district__code", "code")
        )
        assigned = self._moment(_add_workdays(plan.opens_on, 2))
        assignments = acceptance.assignments_create(
            round=round_, communities=communities, team=team, by=self.commission, today=assigned.date()
        )
        for assignment in assignments:
            self.stamps.add(assignment, assigned)
        self.rows_update(Assignment, ["assigned_at"], [(a.pk, assigned) for a in assignments])
        order = {c.pk: index for index, c in enumerate(communities)}
        tour = sorted(assignments, key=lambda a: order[a.community_id])
        # Failures: never a community still carrying a rectification from before (as one revoked is); in the round
        # under way such a community is among those not visited yet.
        carrying = set(
            Rectification.objects.exclude(status=Rectification.Status.CLOSED).values_list("community_id", flat=True)
        )
        waiting: list[Assignment] = []
        if plan.ongoing:
            tour = [a for a in tour if a.community_id not in carrying] + [a for a in tour if a.community_id in carrying]
            held = max(1, len(tour) // 5)
            tour, waiting = tour[:-held], tour[-held:]
        visits = self._schedule(tour, plan)
        latest_for_rework = plan.visits[1] - datetime.timedelta(days=21)
        pool = [v for v in visits if v.assignment.community_id not in carrying and v.at.date() <= latest_for_rework]
        count = max(1, round(len(visits) * FAIL_SHARE)) if visits else 0
        failing = rng.sample(pool, min(count, len(pool)))
        left_open: _Visit | None = None
        if plan.ongoing and visits:
            # The latest visit fails, and its deadline is still ahead.
            fresh = [v for v in visits if v.assignment.community_id not in carrying]
            if fresh:
                left_open = fresh[-1]
                # Found in the last week of visits, so its deadline is still ahead.
                last = plan.visits[1]
                left_open.at = left_open.at.replace(year=last.year, month=last.month, day=last.day)
                visits.sort(key=lambda v: v.at)
                failing = [v for v in failing if v is not left_open][: max(0, count - 1)] + [left_open]
        for visit in failing:
            found = {self._finding() for _ in range(rng.choice((1, 1, 2, 3)))}
            visit.failed = tuple(sorted(found))
        self._inspect(visits)
        missed: _Visit | None = None
        if plan.year == MISSED_YEAR and failing:
            missed = failing[0]
        rework = [v for v in failing if v is not missed and v is not left_open]
        self._inspect(self._rectify(round_, team, rework, plan))
        revoked = 0
        if missed is not None:
            revoked = self._miss_deadline(missed)
        if waiting:
            self._half_done(waiting[0], plan)
        summary = (
            f"{plan.year}: {len(assignments)} drawn, {len(visits)} inspected, {len(failing)} failed, "
            f"{len(rework)} rectified and re-inspected"
        )
        if revoked:
            summary += f", {revoked} title revoked"
        if reaccepted:
            summary += ", the revoked community accepted again before it"
        if waiting:
            summary += f", {len(waiting) - 1} not started, one inspection half done"
        if left_open is not None:
            summary += ", one rectification open"
        return summary

    def _finding(self) -> int:
        numbers = list(FINDING_WEIGHTS)
        return self.rng.choices(numbers, [FINDING_WEIGHTS[n] for n in numbers])[0]

    def _schedule(self, tour: list[Assignment], plan: _RecheckPlan) -> list[_Visit]:
        """A few communities a working day over the plan's visiting weeks, signed between late morning and late
        afternoon."""
        days = _workdays(*plan.visits)
        visits = []
        for index, assignment in enumerate(tour):
            day = days[index * len(days) // len(tour)]
            minutes = self.rng.randint(10 * 60 + 30, 17 * 60)
            at = datetime.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=LOCAL)
            visits.append(_Visit(assignment, at))
        return sorted(visits, key=lambda v: v.at)

    def _inspect(self, visits: list[_Visit]) -> None:
        """Start, answer (in bulk, while open), date and sign each visit."""
        started: list[tuple[int, datetime.datetime, datetime.datetime]] = []
        for visit in visits:
            begun = visit.at - datetime.timedelta(minutes=self.rng.randint(45, 70))
            visit.inspection = acceptance.inspection_start(
                assignment=visit.assignment, by=self.inspector, today=begun.date()
            )
            self.stamps.add(visit.inspection, begun)
            started.append((visit.inspection.pk, begun, visit.at - datetime.timedelta(minutes=10)))
        InspectionAnswer.objects.bulk_create([answer for visit in visits for answer in self._answers(visit)])
        self._date_open(started)
        for visit in visits:
            assert visit.inspection is not None
            visit.inspection = acceptance.inspection_sign(
                inspection=visit.inspection, by=self.inspector, summary=self._summary(visit), signed_at=visit.at
            )
            self.stamps.add(visit.inspection, visit.at)

    def _answers(self, visit: _Visit) -> list[InspectionAnswer]:
        reinspection = visit.assignment.kind == Assignment.Kind.REINSPECTION
        answers = []
        for number, item in self.items.items():
            if number in visit.failed and not reinspection:
                result, note = InspectionAnswer.Result.FAILS, self.rng.choice(FINDINGS[number])
            else:
                result, note = InspectionAnswer.Result.MEETS, "已整改到位" if number in visit.failed else ""
            answers.append(
                InspectionAnswer(
                    inspection=visit.inspection, item=item, result=result, note=note, answered_by=self.inspector
                )
            )
        return answers

    def _summary(self, visit: _Visit) -> str:
        failed = "、".join(f"第{n}项" for n in visit.failed)
        if visit.assignment.kind == Assignment.Kind.REINSPECTION:
            return f"复查整改：{failed}已整改到位，保持绿色社区创建成果。"
        if visit.failed:
            return f"年度复查：{failed}不符合创建要求，责成社区限期整改，逾期未整改的撤销绿色社区称号。"
        return "年度复查：对照16项创建标准逐项核查，各项保持符合创建要求。"

    def _date_open(self, rows: Sequence[tuple[int, datetime.datetime, datetime.datetime]]) -> None:
        date_open_inspections(self.rows_update, rows)

    def _rectify(self, round_: AcceptanceRound, team: Any, failed: list[_Visit], plan: _RecheckPlan) -> list[_Visit]:
        """Put right, ask for a re-inspection, assign it; returns the re-inspections to make."""
        rng = self.rng
        done_at: list[tuple[int, datetime.datetime]] = []
        requested_at: list[tuple[int, datetime.datetime]] = []
        reinspections = []
        for visit in failed:
            community = visit.assignment.community
            staff = self.users.get(f"district-{self.district_code.get(community.district_id, '')}")
            done_on = _add_workdays(visit.at.date(), rng.randint(3, 6))
            rectifications = list(Rectification.objects.filter(inspection=visit.inspection).select_related("item"))
            for rectification in rectifications:
                when = self._moment(done_on, 9, 12)
                acceptance.rectification_done(
                    rectification=rectification, note=REMEDIES[rectification.item.number], by=staff, today=done_on
                )
                self.stamps.add(rectification, when)
                done_at.append((rectification.pk, when))
            asked = self._moment(_add_workdays(done_on, rng.randint(0, 1)), 14, 16)
            acceptance.reinspection_request(community=community, by=staff, today=asked.date())
            self.stamps.add(community, asked)
            requested_at += [(rectification.pk, asked) for rectification in rectifications]
            assigned = self._moment(_add_workdays(asked.date(), 1))
            (assignment,) = acceptance.assignments_create(
                round=round_,
                communities=[community],
                team=team,
                by=self.commission,
                kind=Assignment.Kind.REINSPECTION,
                today=assigned.date(),
            )
            self.stamps.add(assignment, assigned)
            self.rows_update(Assignment, ["assigned_at"], [(assignment.pk, assigned)])
            again = self._moment(_add_workdays(assigned.date(), rng.randint(2, 3)), 10, 16)
            reinspections.append(_Visit(assignment, again, visit.failed))
        self.rows_update(Rectification, ["done_at"], done_at)
        self.rows_update(Rectification, ["requested_at"], requested_at)
        return sorted(reinspections, key=lambda v: v.at)

    def _miss_deadline(self, visit: _Visit) -> int:
        """Nothing is done by the deadline: the daily job of the day after revokes the title."""
        assert visit.inspection is not None and visit.inspection.signed_on is not None
        due = visit.inspection.signed_on + datetime.timedelta(days=visit.inspection.round.rectification_days)
        day_after = due + datetime.timedelta(days=1)
        revoked = revocations_due(today=day_after)
        when = datetime.datetime(day_after.year, day_after.month, day_after.day, 2, 0, tzinfo=LOCAL)
        for revocation in revoked:
            self.stamps.add(revocation, when)
        self.rows_update(Revocation, ["revoked_at"], [(r.pk, when) for r in revoked])
        if revoked:
            self.revoked = visit.assignment.community
        return len(revoked)

    def _reaccept(self, community: Community) -> None:
        """The revoked community is put right and accepted again through an ordinary acceptance round."""
        opens_on, visit_on = D(2025, 4, 1), D(2025, 4, 22)
        created = self._moment(D(2025, 3, 24))
        standard = _standard_in_force(opens_on)
        self.items = {item.number: item for item in standard_items(standard=standard.pk)}
        round_ = acceptance.round_create(
            standard=standard,
            name=REACCEPTANCE,
            year=2025,
            opens_on=opens_on,
            closes_on=D(2025, 6, 30),
            notice_days=7,
            by=self.commission,
        )
        self.stamps.add(round_, created)
        self.rows_update(AcceptanceRound, ["created_at"], [(round_.pk, created)])
        team = acceptance.team_create(
            round=round_,
            name="重新验收组",
            members=[self.inspector] if self.inspector else [],
            by=self.commission,
            today=opens_on,
        )
        self.stamps.add(team, self._moment(opens_on))
        assigned = self._moment(_add_workdays(opens_on, 3))
        (assignment,) = acceptance.assignments_create(
            round=round_, communities=[community], team=team, by=self.commission, today=assigned.date()
        )
        self.stamps.add(assignment, assigned)
        self.rows_update(Assignment, ["assigned_at"], [(assignment.pk, assigned)])
        visit = _Visit(assignment, self._moment(visit_on, 10, 15))
        self._inspect([visit])

    def _half_done(self, assignment: Assignment, plan: _RecheckPlan) -> None:
        """The inspection the inspector is in the middle of: started on the visits' last day, half answered."""
        begun = self._moment(plan.visits[1], 14, 14)
        inspection = acceptance.inspection_start(assignment=assignment, by=self.inspector, today=begun.date())
        self.stamps.add(inspection, begun)
        for number in range(1, 9):
            acceptance.answer_save(
                inspection=inspection,
                item_number=number,
                result=InspectionAnswer.Result.MEETS,
                note="",
                by=self.inspector,
                today=begun.date(),
            )
            self.stamps.add(inspection, begun + datetime.timedelta(minutes=6 * number))
        self._date_open([(inspection.pk, begun, begun + datetime.timedelta(minutes=48))])


def _standard_in_force(on: datetime.date) -> StandardVersion:
    """The standard of the campaign under way on `on`, or of the last one before it."""
    campaigns = Campaign.objects.select_related("standard").order_by("-starts_on")
    campaign = campaigns.filter(starts_on__lte=on).first() or campaigns.last()
    assert campaign is not None, "the migrations load the first campaign"
    return campaign.standard
