"""The progress rollups on a small hand-built world, every figure worked out by hand.

The world (the real divisions, but only these communities):
    劝业场街道 (和平区): A1 pilot 2020-11-15, inspected and passed 2021-05-31 23:30 (item 16 not applicable),
        self-assessed as meeting 2021-10 to 2021-12; A2 joined 2021-06-10, withdrew 2021-09-20; A3 joined
        2021-07-01; A4 is a 类似居委会 (not on the roster) joined 2021-06-01, self-assessed as meeting 2021-12.
    小白楼街道 (和平区): B1 pilot 2020-12-01, passed 2021-11-26 in a round with 7 days' notice (so it counts from
        2021-12-03), closed 2022-03-01; B2 joined 2021-08-01, passed 2021-09-01 00:30 (September, not August).
    大营门街道 (河西区): C1 pilot 2021-01-10, failed item 5 on 2021-11-10, passed the re-inspection 2021-12-05,
        self-assessed as meeting 2021-12; C2 and C3 joined 2021-06-01 (C2 "creating" in 2021-12); C4 merged into
        C3 on 2022-06-01.
The campaign's milestones: 30% met by 2021-12-31, 60% by 2022-12-31.
"""

from __future__ import annotations

import datetime
import io
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from districts.models import Community, Street
from districts.services import community_close, community_merge
from greencommunity.celery import app as celery_app
from reporting.figures.rollups import (
    months_between,
    rollup_all,
    rollup_date,
    rollup_dates,
    rollup_request,
)
from reporting.models import Campaign, Enrolment, ProgressSnapshot, RollupKey, RollupRequest
from reporting.reports.services import report_open, report_save, report_submit
from reporting.services import enrolment_enrol, enrolment_withdraw
from reporting.tasks import rollup_nightly
from standards.acceptance import (
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    objection_decide,
    objection_record,
    rectification_done,
    reinspection_request,
    round_create,
    team_create,
)
from standards.models import Assignment, Rectification, SelfAssessment, StandardItem
from standards.signals import objection_decided
from tests.builders import filed_monthly_report, reported_assessment

pytestmark = pytest.mark.django_db

D = datetime.date
LOCAL = zoneinfo.ZoneInfo("Asia/Shanghai")
CITY, HEPING, HEXI = "12", "120101", "120103"
HP1, HP2, HX1 = "120101001", "120101002", "120103001"
EMPTY_STREET = "120101003"  # 五大道街道: no community in this world
END = D(2022, 12, 31)
FAILED, NOT_APPLICABLE = 5, 16
ALL_ITEMS = range(1, 17)
FIGURES = ("roster", "participating", "pilots", "streets", "streets_with_pilot", "self_assessed", "met")


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL)


def items(value: list[int], **special: list[int]) -> dict[str, list[int]]:
    """Every item at `value`, except those given as item_<number>=[meets, answered]."""
    result = {str(n): list(value) for n in ALL_ITEMS}
    result.update({name.removeprefix("item_"): pair for name, pair in special.items()})
    return result


class World:
    def __init__(self, admin, inspector) -> None:
        self.admin, self.inspector = admin, inspector
        campaign = Campaign.objects.current()
        assert campaign is not None
        self.campaign = campaign
        # Only the hand-built communities: the real roster would bury the figures.
        Community.objects.all().delete()
        self.c: dict[str, Community] = {}
        for street_code, names in ((HP1, "A1 A2 A3 A4"), (HP2, "B1 B2"), (HX1, "C1 C2 C3 C4")):
            street = Street.objects.get(code=street_code)
            for n, name in enumerate(names.split(), start=1):
                self.c[name] = Community.objects.create(
                    code=f"{street_code}{n:03d}",
                    name=f"{name}社区居委会",
                    street=street,
                    district_id=street.district_id,
                    kind=Community.Kind.LIKE_COMMITTEE if name == "A4" else Community.Kind.RESIDENTS_COMMITTEE,
                )

    def enrol(self, name: str, kind: str, joined_on: datetime.date) -> Enrolment:
        (enrolment,) = enrolment_enrol(
            campaign=self.campaign, communities=[self.c[name]], kind=kind, joined_on=joined_on, by=self.admin
        )
        return enrolment

    def assess(self, name: str, period: datetime.date, stage: str = SelfAssessment.Stage.MEETS) -> None:
        """Stated by the district's monthly report, submitted today: late, so it counts in the month's figures (and
        those after it, until the next) but in no reporting rate up to 2022."""
        reported_assessment(self.campaign, self.c[name], period, stage)

    def round(self, name: str, notice_days: int):
        round_ = round_create(
            name=name,
            year=2021,
            opens_on=D(2021, 5, 1),
            closes_on=D(2021, 12, 31),
            notice_days=notice_days,
            by=self.admin,
        )
        return round_, team_create(
            round=round_, name="第一组", members=[self.inspector], by=self.admin, today=round_.opens_on
        )

    def inspect(self, round_team, name: str, signed_at, *, fail=(), not_applicable=(), kind=Assignment.Kind.FIRST):
        round_, team = round_team
        # The rounds ended in 2021: each step tells the services the day it happened.
        day = timezone.localdate(signed_at)
        (assignment,) = assignments_create(
            round=round_, communities=[self.c[name]], team=team, by=self.admin, kind=kind, today=day
        )
        inspection = inspection_start(assignment=assignment, by=self.inspector, today=day)
        for n in ALL_ITEMS:
            result = "fails" if n in fail else "not_applicable" if n in not_applicable else "meets"
            note = "垃圾分类投放点未设置" if n in fail else ""
            answer_save(inspection=inspection, item_number=n, result=result, note=note, by=self.inspector, today=day)
        return inspection_sign(inspection=inspection, by=self.inspector, signed_at=signed_at)


