"""Fixtures of the funds tests: the seeded sources, communities of 和平区 and 河西区, lines written by the service."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from districts.models import Community, District
from reporting.funds.models import FundingSource
from reporting.funds.services import fund_entry_create
from reporting.models import Campaign, ProgressSnapshot

HEPING, HEXI = "120101", "120103"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def sources(db) -> dict[str, FundingSource]:
    return {s.code: s for s in FundingSource.objects.all()}


@pytest.fixture
def heping(db):
    return District.objects.get(code=HEPING)


@pytest.fixture
def hexi(db):
    return District.objects.get(code=HEXI)


@pytest.fixture
def heping_communities(db) -> list[Community]:
    return list(Community.objects.filter(district__code=HEPING).order_by("code")[:3])


@pytest.fixture
def hexi_community(db) -> Community:
    return Community.objects.filter(district__code=HEXI).earliest("code")


@pytest.fixture
def add_line():
    def add(community, year, source, committed, spent, *, by, note=""):
        return fund_entry_create(
            community=community,
            year=year,
            source=source,
            committed=Decimal(committed),
            spent=Decimal(spent),
            note=note,
            by=by,
        )

    return add


@pytest.fixture
def snapshots(db):
    """The city's and 和平区's progress rows at the end of 2021, so the dashboards have a date to show."""
    campaign = Campaign.objects.current()
    on = datetime.date(2021, 12, 31)
    common = {"campaign": campaign, "on": on, "computed_at": timezone.now(), "target_share": "0.3000"}
    ProgressSnapshot.objects.create(**common, level="city", unit_code="12", unit_name="天津市", roster=100)
    for code in (HEPING, HEXI):
        ProgressSnapshot.objects.create(
            **common,
            level="district",
            unit_code=code,
            unit_name=District.objects.get(code=code).name,
            parent_code="12",
            roster=50,
        )
    return on
