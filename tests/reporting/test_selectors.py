import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from districts.models import Community, Street
from districts.services import community_merge
from reporting.figures import selectors
from reporting.models import Campaign
from reporting.services import enrolment_enrol, enrolment_withdraw

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def campaign():
    return Campaign.objects.current()


def _enrol(campaign, codes, kind, on):
    return enrolment_enrol(
        campaign=campaign, communities=list(Community.objects.filter(code__in=codes)), kind=kind, joined_on=on, by=None
    )


def test_district_overview_counts_by_hand(campaign, commission_admin):
    heping = Street.objects.filter(district__code="120101").order_by("code")
    s1, s2 = heping[0], heping[1]
    c1 = list(Community.objects.filter(street=s1).order_by("code").values_list("code", flat=True))
    c2 = list(Community.objects.filter(street=s2).order_by("code").values_list("code", flat=True))
    _enrol(campaign, [c1[0]], "pilot", D(2020, 12, 1))
    _enrol(campaign, [c1[1], c1[2]], "batch", D(2021, 7, 1))
    withdrawn = _enrol(campaign, [c2[0]], "pilot", D(2021, 1, 10))[0]
    enrolment_withdraw(enrolment=withdrawn, on=D(2021, 3, 1), reason="居民意愿不足", by=None)

    def row(on):
        return selectors.districts_overview(user=commission_admin, campaign=campaign, on=on).get(code="120101")

    roster = Community.objects.filter(district__code="120101", kind="居委会").count()
    subdistricts = Street.objects.filter(district__code="120101", kind="街道").count()

    early = row(D(2021, 2, 1))
    assert (early.roster_count, early.enrolled_count, early.pilot_count) == (roster, 2, 2)
    assert (early.subdistricts_with_pilot, early.subdistrict_count) == (2, subdistricts)

    after_withdrawal = row(D(2021, 3, 1))
    assert (
        after_withdrawal.enrolled_count,
        after_withdrawal.pilot_count,
        after_withdrawal.subdistricts_with_pilot,
    ) == (1, 1, 1)

    later = row(D(2021, 8, 1))
    assert (later.enrolled_count, later.pilot_count) == (3, 1)


def test_a_merged_community_leaves_the_roster_count_from_its_date(campaign, commission_admin):
    a, b = Community.objects.filter(street__code="120101001").order_by("code")[:2]
    community_merge(community=a, into=b, on=D(2022, 7, 1), by=None)
    size = Community.objects.filter(district__code="120101", kind="居委会").count()
    overview = selectors.districts_overview(user=commission_admin, campaign=campaign, on=D(2022, 6, 30)).get(
        code="120101"
    )
    assert overview.roster_count == size
    overview = selectors.districts_overview(user=commission_admin, campaign=campaign, on=D(2022, 7, 1)).get(
        code="120101"
    )
    assert overview.roster_count == size - 1


def test_district_staff_see_only_their_district_in_the_overview(campaign, heping_staff):
    codes = list(
        selectors.districts_overview(user=heping_staff, campaign=campaign, on=D(2021, 1, 1)).values_list(
            "code", flat=True
        )
    )
    assert codes == ["120101"]


def test_pilot_gaps_list_only_subdistricts_without_an_active_pilot(campaign, heping_staff):
    first = Street.objects.filter(district__code="120101", kind="街道").order_by("code").first()
    gaps_before = set(
        selectors.pilot_gaps(user=heping_staff, campaign=campaign, on=D(2021, 1, 1)).values_list("code", flat=True)
    )
    _enrol(campaign, [Community.objects.filter(street=first).first().code], "pilot", D(2020, 12, 1))
    gaps_after = set(
        selectors.pilot_gaps(user=heping_staff, campaign=campaign, on=D(2021, 1, 1)).values_list("code", flat=True)
    )
    assert first.code in gaps_before
    assert gaps_before - gaps_after == {first.code}
    assert all(code.startswith("120101") for code in gaps_after)


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def test_the_roster_page_query_count_does_not_grow_with_communities(client, commission_admin, campaign):
    client.force_login(commission_admin)
    small = _queries(lambda: client.get("/roster/street/120101001/"))  # a handful of communities
    large = _queries(lambda: client.get("/roster/communities/?district=120116"))  # 滨海新区, 100 a page
    overview = _queries(lambda: client.get("/roster/"))
    district = _queries(lambda: client.get("/roster/district/120116/"))
    assert small == large
    assert overview <= 8 and district <= 8