def build_world(admin, inspector) -> World:
    w = World(admin, inspector)
    pilot, batch = Enrolment.Kind.PILOT, Enrolment.Kind.BATCH
    w.enrol("A1", pilot, D(2020, 11, 15))
    a2 = w.enrol("A2", batch, D(2021, 6, 10))
    enrolment_withdraw(enrolment=a2, on=D(2021, 9, 20), reason="居民意愿不足，暂缓创建", by=admin)
    w.enrol("A3", batch, D(2021, 7, 1))
    w.enrol("A4", batch, D(2021, 6, 1))
    w.enrol("B1", pilot, D(2020, 12, 1))
    w.enrol("B2", batch, D(2021, 8, 1))
    w.enrol("C1", pilot, D(2021, 1, 10))
    w.enrol("C2", batch, D(2021, 6, 1))
    w.enrol("C3", batch, D(2021, 6, 1))
    for month in (10, 11, 12):
        w.assess("A1", D(2021, month, 1))
    w.assess("C1", D(2021, 12, 1))
    w.assess("C2", D(2021, 12, 1), SelfAssessment.Stage.CREATING)
    w.assess("A4", D(2021, 12, 1))
    w.assess("B1", D(2022, 3, 1))

    pilots_round = w.round("2021年试点验收", notice_days=0)
    year_round = w.round("2021年度验收", notice_days=7)
    w.inspect(pilots_round, "A1", at(D(2021, 5, 31), 23, 30), not_applicable=[NOT_APPLICABLE])
    w.inspect(pilots_round, "B2", at(D(2021, 9, 1), 0, 30))
    w.inspect(year_round, "B1", at(D(2021, 11, 26), 10))
    w.inspect(pilots_round, "C1", at(D(2021, 11, 10), 10), fail=[FAILED])
    for rectification in Rectification.objects.filter(community=w.c["C1"]):
        rectification_done(rectification=rectification, note="已设置分类投放点", by=admin, today=D(2021, 11, 20))
    reinspection_request(community=w.c["C1"], by=admin, today=D(2021, 11, 22))
    w.inspect(pilots_round, "C1", at(D(2021, 12, 5), 10), kind=Assignment.Kind.REINSPECTION)

    community_close(community=w.c["B1"], on=D(2022, 3, 1), by=admin, note="社区撤销")
    community_merge(community=w.c["C4"], into=w.c["C3"], on=D(2022, 6, 1), by=admin, note="社区规模调整")
    return w


@pytest.fixture
def world(commission_admin, inspector) -> World:
    return build_world(commission_admin, inspector)


@pytest.fixture
def rolled(world) -> World:
    rollup_all(campaign=world.campaign, today=END)
    return world


def snap(on: datetime.date, code: str) -> ProgressSnapshot:
    level = "city" if code == CITY else "district" if len(code) == 6 else "street"
    return ProgressSnapshot.objects.get(campaign=Campaign.objects.current(), on=on, level=level, unit_code=code)


def figures(on: datetime.date, code: str) -> tuple[int, ...]:
    row = snap(on, code)
    return tuple(getattr(row, name) for name in FIGURES)


# (roster, participating, pilots, streets, streets_with_pilot, self_assessed, met) by hand; 和平区 has 6 街道,
# 河西区 14 and the city 124.
EXPECTED = {
    D(2021, 5, 31): {
        HP1: (3, 1, 1, 1, 1, 0, 1),  # A1's signature at 23:30 on 31 May counts for May
        HP2: (2, 1, 1, 1, 1, 0, 0),
        HX1: (4, 1, 1, 1, 1, 0, 0),
        HEPING: (5, 2, 2, 6, 2, 0, 1),
        HEXI: (4, 1, 1, 14, 1, 0, 0),
        CITY: (9, 3, 3, 124, 3, 0, 1),
    },
    D(2021, 8, 31): {
        HP1: (3, 3, 1, 1, 1, 0, 1),  # A2 has joined and not yet withdrawn; A4 is not on the roster
        HP2: (2, 2, 1, 1, 1, 0, 0),  # B2 passed at 00:30 on 1 September: not August
        HX1: (4, 3, 1, 1, 1, 0, 0),
        HEPING: (5, 5, 2, 6, 2, 0, 1),
        HEXI: (4, 3, 1, 14, 1, 0, 0),
        CITY: (9, 8, 3, 124, 3, 0, 1),
    },
    D(2021, 9, 30): {
        HP2: (2, 2, 1, 1, 1, 0, 1),
        HEPING: (5, 4, 2, 6, 2, 0, 2),
    },
    D(2021, 11, 30): {
        HP1: (3, 2, 1, 1, 1, 1, 1),
        HP2: (2, 2, 1, 1, 1, 0, 1),  # B1 passed on 26 November but its notice runs to 3 December
        HX1: (4, 3, 1, 1, 1, 0, 0),  # C1 failed
        HEPING: (5, 4, 2, 6, 2, 1, 2),
        HEXI: (4, 3, 1, 14, 1, 0, 0),
        CITY: (9, 7, 3, 124, 3, 1, 2),
    },
    D(2021, 12, 31): {
        HP1: (3, 2, 1, 1, 1, 1, 1),
        HP2: (2, 2, 1, 1, 1, 0, 2),
        HX1: (4, 3, 1, 1, 1, 1, 1),  # C1's re-inspection passed; C2 is still creating
        HEPING: (5, 4, 2, 6, 2, 1, 3),
        HEXI: (4, 3, 1, 14, 1, 1, 1),
        CITY: (9, 7, 3, 124, 3, 2, 4),
    },
    D(2022, 3, 31): {
        # B1 closed on 1 March: its pilot, its result and its March self-assessment leave with it. A1's and C1's
        # December self-assessments carry forward: no report since says otherwise.
        HP1: (3, 2, 1, 1, 1, 1, 1),
        HP2: (1, 1, 0, 1, 0, 0, 1),
        HEPING: (4, 3, 1, 6, 1, 1, 2),
        CITY: (8, 6, 2, 124, 2, 2, 3),
    },
    D(2022, 6, 30): {
        HX1: (3, 3, 1, 1, 1, 1, 1),  # C4 merged into C3 on 1 June
        HEXI: (3, 3, 1, 14, 1, 1, 1),
        CITY: (7, 6, 2, 124, 2, 2, 3),
    },
}


@pytest.mark.parametrize("on", list(EXPECTED))
def test_figures_match_the_hand_count(rolled, on):
    assert {code: figures(on, code) for code in EXPECTED[on]} == EXPECTED[on]


def test_units_names_parents_and_shares(rolled):
    city, heping, hp1 = snap(D(2021, 12, 31), CITY), snap(D(2021, 12, 31), HEPING), snap(D(2021, 12, 31), HP1)
    assert (city.unit_name, city.parent_code) == ("天津市", "")
    assert (heping.unit_name, heping.parent_code) == ("和平区", CITY)
    assert (hp1.unit_name, hp1.parent_code) == ("劝业场街道", HEPING)
    assert city.met_share == Decimal("0.4444")
    assert heping.met_share == Decimal("0.6000")
    assert snap(D(2021, 12, 31), HEXI).met_share == Decimal("0.2500")
    empty = snap(D(2021, 12, 31), EMPTY_STREET)
    assert (empty.roster, empty.met_share, empty.status, empty.projected_share) == (0, Decimal(0), "none", None)
    # Every date holds the city, the 16 districts and the 299 street-level units.
    assert ProgressSnapshot.objects.filter(on=D(2021, 12, 31)).count() == 1 + 16 + 299


