"""The demo funds and officials: a deterministic spread over 2021 and 2022 for enrolled communities, every unit's two
officials, and nothing added on a second run."""

from __future__ import annotations

import datetime

import pytest

from districts.models import Community, Department, District, ResponsibleOfficial
from reporting.funds.demo import DISTRICTS, seed_funds_demo
from reporting.funds.models import FundEntry
from reporting.models import Campaign
from reporting.services import enrolment_enrol

pytestmark = pytest.mark.django_db


def _enrol() -> None:
    campaign = Campaign.objects.current()
    assert campaign is not None
    for code in DISTRICTS:
        communities = list(Community.objects.filter(district__code=code, kind="居委会").order_by("code")[:10])
        enrolment_enrol(
            campaign=campaign, communities=communities, kind="pilot", joined_on=datetime.date(2020, 12, 1), by=None
        )


def _lines() -> list[tuple]:
    return list(
        FundEntry.objects.order_by("community__code", "year", "source__order").values_list(
            "community__code", "year", "source__code", "committed", "spent"
        )
    )


def test_the_demo_spreads_funds_over_two_years_and_names_every_units_officials():
    _enrol()
    message = seed_funds_demo()
    lines = _lines()
    assert f"{len(lines)} funds lines" in message
    assert {year for _code, year, *_rest in lines} == {2021, 2022}
    assert {code[:6] for code, *_rest in lines} == set(DISTRICTS)
    assert sum(DISTRICTS.values()) == len({code for code, *_rest in lines})
    assert all(0 <= spent <= committed for *_key, committed, spent in lines)
    assert ResponsibleOfficial.objects.count() == 2 * (District.objects.count() + Department.objects.count())
    assert seed_funds_demo() == "funds already present, left as they are; responsible officials already present"
    assert _lines() == lines


def test_the_demo_is_the_same_every_time():
    _enrol()
    seed_funds_demo()
    first = _lines()
    FundEntry.objects.all().delete()
    seed_funds_demo()
    assert _lines() == first
