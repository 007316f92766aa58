import datetime

import pytest
from django.core.exceptions import ValidationError

from districts.models import AuditEntry, Community, RosterChange
from districts.services import (
    RosterError,
    community_close,
    community_merge,
    community_split,
    community_update_survey,
)

pytestmark = pytest.mark.django_db
D = datetime.date


def _community(code: str = "120101001001") -> Community:
    return Community.objects.get(code=code)


def test_a_survey_update_is_saved_and_audited_with_old_and_new_values(heping_staff):
    community = _community()
    community_update_survey(community=community, by=heping_staff, data={"households": 2100, "is_old_estate": True})
    community.refresh_from_db()
    assert community.households == 2100
    entry = AuditEntry.objects.get(object_id=str(community.pk), action="update")
    assert entry.actor == heping_staff
    assert entry.district_id == community.district_id
    assert entry.changes == {"households": [None, 2100], "is_old_estate": [None, True]}


def test_an_unchanged_survey_writes_no_audit_entry(heping_staff):
    community = _community()
    community_update_survey(community=community, by=heping_staff, data={"households": None})
    assert not AuditEntry.objects.filter(object_id=str(community.pk)).exists()


def test_a_survey_value_out_of_range_is_refused_and_nothing_is_saved(heping_staff):
    with pytest.raises(ValidationError):
        community_update_survey(community=_community(), by=heping_staff, data={"property_management_share": 150})
    assert _community().property_management_share is None
    assert not AuditEntry.objects.filter(action="update").exists()


def test_the_roster_as_of_a_date_honours_closing_merging_and_splitting(heping_staff):
    street_code = "120101001"
    a, b, c = Community.objects.filter(street__code=street_code).order_by("code")[:3]
    roster = Community.objects.filter(street__code=street_code)
    size = roster.on_roster(D(2021, 1, 1)).count()

    community_merge(community=a, into=b, on=D(2021, 7, 1), by=heping_staff)
    new = community_split(
        community=c,
        parts=[{"code": "120101001901", "name": "新甲社区居委会"}, {"code": "120101001902", "name": "新乙社区居委会"}],
        on=D(2022, 3, 1),
        by=heping_staff,
    )

    assert roster.on_roster(D(2021, 6, 30)).count() == size
    assert roster.on_roster(D(2021, 7, 1)).count() == size - 1  # a merged into b
    assert roster.on_roster(D(2022, 2, 28)).count() == size - 1
    assert roster.on_roster(D(2022, 3, 1)).count() == size  # c closed, two new ones opened
    assert {x.code for x in new} == {"120101001901", "120101001902"}
    assert all(x.district_id == c.district_id for x in new)
    merge = RosterChange.objects.get(community=a, kind="merged")
    assert list(merge.successors.all()) == [b]
    split = RosterChange.objects.get(community=c, kind="split")
    assert set(split.successors.values_list("code", flat=True)) == {"120101001901", "120101001902"}


def test_a_closed_community_cannot_close_again(heping_staff):
    community = _community()
    community_close(community=community, on=D(2021, 1, 1), by=heping_staff)
    with pytest.raises(RosterError):
        community_close(community=community, on=D(2021, 2, 1), by=heping_staff)


def test_merging_across_districts_is_refused(heping_staff):
    with pytest.raises(RosterError):
        community_merge(community=_community(), into=_community("120103001001"), on=D(2021, 1, 1), by=heping_staff)
