"""The demo supervision seed_demo adds: one action closed, one answered and waiting, one overdue, on 2021–2022."""

from __future__ import annotations

import datetime

import pytest

from districts.models import Role
from reporting.supervision.demo import seed_supervision
from reporting.supervision.models import RequiredAction, Supervision

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def demo_users(make_user):
    make_user("commission", Role.COMMISSION_ADMIN)
    make_user("dept-cgw", Role.DEPARTMENT_STAFF, department="cgw")
    make_user("dept-swj", Role.DEPARTMENT_STAFF, department="swj")
    for code in ("120101", "120103", "120104"):
        make_user(f"district-{code}", Role.DISTRICT_STAFF, district=code)


def test_the_demo_has_a_closed_an_awaiting_and_an_overdue_action_on_the_campaigns_timeline(demo_users):
    assert "3 actions" in seed_supervision()
    kinds = dict(Supervision.objects.values_list("title", "kind"))
    assert set(kinds.values()) == {"site_check", "survey", "directive"}
    assert all(D(2021, 1, 1) <= day <= D(2022, 12, 31) for day in Supervision.objects.values_list("held_on", flat=True))
    states = dict(RequiredAction.objects.values_list("district__code", "status"))
    assert states == {"120101": "closed", "120103": "closed", "120104": "answered", "120102": "open"}
    hexi = RequiredAction.objects.get(district__code="120103")
    assert [s.kind for s in hexi.steps.all()] == ["answered", "returned", "answered", "closed"]
    assert list(RequiredAction.objects.overdue_on(D(2022, 12, 31)).values_list("district__code", flat=True)) == [
        "120104",
        "120102",
    ]
    # Seeding again adds nothing.
    assert seed_supervision() == "supervision already present, left as it is" and Supervision.objects.count() == 3
