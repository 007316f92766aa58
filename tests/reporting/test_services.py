import datetime
import zoneinfo

import pytest

from districts.models import AuditEntry, Community
from districts.services import community_close
from reporting.models import Campaign, Enrolment
from reporting.services import EnrolmentError, enrolment_enrol, enrolment_withdraw
from standards.acceptance import (
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    round_create,
    team_create,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def campaign():
    return Campaign.objects.current()


@pytest.fixture
def communities():
    return list(Community.objects.filter(street__code="120101001").order_by("code")[:3])


def test_enrolment_creates_rows_and_audit_entries(campaign, communities, heping_staff):
    created = enrolment_enrol(
        campaign=campaign, communities=communities[:2], kind="pilot", joined_on=D(2020, 12, 1), by=heping_staff
    )
    assert {e.community_id for e in created} == {c.pk for c in communities[:2]}
    entries = AuditEntry.objects.filter(action="create", content_type__model="enrolment")
    assert entries.count() == 2
    assert all(e.actor == heping_staff and e.district_id == communities[0].district_id for e in entries)


def test_a_community_cannot_be_enrolled_twice(campaign, communities, heping_staff):
    enrolment_enrol(
        campaign=campaign, communities=communities[:1], kind="pilot", joined_on=D(2020, 12, 1), by=heping_staff
    )
    with pytest.raises(EnrolmentError, match=communities[0].name):
        enrolment_enrol(
            campaign=campaign, communities=communities[:2], kind="batch", joined_on=D(2021, 7, 1), by=heping_staff
        )
    assert Enrolment.objects.count() == 1  # the second community was not enrolled either


def test_enrolment_before_the_campaign_or_of_a_closed_community_is_refused(campaign, communities, heping_staff):
    with pytest.raises(EnrolmentError):
        enrolment_enrol(
            campaign=campaign, communities=communities[:1], kind="pilot", joined_on=D(2020, 10, 31), by=heping_staff
        )
    community_close(community=communities[2], on=D(2021, 1, 1), by=heping_staff)
    with pytest.raises(EnrolmentError):
        enrolment_enrol(
            campaign=campaign, communities=[communities[2]], kind="pilot", joined_on=D(2021, 2, 1), by=heping_staff
        )
    assert not Enrolment.objects.exists()


def test_withdrawal_keeps_history_and_allows_rejoining(campaign, communities, heping_staff):
    first = enrolment_enrol(
        campaign=campaign, communities=communities[:1], kind="pilot", joined_on=D(2020, 12, 1), by=heping_staff
    )[0]
    enrolment_withdraw(enrolment=first, on=D(2021, 2, 1), reason="居民意愿不足", by=heping_staff)
    with pytest.raises(EnrolmentError):
        enrolment_withdraw(enrolment=first, on=D(2021, 3, 1), reason="again", by=heping_staff)
    enrolment_enrol(
        campaign=campaign, communities=communities[:1], kind="batch", joined_on=D(2021, 8, 1), by=heping_staff
    )
    history = list(Enrolment.objects.filter(community=communities[0]).values_list("kind", "withdrawn_on"))
    assert history == [("pilot", D(2021, 2, 1)), ("batch", None)]
    assert Enrolment.objects.active_on(D(2021, 1, 15)).filter(community=communities[0]).get().kind == "pilot"
    assert not Enrolment.objects.active_on(D(2021, 5, 1)).filter(community=communities[0]).exists()


def test_withdrawal_needs_a_reason_and_a_date_after_joining(campaign, communities, heping_staff):
    row = enrolment_enrol(
        campaign=campaign, communities=communities[:1], kind="pilot", joined_on=D(2020, 12, 1), by=heping_staff
    )[0]
    with pytest.raises(EnrolmentError):
        enrolment_withdraw(enrolment=row, on=D(2021, 1, 1), reason="  ", by=heping_staff)
    with pytest.raises(EnrolmentError):
        enrolment_withdraw(enrolment=row, on=D(2020, 12, 1), reason="太早", by=heping_staff)
    row.refresh_from_db()
    assert row.withdrawn_on is None


def test_deadlines_come_from_the_campaign_data(campaign):
    by_kind = {d.kind: d for d in campaign.deadlines.all()}
    assert by_kind["implementation_plan"].next_due_on(D(2020, 11, 20)) == D(2020, 12, 15)
    assert by_kind["annual_report"].next_due_on(D(2021, 11, 16)) == D(2022, 11, 15)
    assert by_kind["monthly_report"].next_due_on(D(2021, 3, 6)) == D(2021, 4, 5)
    assert by_kind["monthly_report"].next_due_on(D(2023, 1, 6)) is None  # the campaign is over
    milestones = list(campaign.milestones.values_list("due_on", "target_share"))
    assert [m[0] for m in milestones] == [D(2021, 5, 31), D(2021, 12, 31), D(2022, 12, 31)]


def test_a_community_that_has_met_cannot_withdraw(campaign, communities, heping_staff, commission_admin, inspector):
    """DESIGN "Met": a community that has met keeps its title until revoked; the portal refuses its withdrawal in
    Chinese and says how revocation works. Before it met, it could still withdraw."""
    (row,) = enrolment_enrol(
        campaign=campaign, communities=communities[:1], kind="pilot", joined_on=D(2020, 12, 1), by=heping_staff
    )
    day = D(2021, 11, 20)
    round_ = round_create(
        name="2021年验收", year=2021, opens_on=D(2021, 10, 1), closes_on=D(2021, 12, 31), by=commission_admin
    )
    team = team_create(round=round_, name="第一组", members=[inspector], by=commission_admin, today=day)
    (assignment,) = assignments_create(
        round=round_, communities=communities[:1], team=team, by=commission_admin, today=day
    )
    inspection = inspection_start(assignment=assignment, by=inspector, today=day)
    for number in range(1, 17):
        answer_save(inspection=inspection, item_number=number, result="meets", note="", by=inspector, today=day)
    inspection_sign(
        inspection=inspection,
        by=inspector,
        signed_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")),
    )
    with pytest.raises(EnrolmentError, match="已达到创建要求，不能退出创建.*摘牌"):
        enrolment_withdraw(enrolment=row, on=D(2022, 3, 1), reason="居民意愿不足", by=heping_staff)
    row.refresh_from_db()
    assert row.withdrawn_on is None
    assert not AuditEntry.objects.filter(content_type__model="enrolment", action="update").exists()