def test_rows_of_every_date_and_only_those(rolled):
    dates = sorted(set(ProgressSnapshot.objects.values_list("on", flat=True)))
    assert dates == rollup_dates(rolled.campaign, END)
    assert len(dates) == 26 and dates[0] == D(2020, 11, 30) and dates[-1] == END


def test_status_against_the_milestone(rolled):
    """At 2021-11-30 one month is left to the 30% milestone; the pace is that of the last three months."""
    on = D(2021, 11, 30)
    judged = {
        code: (snap(on, code).met_share, snap(on, code).projected_share, snap(on, code).status)
        for code in (CITY, HEPING, HEXI, HP2)
    }
    assert judged == {
        # 2/9 now, 1/9 at the end of August: 0.2222 + (0.2222 − 0.1111) / 3 = 0.2592, ≥ 85% of 30%, < 30%.
        CITY: (Decimal("0.2222"), Decimal("0.2592"), "at_risk"),
        # 0.4 + (0.4 − 0.2) / 3
        HEPING: (Decimal("0.4000"), Decimal("0.4667"), "on_track"),
        HEXI: (Decimal("0.0000"), Decimal("0.0000"), "behind"),
        # 0.5 + 0.5 / 3
        HP2: (Decimal("0.5000"), Decimal("0.6667"), "on_track"),
    }
    city = snap(on, CITY)
    assert (city.target_share, city.target_due_on) == (Decimal("0.3000"), D(2021, 12, 31))
    # On the milestone's day the share itself is judged.
    due = D(2021, 12, 31)
    assert {code: snap(due, code).status for code in (CITY, HEPING, HEXI, HX1)} == {
        CITY: "on_track",
        HEPING: "on_track",
        HEXI: "behind",
        HX1: "behind",
    }
    assert snap(due, HEXI).projected_share == Decimal("0.2500")
    # After it, the next milestone (60% by the end of 2022) is the target.
    assert (snap(D(2022, 3, 31), CITY).target_share, snap(D(2022, 3, 31), CITY).target_due_on) == (
        Decimal("0.6000"),
        END,
    )


def test_one_date_alone_is_paced_from_the_figures_three_months_before(world):
    # 2021-11-30 computed alone: its pace reads 2021-08-31's figures (1/9), computed in the same run but not
    # stored, so it is judged exactly as in the full run: 0.2222 + (0.2222 − 0.1111) / 3 = 0.2592, at risk.
    rollup_date(campaign=world.campaign, on=D(2021, 11, 30))
    city = snap(D(2021, 11, 30), CITY)
    assert (city.projected_share, city.status) == (Decimal("0.2592"), "at_risk")
    assert set(ProgressSnapshot.objects.values_list("on", flat=True)) == {D(2021, 11, 30)}


def test_before_three_months_have_passed_the_pace_runs_from_the_campaign_start(world):
    # 2021-01-31: three month-ends earlier is before the campaign, so the pace runs from 0 on 2020-10-31. A1 (pilot
    # of 劝业场街道) is the roster's only pilot; nothing is met yet, so every share and projection is 0.
    rollup_date(campaign=world.campaign, on=D(2021, 1, 31))
    city = snap(D(2021, 1, 31), CITY)
    assert (city.met_share, city.projected_share, city.status) == (Decimal(0), Decimal(0), "behind")


def test_item_results_over_each_communitys_latest_signed_inspection(rolled):
    on = D(2021, 11, 30)
    # A1: item 16 not applicable; B1 (under notice) and B2 pass; C1's latest is the failed one.
    assert snap(on, HP1).item_results == items([1, 1], item_16=[0, 0])
    assert snap(on, HP2).item_results == items([2, 2])
    assert snap(on, HX1).item_results == items([1, 1], item_5=[0, 1])
    assert snap(on, HEPING).item_results == items([3, 3], item_16=[2, 2])
    assert snap(on, CITY).item_results == items([4, 4], item_5=[3, 4], item_16=[3, 3])
    # The re-inspection replaces the failed one.
    assert snap(D(2021, 12, 31), HX1).item_results == items([1, 1])
    assert snap(D(2021, 8, 31), HP2).item_results == {}
    assert snap(D(2021, 9, 30), HP2).item_results == items([1, 1])
    # B1 left the roster with its inspection.
    assert snap(D(2022, 3, 31), HP2).item_results == items([1, 1])
    assert snap(D(2021, 12, 31), EMPTY_STREET).item_results == {}


def test_reporting_rates_for_districts_and_the_city(world, heping_staff):
    report = report_open(
        campaign=world.campaign, kind="monthly", period=D(2020, 11, 1), district=world.c["A1"].district, by=heping_staff
    )
    report = report_save(report=report, version=report.version, data={"progress": "十一月进展"}, by=heping_staff)
    report_submit(report=report, by=heping_staff)
    # Submitted today: after every monthly due day of the campaign, so late, and not yet submitted back then.
    rollup_date(campaign=world.campaign, on=D(2021, 1, 31))
    rollup_date(campaign=world.campaign, on=END)
    assert (snap(D(2021, 1, 31), HEPING).reports_expected, snap(D(2021, 1, 31), HEPING).reports_submitted) == (2, 0)
    heping, city = snap(END, HEPING), snap(END, CITY)
    assert (heping.reports_expected, heping.reports_submitted, heping.reports_timely) == (25, 0, 0)
    assert (city.reports_expected, city.reports_submitted, city.reports_timely) == (16 * 25, 0, 0)
    assert snap(END, HP1).reports_expected == 0


