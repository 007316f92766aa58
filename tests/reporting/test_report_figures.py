"""The monthly report's roster figures: one query whose SQL is compiled once, never a cached answer."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from districts.models import Community, District
from reporting import selectors
from reporting.models import Campaign
from reporting.services import enrolment_enrol, enrolment_withdraw
from standards.models import SelfAssessment

pytestmark = pytest.mark.django_db
D = datetime.date
KEYS = {
    "roster": "roster_count",
    "enrolled": "enrolled_count",
    "pilots": "pilot_count",
    "subdistricts": "subdistrict_count",
    "subdistricts_with_pilot": "subdistricts_with_pilot",
    "self_assessed": "self_assessed",
    "met": "met",
}


def _from_the_orm(campaign, district, period):
    """The figures straight from their definition, built and compiled by the ORM for these very values."""
    row = selectors._figures_query(
        campaign=campaign, district_id=district.pk, on=selectors.month_end(period), period=period
    ).get()
    return {key: row[column] for key, column in KEYS.items()}


@pytest.fixture
def campaign():
    return Campaign.objects.current()


@pytest.fixture
def heping_activity(campaign, heping_staff):
    heping = District.objects.get(code="120101")
    communities = list(Community.objects.filter(district=heping).order_by("code")[:12])
    enrolment_enrol(
        campaign=campaign, communities=communities[:4], kind="pilot", joined_on=D(2021, 1, 10), by=heping_staff
    )
    enrolment_enrol(
        campaign=campaign, communities=communities[4:9], kind="batch", joined_on=D(2021, 3, 15), by=heping_staff
    )
    enrolment_withdraw(enrolment=communities[5].enrolments.get(), on=D(2021, 4, 2), reason="拆迁", by=heping_staff)
    for number, community in enumerate(communities[:3]):
        SelfAssessment.objects.create(
            community=community,
            district=heping,
            period=D(2021, 3, 1),
            stage="meets" if number < 2 else "creating",
        )
    return heping


@pytest.mark.parametrize("counts_similar", [False, True])
def test_the_compiled_once_sql_gives_what_the_orm_gives_for_any_district_and_month(
    campaign, heping_activity, counts_similar
):
    campaign.counts_similar_communities = counts_similar
    checked = []
    for district in [heping_activity, District.objects.get(code="120116")]:
        for period in [D(2020, 12, 1), D(2021, 2, 1), D(2021, 3, 1), D(2021, 4, 1)]:
            figures = selectors.district_figures(campaign=campaign, district=district, period=period)
            expected = _from_the_orm(campaign, district, period)
            assert {key: figures[key] for key in KEYS} == expected, (district.code, period)
            assert (
                figures["subdistricts_without_pilot"] == expected["subdistricts"] - expected["subdistricts_with_pilot"]
            )
            checked.append(figures)
    march = selectors.district_figures(campaign=campaign, district=heping_activity, period=D(2021, 3, 1))
    assert (march["enrolled"], march["pilots"], march["self_assessed"]) == (9, 4, 2)
    april = selectors.district_figures(campaign=campaign, district=heping_activity, period=D(2021, 4, 1))
    assert april["enrolled"] == 8  # one withdrew on 2 April
    assert len({tuple(f.values()) for f in checked}) > 2  # the values really differ from one call to the next


def test_a_change_shows_at_once_and_a_month_costs_one_query(campaign, heping_activity, heping_staff):
    before = selectors.district_figures(campaign=campaign, district=heping_activity, period=D(2021, 3, 1))
    newcomer = Community.objects.filter(district=heping_activity).order_by("code")[20]
    enrolment_enrol(campaign=campaign, communities=[newcomer], kind="pilot", joined_on=D(2021, 3, 20), by=heping_staff)
    with CaptureQueriesContext(connection) as queries:
        after = selectors.district_figures(campaign=campaign, district=heping_activity, period=D(2021, 3, 1))
    assert len(queries) == 1
    assert after["enrolled"] == before["enrolled"] + 1 and after["pilots"] == before["pilots"] + 1
    assert after == _from_the_orm(campaign, heping_activity, D(2021, 3, 1)) | {
        "subdistricts_without_pilot": after["subdistricts"] - after["subdistricts_with_pilot"]
    }
