"""A campaign that sets no pilots-in-every-subdistrict milestone (a later one need not) has no pilot figures on its
dashboards: no pilot-coverage card, no pilot column in the ranking, while the first campaign keeps both."""

from __future__ import annotations

import datetime
import re

import pytest

from reporting.campaigns.services import campaign_make_current, campaign_open
from reporting.figures.rollups import rollup_date
from reporting.models import Campaign
from standards.versions import standard_version_copy

pytestmark = pytest.mark.django_db
D = datetime.date


def _page(client, url: str) -> str:
    return re.sub(r"\s+", " ", client.get(url).content.decode())


def test_the_dashboards_of_a_campaign_without_pilots_show_no_pilot_figures(client_for, commission_admin, heping_staff):
    first = Campaign.objects.order_by("starts_on").first()
    standard = standard_version_copy(source=first.standard, name="绿色社区创建标准（2025年修订）", by=commission_admin)
    later = campaign_open(
        name="天津市绿色社区巩固提升行动（2025—2027年）",
        issued_by="天津市住房和城乡建设委员会",
        starts_on=D(2025, 1, 1),
        ends_on=D(2027, 12, 31),
        standard=standard,
        monthly_due_day=5,
        by=commission_admin,
    )
    campaign_make_current(campaign=later, by=commission_admin)
    rollup_date(campaign=later, on=D(2025, 6, 30))
    rollup_date(campaign=first, on=D(2021, 6, 30))
    for user, url in ((commission_admin, "/dashboard/"), (heping_staff, "/dashboard/district/120101/")):
        client = client_for(user)
        page = _page(client, f"{url}?on=2025-06-30")
        assert "天津市绿色社区巩固提升行动" in page and "试点" not in page, url
        old = _page(client, f"{url}?on=2021-06-30&campaign={first.pk}")
        assert "街道试点覆盖率" in old and ">试点覆盖率</a>" in old, url