def test_reporting_rates_count_a_report_submitted_by_its_due_day(world, heping_staff):
    report = report_open(
        campaign=world.campaign, kind="monthly", period=D(2020, 11, 1), district=world.c["A1"].district, by=heping_staff
    )
    report = report_save(report=report, version=report.version, data={"progress": "十一月进展"}, by=heping_staff)
    report = report_submit(report=report, by=heping_staff)
    # Dated back as the demo data does: first submitted 23:50 on the due day (5 December), Tianjin time.
    type(report).objects.filter(pk=report.pk).update(first_submitted_at=at(D(2020, 12, 5), 23, 50))
    rollup_date(campaign=world.campaign, on=D(2020, 12, 31))
    heping, city = snap(D(2020, 12, 31), HEPING), snap(D(2020, 12, 31), CITY)
    assert (heping.reports_expected, heping.reports_submitted, heping.reports_timely) == (1, 1, 1)
    assert (city.reports_expected, city.reports_submitted, city.reports_timely) == (16, 1, 1)


# --- idempotence and clean-up -----------------------------------------------------------------------------


def _stored() -> dict[int, dict]:
    """Every stored row by id, with every field but `computed_at`."""
    stored = {}
    for values in ProgressSnapshot.objects.values():
        row: dict[str, Any] = dict(values)
        del row["computed_at"]
        stored[row.pop("id")] = row
    return stored


def test_running_twice_gives_the_same_rows(rolled):
    first = _stored()
    assert len(first) == 26 * 316
    assert rollup_all(campaign=rolled.campaign, today=END) == 26 * 316
    assert _stored() == first
    rollup_date(campaign=rolled.campaign, on=D(2021, 12, 31))
    assert _stored() == first


def test_only_rows_whose_figures_changed_are_rewritten(rolled):
    long_ago = timezone.now() - datetime.timedelta(days=30)
    ProgressSnapshot.objects.update(computed_at=long_ago)
    # A figure altered behind the rollup's back (its fingerprint no longer matches) is put right: the rename
    # below changes every date's inputs, so every date is computed again.
    tampered = ProgressSnapshot.objects.get(on=D(2021, 8, 31), unit_code=HX1)
    ProgressSnapshot.objects.filter(pk=tampered.pk).update(roster=99, fingerprint="")
    # A renamed street: its rows on every date, and only those.
    Street.objects.filter(code=HP2).update(name="小白楼街道（更名）")
    first = _stored()
    rollup_all(campaign=rolled.campaign, today=END)

    rewritten = set(ProgressSnapshot.objects.exclude(computed_at=long_ago).values_list("unit_code", "on").order_by())
    dates = set(ProgressSnapshot.objects.values_list("on", flat=True))
    assert rewritten == {(HP2, on) for on in dates} | {(CITY, on) for on in dates} | {(HX1, D(2021, 8, 31))}
    tampered.refresh_from_db()
    assert tampered.roster == 4 and tampered.fingerprint
    assert set(ProgressSnapshot.objects.filter(unit_code=HP2).values_list("unit_name", flat=True)) == {
        "小白楼街道（更名）"
    }
    # Everything else is as it was, fingerprints included.
    unchanged = {pk: row for pk, row in _stored().items() if row["unit_code"] not in (HP2, HX1)}
    assert unchanged == {pk: row for pk, row in first.items() if row["unit_code"] not in (HP2, HX1)}


def test_units_and_dates_that_no_longer_exist_are_removed(rolled):
    gone = {"campaign": rolled.campaign, "level": "street", "unit_name": "已撤销街道", "computed_at": timezone.now()}
    ProgressSnapshot.objects.create(on=D(2021, 12, 31), unit_code="120101099", **gone)
    ProgressSnapshot.objects.create(on=D(2021, 12, 15), unit_code=HP1, **gone)
    rollup_date(campaign=rolled.campaign, on=D(2021, 12, 31))
    assert not ProgressSnapshot.objects.filter(unit_code="120101099").exists()
    assert ProgressSnapshot.objects.filter(on=D(2021, 12, 15)).exists()
    rollup_all(campaign=rolled.campaign, today=END)
    assert not ProgressSnapshot.objects.filter(on=D(2021, 12, 15)).exists()


# --- computing again only the dates whose inputs changed ----------------------------------------------------


def _by_key() -> dict[tuple, dict]:
    """Every stored row by (date, level, unit), with every field but its id and `computed_at`."""
    rows = {}
    for values in ProgressSnapshot.objects.values():
        row: dict[str, Any] = dict(values)
        del row["id"], row["computed_at"]
        rows[(row["on"], row["level"], row["unit_code"])] = row
    return rows


def _keys() -> dict[datetime.date, str]:
    return dict(RollupKey.objects.values_list("on", "key"))


def _withdraw_a3(w: World) -> None:
    enrolment = Enrolment.objects.get(community=w.c["A3"])
    enrolment_withdraw(enrolment=enrolment, on=D(2021, 10, 15), reason="居民意愿不足，暂缓创建", by=w.admin)


def _assess_a3_in_november(w: World) -> None:
    w.assess("A3", D(2021, 11, 1))


def _raise_the_2022_target(w: World) -> None:
    w.campaign.milestones.filter(due_on=END).update(target_share=Decimal("0.6500"))


@pytest.mark.parametrize(
    ("change", "reaches"),
    [
        # Participation changes from the withdrawal's month on.
        (_withdraw_a3, lambda on: on >= D(2021, 10, 31)),
        # A self-assessment of November: that month and every later one (no later report of A3 replaces it).
        (_assess_a3_in_november, lambda on: on >= D(2021, 11, 30)),
        # The 60% milestone is the target of every date after the 30% one's.
        (_raise_the_2022_target, lambda on: on > D(2021, 12, 31)),
    ],
    ids=["backdated withdrawal", "self-assessment of an earlier month", "milestone target"],
)
def test_a_change_recomputes_the_dates_it_reaches_and_gives_what_a_full_run_gives(rolled, change, reaches):
    dates = rollup_dates(rolled.campaign, END)
    before = _keys()
    assert set(before) == set(dates)
    change(rolled)
    rollup_all(campaign=rolled.campaign, today=END)
    incremental, after = _by_key(), _keys()
    assert {on for on in dates if after[on] != before[on]} == {on for on in dates if reaches(on)}

    rollup_all(campaign=rolled.campaign, today=END, force=True)
    assert _by_key() == incremental
    assert _keys() == after


def test_a_withdrawal_reaches_the_figures_of_later_dates_only(rolled):
    """The same backdated withdrawal, in figures: 劝业场街道 takes part with one community fewer from October."""
    assert snap(D(2021, 9, 30), HP1).participating == 2
    assert snap(D(2021, 10, 31), HP1).participating == 2
    _withdraw_a3(rolled)
    rollup_all(campaign=rolled.campaign, today=END)
    assert snap(D(2021, 9, 30), HP1).participating == 2
    assert snap(D(2021, 10, 31), HP1).participating == 1
    assert snap(D(2022, 12, 31), HP1).participating == 1


