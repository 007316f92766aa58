"""A later campaign beside the first: the figures of every begun campaign are kept up to date, a re-check round
inspects against the standard in force, a campaign may set when the districts' plans are due, and a campaign that
asks for no pilots shows no pilot figures (home page and dashboards)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from districts.models import District
from reporting.campaigns.services import CampaignError, MilestoneSpec, campaign_make_current, campaign_open
from reporting.figures.rollups import rollup_date
from reporting.models import Campaign, Deadline, Milestone, ProgressSnapshot
from reporting.tasks import rollup_nightly
from standards.recheck import Quota, recheck_round_open
from standards.versions import standard_version_copy
from tests.standards.test_recheck import accept_world

pytestmark = pytest.mark.django_db
D = datetime.date


def _page(client, url: str) -> str:
    return re.sub(r"\s+", " ", client.get(url).content.decode())


def _later_campaign(by, **extra) -> Campaign:
    first = Campaign.objects.order_by("starts_on").first()
    assert first is not None
    standard = standard_version_copy(source=first.standard, name="绿色社区创建标准（2025年修订）", by=by)
    campaign = campaign_open(
        name="天津市绿色社区巩固提升行动（2025—2027年）",
        issued_by="天津市住房和城乡建设委员会",
        starts_on=D(2025, 1, 1),
        ends_on=D(2027, 12, 31),
        standard=standard,
        monthly_due_day=5,
        milestones=[MilestoneSpec("各区75%以上城市社区达到创建要求", "met_share", D(2026, 12, 31), Decimal("0.75"))],
        by=by,
        **extra,
    )
    campaign_make_current(campaign=campaign, by=by)
    return campaign


def test_the_nightly_rollup_keeps_every_begun_campaign_up_to_date(commission_admin):
    first = Campaign.objects.order_by("starts_on").first()
    later = _later_campaign(commission_admin)
    # Before the later campaign begins, only the first has figures.
    assert rollup_nightly("2024-12-31") == ProgressSnapshot.objects.filter(campaign=first).count() > 0
    assert not ProgressSnapshot.objects.filter(campaign=later).exists()
    rows = rollup_nightly("2025-02-10")
    dates = {
        campaign.pk: set(ProgressSnapshot.objects.filter(campaign=campaign).values_list("on", flat=True))
        for campaign in (first, later)
    }
    # The ended campaign still reaches today; the later one runs from its own start.
    assert max(dates[first.pk]) == D(2025, 2, 10) and min(dates[first.pk]) == D(2020, 11, 30)
    assert sorted(dates[later.pk]) == [D(2025, 1, 31), D(2025, 2, 10)]
    assert rows == ProgressSnapshot.objects.count()


def test_the_rollup_command_names_each_begun_campaign(commission_admin, capsys):
    later = _later_campaign(commission_admin)
    call_command("rollup", "--today", "2025-01-31")
    out = capsys.readouterr().out
    assert "天津市绿色社区创建行动（2020—2022年）" in out and later.name in out
    assert ProgressSnapshot.objects.filter(campaign=later, on=D(2025, 1, 31)).exists()


def test_a_recheck_round_inspects_against_the_standard_in_force(commission_admin, inspector):
    accept_world(commission_admin, inspector)
    first = Campaign.objects.order_by("starts_on").first()
    heping = District.objects.get(code="120101")
    before = recheck_round_open(
        name="2024年度复查",
        year=2024,
        opens_on=D(2024, 9, 1),
        closes_on=D(2024, 11, 30),
        quotas={heping: Quota(number=1)},
        by=commission_admin,
    )
    later = _later_campaign(commission_admin)
    after = recheck_round_open(
        name="2025年度复查",
        year=2025,
        opens_on=D(2025, 9, 1),
        closes_on=D(2025, 11, 30),
        quotas={heping: Quota(number=1)},
        by=commission_admin,
    )
    told = recheck_round_open(
        name="2025年度补充复查",
        year=2025,
        opens_on=D(2025, 9, 1),
        closes_on=D(2025, 11, 30),
        quotas={heping: Quota(number=1)},
        standard=first.standard,
        by=commission_admin,
    )
    assert (before.standard_id, after.standard_id, told.standard_id) == (
        first.standard_id,
        later.standard_id,
        first.standard_id,
    )


def test_a_campaign_may_set_when_the_districts_plans_are_due(commission_admin):
    later = _later_campaign(commission_admin, plan_due=D(2025, 2, 28))
    plan = later.deadlines.get(kind=Deadline.Kind.IMPLEMENTATION_PLAN)
    assert plan.due_on == D(2025, 2, 28) and plan.name == "区绿色社区创建行动实施方案"
    with pytest.raises(CampaignError, match="各区实施方案的报送期限须在创建行动期间内"):
        campaign_open(
            name="天津市绿色社区创建行动（2028—2029年）",
            issued_by="天津市住房和城乡建设委员会",
            starts_on=D(2028, 1, 1),
            ends_on=D(2029, 12, 31),
            standard=later.standard,
            monthly_due_day=5,
            plan_due=D(2027, 12, 1),
            by=commission_admin,
        )
    assert not Campaign.objects.filter(starts_on=D(2028, 1, 1)).exists()


def test_a_campaign_that_asks_for_no_pilots_does_not_list_subdistricts_without_one(
    client_for, commission_admin, heping_staff
):
    first = Campaign.objects.order_by("starts_on").first()
    later = _later_campaign(commission_admin)
    assert first.asks_for_pilots and not later.asks_for_pilots
    assert not later.milestones.filter(kind=Milestone.Kind.PILOTS_PER_STREET).exists()
    for user in (commission_admin, heping_staff):
        client = client_for(user)
        page = _page(client, "/?on=2025-06-30")
        assert "尚无试点社区的街道" not in page and "有试点的街道" not in page, user
        old = _page(client, f"/?on=2021-03-31&campaign={first.pk}")
        assert "尚无试点社区的街道" in old, user


def test_the_dashboards_of_a_campaign_without_pilots_show_no_pilot_figures(client_for, commission_admin, heping_staff):
    first = Campaign.objects.order_by("starts_on").first()
    later = _later_campaign(commission_admin)
    rollup_date(campaign=later, on=D(2025, 6, 30))
    rollup_date(campaign=first, on=D(2021, 6, 30))
    for user, url in ((commission_admin, "/dashboard/"), (heping_staff, "/dashboard/district/120101/")):
        client = client_for(user)
        page = _page(client, f"{url}?on=2025-06-30")
        assert "天津市绿色社区巩固提升行动" in page and "试点" not in page, url
        old = _page(client, f"{url}?on=2021-06-30&campaign={first.pk}")
        assert "街道试点覆盖率" in old and ">试点覆盖率</a>" in old, url