def test_rows_removed_behind_the_rollups_back_come_back(rolled):
    first = _by_key()
    ProgressSnapshot.objects.filter(on=D(2021, 12, 31), level="street", unit_code__startswith=HEPING).delete()
    rollup_all(campaign=rolled.campaign, today=END)
    assert _by_key() == first


def test_a_figure_altered_by_hand_is_put_right_by_a_full_run(rolled):
    """A row changed outside the rollup, with no input changed, stays until a full run (`rollup --full`)."""
    ProgressSnapshot.objects.filter(on=D(2021, 8, 31), unit_code=HX1).update(roster=99, fingerprint="")
    out = io.StringIO()
    call_command("rollup", "--today", END.isoformat(), stdout=out)
    assert f"{26 * 316} progress snapshot rows up to date" in out.getvalue()
    assert snap(D(2021, 8, 31), HX1).roster == 99
    call_command("rollup", "--today", END.isoformat(), "--full", stdout=io.StringIO())
    assert snap(D(2021, 8, 31), HX1).roster == 4


def test_a_standard_without_items_still_has_its_figures():
    """The items come with a migration; a database without them yet still gets every figure, and no item results."""
    campaign, on = Campaign.objects.current(), D(2021, 1, 31)
    StandardItem.objects.all().delete()
    rollup_date(campaign=campaign, on=on)
    city = snap(on, CITY)
    roster = Community.objects.on_roster(on).urban(include_similar=campaign.counts_similar_communities).count()
    assert roster > 1000
    assert (city.roster, city.item_results) == (roster, {})


def test_rollup_dates():
    campaign = Campaign.objects.current()
    assert rollup_dates(campaign, D(2021, 6, 15)) == [
        D(2020, 11, 30),
        D(2020, 12, 31),
        D(2021, 1, 31),
        D(2021, 2, 28),
        D(2021, 3, 31),
        D(2021, 4, 30),
        D(2021, 5, 31),
        D(2021, 6, 15),
    ]
    assert rollup_dates(campaign, D(2021, 5, 31))[-2:] == [D(2021, 4, 30), D(2021, 5, 31)]
    # After the campaign the dates run on to today (DESIGN.md "Dates computed"): 26 month-ends of the campaign,
    # 46 since (January 2023 to October 2026), and today.
    after = rollup_dates(campaign, D(2026, 11, 28))
    assert len(after) == 26 + 46 + 1 and after[25] == END and after[26] == D(2023, 1, 31)
    assert after[-2:] == [D(2026, 10, 31), D(2026, 11, 28)]
    assert rollup_dates(campaign, D(2020, 10, 31)) == []
    assert rollup_dates(campaign, D(2020, 11, 5)) == [D(2020, 11, 5)]


def test_months_between_month_ends_is_whole():
    assert months_between(D(2021, 8, 31), D(2021, 11, 30)) == 3
    assert months_between(D(2020, 10, 31), D(2021, 11, 30)) == 13
    assert months_between(D(2021, 6, 30), D(2021, 9, 15)) == Decimal("2.5")


def _street_of_200(commission_admin, *, meets: dict[datetime.date, int]) -> Street:
    """A new 街道 of 200 communities taking part since the start, none inspected, whose reports of the months `meets`
    names say how many self-assess as meeting: the met share stays 0, so the projection is the self-assessed share's."""
    campaign = Campaign.objects.current()
    assert campaign is not None
    street = Street.objects.create(
        code="120101999", name="测试街道", district_id=Street.objects.get(code=HP1).district_id
    )
    communities = Community.objects.bulk_create(
        Community(code=f"120101999{n:03d}", name=f"测试{n}社区", street=street, district_id=street.district_id)
        for n in range(200)
    )
    Enrolment.objects.bulk_create(
        Enrolment(campaign=campaign, community=c, kind=Enrolment.Kind.BATCH, joined_on=D(2020, 11, 15))
        for c in communities
    )
    for period, meeting in meets.items():
        filed_monthly_report(campaign, street.district_id, period)
        SelfAssessment.objects.bulk_create(
            SelfAssessment(
                community=c,
                district_id=c.district_id,
                period=period,
                stage=SelfAssessment.Stage.MEETS if n < meeting else SelfAssessment.Stage.CREATING,
            )
            for n, c in enumerate(communities)
        )
    return street


@pytest.mark.parametrize(
    ("june", "status", "projected"),
    [
        (20, "on_track", "0.3000"),  # 10% → 20% in three months: 30% at the year's end, exactly the target
        (26, "at_risk", "0.2700"),
        (29, "at_risk", "0.2550"),  # exactly 85% of the target
        (32, "behind", "0.2400"),
        (100, "behind", "0.0000"),  # falling, and never below 0
    ],
)
def test_status_boundaries_of_the_projection(commission_admin, june, status, projected):
    """30% by 31 December 2021; on 30 September 40 of 200 (20%) self-assess as meeting, and `june` did three months
    before: the pace projects 20% + (20% − june's share) at the year's end."""
    street = _street_of_200(commission_admin, meets={D(2021, 6, 1): june, D(2021, 9, 1): 40})
    rollup_date(campaign=Campaign.objects.current(), on=D(2021, 9, 30))
    row = snap(D(2021, 9, 30), street.code)
    assert (row.roster, row.self_assessed, row.met_share) == (200, 40, Decimal("0.0000"))
    assert (row.projected_share, row.status) == (Decimal(projected), status)


def test_no_status_without_communities_or_a_target(world):
    campaign = world.campaign
    rollup_date(campaign=campaign, on=D(2021, 9, 30))
    empty = snap(D(2021, 9, 30), EMPTY_STREET)
    assert (empty.roster, empty.projected_share, empty.status) == (0, None, "none")
    assert snap(D(2021, 9, 30), HP1).status != "none"
    campaign.milestones.all().delete()
    rollup_date(campaign=campaign, on=D(2021, 9, 30))
    assert {snap(D(2021, 9, 30), code).status for code in (HP1, HEPING, CITY)} == {"none"}
    assert snap(D(2021, 9, 30), HP1).projected_share is None


def test_query_count_does_not_grow_with_communities(world):
    on = D(2021, 12, 31)
    with CaptureQueriesContext(connection) as small:
        rollup_date(campaign=world.campaign, on=on)
    street = Street.objects.get(code=HX1)
    more = [
        Community.objects.create(
            code=f"120103001{n:03d}", name=f"新建{n}社区", street=street, district_id=street.district_id
        )
        for n in range(100, 140)
    ]
    enrolment_enrol(
        campaign=world.campaign, communities=more[:30], kind="batch", joined_on=D(2021, 6, 1), by=world.admin
    )
    enrolment_enrol(
        campaign=world.campaign, communities=more[30:], kind="pilot", joined_on=D(2021, 6, 1), by=world.admin
    )
    SelfAssessment.objects.bulk_create(
        SelfAssessment(community=c, district_id=c.district_id, period=D(2021, 12, 1), stage="meets") for c in more
    )
    world.c.update({c.name: c for c in more[:3]})
    round_team = world.round("2021年补充验收", notice_days=0)
    for community in more[:3]:
        world.inspect(round_team, community.name, at(D(2021, 12, 20), 10))
    with CaptureQueriesContext(connection) as large:
        rollup_date(campaign=world.campaign, on=on)
    assert len(large) == len(small)
    assert len(small) <= 80  # a fixed plan: temporary tables, their statistics, the statements over them
    # Nor with the number of dates: the whole campaign is computed by the same statements.
    with CaptureQueriesContext(connection) as every_date:
        rollup_all(campaign=world.campaign, today=END)
    assert len(every_date) <= len(small) + 5
    assert figures(on, HX1) == (44, 43, 11, 1, 1, 41, 4)


# --- asking for a recalculation -------------------------------------------------------------------------------


@pytest.fixture
def eager():
    """Tasks run in process, as on the embedded default (whatever broker this test run was given)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def test_a_request_runs_once_then_waits_while_one_is_pending(eager):
    assert rollup_request() is True
    # The run recomputed today (the campaign is over, and its figures run on to today) and took the request.
    assert ProgressSnapshot.objects.filter(on=timezone.localdate()).count() == 316
    assert RollupRequest.objects.get().pending is False

    ProgressSnapshot.objects.all().delete()
    RollupRequest.objects.update(pending=True, requested_at=timezone.now())
    assert rollup_request() is False
    assert not ProgressSnapshot.objects.exists()

    # A request whose run never started (a lost task) stops blocking after a while.
    RollupRequest.objects.update(requested_at=timezone.now() - datetime.timedelta(minutes=20))
    assert rollup_request() is True
    assert ProgressSnapshot.objects.filter(on=timezone.localdate()).count() == 316


def test_events_in_one_transaction_ask_once_after_commit(commission_admin, django_capture_on_commit_callbacks):
    campaign = Campaign.objects.current()
    communities = list(Community.objects.filter(street__code=HP1).order_by("code")[:2])
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        (first,) = enrolment_enrol(
            campaign=campaign, communities=communities[:1], kind="pilot", joined_on=D(2021, 1, 4), by=commission_admin
        )
        enrolment_enrol(
            campaign=campaign, communities=communities[1:], kind="batch", joined_on=D(2021, 6, 1), by=commission_admin
        )
        enrolment_withdraw(enrolment=first, on=D(2021, 9, 1), reason="社区合并调整", by=commission_admin)
    assert callbacks.count(rollup_request) == 1


def test_submitting_a_report_asks_for_a_recalculation(heping_staff, django_capture_on_commit_callbacks):
    report = report_open(
        campaign=Campaign.objects.current(),
        kind="monthly",
        period=D(2021, 3, 1),
        district=heping_staff.membership.district,
        by=heping_staff,
    )
    report = report_save(report=report, version=report.version, data={"progress": "三月进展"}, by=heping_staff)
    with django_capture_on_commit_callbacks() as callbacks:
        report_submit(report=report, by=heping_staff)
    assert rollup_request in callbacks


def test_signing_an_inspection_asks_for_a_recalculation(world, django_capture_on_commit_callbacks):
    # The world's own events already asked once in this (never committed) test transaction; start afresh.
    connection._rollup_callbacks = None
    round_team = world.round("2021年复核", notice_days=0)
    with django_capture_on_commit_callbacks() as callbacks:
        world.inspect(round_team, "A3", at(D(2021, 12, 20), 10))
    assert callbacks.count(rollup_request) == 1


def test_deciding_an_objection_sends_the_signal_reporting_follows(world, django_capture_on_commit_callbacks):
    inspection = world.inspect(world.round("2021年公示验收", notice_days=10), "A3", at(D(2021, 12, 20), 10))
    objection = objection_record(
        inspection=inspection, received_on=D(2021, 12, 22), text="楼道堆物未清理", by=world.admin
    )
    sent = []

    def receiver(**kwargs):
        sent.append(kwargs["objection"].pk)

    objection_decided.connect(receiver)
    connection._rollup_callbacks = None
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            objection_decide(objection=objection, decision="dismissed", note="经核实已整改", by=world.admin)
    finally:
        objection_decided.disconnect(receiver)
    assert sent == [objection.pk]
    assert callbacks.count(rollup_request) == 1


def test_the_nightly_task_and_its_schedule(world):
    assert rollup_nightly("2021-12-31") == 14 * 316
    assert rollup_nightly("2021-12-31") == 14 * 316
    assert ProgressSnapshot.objects.count() == 14 * 316
    schedule = PeriodicTask.objects.get(name="每日进度汇总")
    assert schedule.task == "reporting.tasks.rollup_nightly" and schedule.enabled
    assert (schedule.crontab.minute, schedule.crontab.hour, str(schedule.crontab.timezone)) == (
        "0",
        "2",
        "Asia/Shanghai",
    )
    assert schedule.task in celery_app.tasks


# --- the API --------------------------------------------------------------------------------------------------


def progress(client: Client, **params: str):
    return client.get(reverse("api-progress-list"), params)


def rows(client: Client, **params: str) -> list[dict]:
    response = progress(client, page_size="1000", **params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_api_content(rolled, reviewer, client_for):
    client = client_for(reviewer)
    (city,) = rows(client, level="city", date="2021-11-30")
    assert city == {
        "code": CITY,
        "name": "天津市",
        "level": "city",
        "parent_code": "",
        "roster": 9,
        "participating": 7,
        "pilots": 3,
        "streets": 124,
        "streets_with_pilot": 3,
        "self_assessed": 1,
        "met": 2,
        "met_share": "0.2222",
        "target_share": "0.3000",
        "target_due_on": "2021-12-31",
        "projected_share": "0.2592",
        "status": "at_risk",
        "as_of": "2021-11-30",
    }
    districts = rows(client, level="district", date="2021-12-31")
    assert len(districts) == 16 and districts[0]["code"] == HEPING
    assert (districts[0]["met"], districts[0]["met_share"], districts[0]["status"]) == (3, "0.6000", "on_track")
    streets = rows(client, level="street", district=HEPING, date="2021-12-31")
    assert [s["code"] for s in streets] == [f"120101{n:03d}" for n in range(1, 7)]
    assert (streets[0]["roster"], streets[0]["parent_code"]) == (3, HEPING)
    # The latest snapshot on or before the date; nothing before the first.
    assert {r["as_of"] for r in rows(client, level="district", date="2022-01-15")} == {"2021-12-31"}
    assert rows(client, level="district", date="2020-11-29") == []
    assert {r["as_of"] for r in rows(client)} == {"2022-12-31"}


def test_api_scope(rolled, client_for, heping_staff, heping_street_staff, hexi_staff, department_staff, inspector):
    heping = client_for(heping_staff)
    assert [r["code"] for r in rows(heping, level="district")] == [HEPING]
    assert rows(heping, level="city") == []
    assert {r["parent_code"] for r in rows(heping, level="street")} == {HEPING}
    assert len(rows(heping, level="street")) == 6
    assert progress(heping, level="street", district=HEXI).status_code == 404
    assert [r["code"] for r in rows(client_for(hexi_staff), level="district")] == [HEXI]
    street = client_for(heping_street_staff)
    assert [r["code"] for r in rows(street, level="street")] == [HP1]
    assert [r["code"] for r in rows(street, level="street", district=HEPING)] == [HP1]
    assert rows(street, level="district") == []
    assert len(rows(client_for(department_staff), level="district")) == 16
    outsider = client_for(inspector)
    assert rows(outsider, level="district") == rows(outsider, level="street") == []
    assert progress(outsider, district=HEPING).status_code == 404
    assert progress(Client(), level="city").status_code == 401


def test_api_bad_input_is_a_400_in_chinese(rolled, reviewer, client_for):
    client = client_for(reviewer)
    response = progress(client, level="county")
    assert response.status_code == 400
    assert response.json() == {"level": ["层级只能是 city（全市）、district（区）或 street（街道）。"]}
    response = progress(client, date="2021-02-30")
    assert response.status_code == 400
    assert response.json() == {"date": ["日期格式应为“年-月-日”（YYYY-MM-DD），例如 2021-05-31。"]}
    assert progress(client, level="district", district="999999").status_code == 404


def test_api_query_count_is_flat(rolled, reviewer, client_for):
    client = client_for(reviewer)
    counts = []
    for size in ("5", "200"):
        with CaptureQueriesContext(connection) as queries:
            response = progress(client, level="street", page_size=size)
        assert len(response.json()["results"]) == int(size)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8


def test_api_in_the_schema(reviewer, client_for, tmp_path):
    schema = client_for(reviewer).get(reverse("api_schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/progress/"]
    assert set(operation) == {"get"}
    assert {p["name"] for p in operation["get"]["parameters"]} == {
        "level",
        "district",
        "date",
        "page",
        "page_size",
        "campaign",
    }
    level = next(p for p in operation["get"]["parameters"] if p["name"] == "level")
    assert level["schema"]["enum"] == ["city", "district", "street"]
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/progress/" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("march", "june", "status", "projected"), [(90, 108, "on_track", "0.7200"), (90, 90, "behind", "0.4500")]
)
def test_a_year_end_acceptance_does_not_make_every_district_behind_mid_year(
    commission_admin, march, june, status, projected
):
    """Mid-2022 the met share has stood still for months (acceptance comes at the year's end); the self-assessed share,
    which the year-end round will inspect, leads it: rising 0.45 → 0.54 over three months, it projects
    0.54 + 0.03 × 6 = 0.72 ≥ 0.60; standing still at 0.45 it is behind (0.45 < 0.85 × 0.60)."""
    street = _street_of_200(commission_admin, meets={D(2022, 3, 1): march, D(2022, 6, 1): june})
    rollup_date(campaign=Campaign.objects.current(), on=D(2022, 6, 30))
    row = snap(D(2022, 6, 30), street.code)
    assert (row.target_share, row.projected_share, row.status) == (Decimal("0.6000"), Decimal(projected), status)


# --- self-assessed (DESIGN.md "Definitions") -------------------------------------------------------------------


def test_self_assessed_counts_taking_part_and_carries_the_last_report_forward(world):
    w = world
    w.assess("A2", D(2021, 8, 1))  # A2 took part from 10 June to 20 September 2021
    w.assess("A2", D(2021, 9, 1))  # written in its last month of taking part
    w.assess("A2", D(2021, 10, 1))  # and a row after it withdrew: it never counts again
    w.assess("A3", D(2021, 9, 1))
    _withdraw_a3(w)  # 15 October, after its September row was written
    w.assess("B2", D(2021, 9, 1))  # no October report: September's carries forward
    w.assess("B2", D(2021, 11, 1), SelfAssessment.Stage.CREATING)  # until November's says otherwise
    rollup_all(campaign=w.campaign, today=END)
    by_month = {on: (snap(on, HP1).self_assessed, snap(on, HP2).self_assessed) for on in rollup_dates(w.campaign, END)}
    assert by_month[D(2021, 8, 31)] == (1, 0)  # A2
    assert by_month[D(2021, 9, 30)] == (1, 1)  # A3 (A2 withdrew on the 20th), B2
    assert by_month[D(2021, 10, 31)] == (1, 1)  # A1 (A3 withdrew on the 15th), B2 carried forward
    assert by_month[D(2021, 11, 30)] == (1, 0)  # A1; B2 creating
    assert by_month[D(2022, 12, 31)] == (1, 0)  # A1's December carried to the end
    # The rollup and the definition the pages and the monthly report use agree on every date and unit.
    from reporting.figures.selectors import self_assessed_communities

    for on in rollup_dates(w.campaign, END):
        counted = self_assessed_communities(campaign=w.campaign, on=on)
        for code, filter_ in (
            (HP1, {"street__code": HP1}),
            (HP2, {"street__code": HP2}),
            (HEXI, {"district__code": HEXI}),
        ):
            assert snap(on, code).self_assessed == counted.filter(**filter_).count(), (on, code)


@pytest.mark.postgres
def test_the_rollups_planner_settings_do_not_leak_into_the_callers_transaction(world):
    """The rollup tunes PostgreSQL's planner for its own statements; a caller's transaction (a request, a service
    that asks for figures after a change) runs on with its own settings afterwards."""
    from tests.conftest import require_service

    require_service(connection.vendor == "postgresql", "PostgreSQL at DATABASE_URL")
    names = ("jit", "work_mem", "enable_mergejoin", "enable_nestloop")

    def current() -> tuple:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in names))
            return cursor.fetchone()

    with transaction.atomic():
        before = current()
        assert before[2:] == ("on", "on")
        rollup_date(campaign=world.campaign, on=D(2021, 12, 31))
        assert snap(D(2021, 12, 31), CITY).roster == 9
        assert current() == before


# --- after the campaign (issue 17 item 1) ----------------------------------------------------------------------


def test_a_december_report_filed_in_january_changes_todays_figures_and_not_novembers(world):
    w = world
    rollup_all(campaign=w.campaign, today=D(2023, 1, 31))
    november, december = snap(D(2022, 11, 30), HEXI), snap(D(2022, 12, 31), HEXI)
    assert snap(D(2023, 1, 31), HEXI).self_assessed == december.self_assessed == 1  # C1's December 2021 carried
    # 河西区's December report, due 5 January 2023, filed on the 3rd: C3 self-assesses as meeting.
    filed_monthly_report(w.campaign, w.c["C3"].district_id, D(2022, 12, 1), submitted_at=at(D(2023, 1, 3), 10))
    SelfAssessment.objects.create(
        community=w.c["C3"], district_id=w.c["C3"].district_id, period=D(2022, 12, 1), stage=SelfAssessment.Stage.MEETS
    )
    rollup_all(campaign=w.campaign, today=D(2023, 1, 31))
    today = snap(D(2023, 1, 31), HEXI)
    assert (today.self_assessed, today.reports_expected, today.reports_submitted, today.reports_timely) == (2, 26, 1, 1)
    # December's own figures take the self-assessment (its month's report states it, however late it came), but
    # the report was not yet submitted on 31 December; November's figures do not change at all.
    assert snap(D(2022, 12, 31), HEXI).self_assessed == 2
    assert snap(D(2022, 12, 31), HEXI).reports_submitted == december.reports_submitted == 0
    assert _figures_of(snap(D(2022, 11, 30), HEXI)) == _figures_of(november)


def _figures_of(row: ProgressSnapshot) -> tuple:
    return tuple(getattr(row, name) for name in (*FIGURES, "reports_expected", "reports_submitted", "met_share"))


def test_an_objection_decided_after_the_campaign_changes_todays_met_count(world):
    """C2 passes its year-end inspection on 20 December 2022; an objection received on the 22nd holds it back
    until it is dismissed on 15 January 2023: met from then, not on 31 December."""
    w = world
    round_ = round_create(
        name="2022年度验收", year=2022, opens_on=D(2022, 11, 1), closes_on=D(2022, 12, 31), notice_days=7, by=w.admin
    )
    team = team_create(round=round_, name="第一组", members=[w.inspector], by=w.admin, today=D(2022, 11, 1))
    inspection = w.inspect((round_, team), "C2", at(D(2022, 12, 20), 10))
    objection = objection_record(
        inspection=inspection, received_on=D(2022, 12, 22), text="居民反映垃圾分类未落实", by=w.admin
    )
    objection_decide(objection=objection, decision="dismissed", note="复核属实，异议不成立", by=w.admin)
    type(objection).objects.filter(pk=objection.pk).update(decided_at=at(D(2023, 1, 15), 10))
    rollup_all(campaign=w.campaign, today=D(2023, 2, 28))
    assert snap(D(2022, 12, 31), HX1).met == 1  # C1 only
    assert snap(D(2023, 1, 31), HX1).met == 2
    assert snap(D(2023, 2, 28), CITY).met == snap(D(2022, 12, 31), CITY).met + 1


def test_a_revocation_removes_met_from_its_date_on_and_a_recheck_alone_changes_nothing(world):
    """B2 (met since September 2021) fails a re-check on 10 March 2022; that alone changes no figure. A1's title is
    revoked from 15 February 2022: 劝业场街道 meets with one fewer from February's figures on, January's unchanged.
    The stored figures agree with `met_inspections` on every date."""
    from standards.acceptance import met_inspections
    from standards.recheck import recheck_round_open, revocation_create

    w = world
    rollup_all(campaign=w.campaign, today=END)
    before = {
        on: (figures(on, HP1), figures(on, HP2), snap(on, HP2).item_results) for on in rollup_dates(w.campaign, END)
    }
    recheck = recheck_round_open(
        name="2022年复查",
        year=2022,
        opens_on=D(2022, 3, 1),
        closes_on=D(2022, 12, 31),
        quotas={},
        named=[w.c["B2"]],
        by=w.admin,
    )
    team = team_create(round=recheck, name="复查组", members=[w.inspector], by=w.admin, today=D(2022, 3, 1))
    w.inspect((recheck, team), "B2", at(D(2022, 3, 10), 10), fail=[FAILED])
    rollup_all(campaign=w.campaign, today=END)
    after = {
        on: (figures(on, HP1), figures(on, HP2), snap(on, HP2).item_results) for on in rollup_dates(w.campaign, END)
    }
    assert after == before

    revocation_create(community=w.c["A1"], revoked_on=D(2022, 2, 15), reason="设施长期停用", by=w.admin)
    rollup_all(campaign=w.campaign, today=END)
    assert snap(D(2022, 1, 31), HP1).met == 1
    assert snap(D(2022, 2, 28), HP1).met == 0
    assert snap(D(2022, 12, 31), HEPING).met == 1  # B2 only (B1 closed in March)
    for on in rollup_dates(w.campaign, END):
        for code, street in ((HP1, "street__code"), (HP2, "street__code")):
            counted = (
                met_inspections(on)
                .filter(**{f"community__{street}": code}, community__in=Community.objects.on_roster(on))
                .count()
            )
            assert snap(on, code).met == counted, (on, code)
    # The same figures as a full run from scratch.
    incremental = _by_key()
    rollup_all(campaign=w.campaign, today=END, force=True)
    assert _by_key() == incremental
