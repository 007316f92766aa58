"""Acceptance through the services: assignment, answering, signing, immutability, rectification, notice."""

import datetime

import pytest
from django.db import IntegrityError, InternalError, transaction
from django.db.utils import DatabaseError

from districts.models import Community
from standards.acceptance import (
    AcceptanceError,
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    met_communities,
    objection_decide,
    objection_record,
    rectification_done,
    reinspection_request,
    round_create,
    team_create,
)
from standards.models import Inspection, InspectionAnswer, Rectification

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def setup(inspector, commission_admin):
    round_ = round_create(
        name="2021年度验收",
        year=2021,
        opens_on=D(2021, 10, 1),
        closes_on=D(2021, 12, 31),
        notice_days=7,
        by=commission_admin,
    )
    team = team_create(round=round_, name="第一组", members=[inspector], by=commission_admin)
    community = Community.objects.filter(street__code="120101001").order_by("code").first()
    (assignment,) = assignments_create(round=round_, communities=[community], team=team, by=commission_admin)
    return round_, team, community, assignment


def _answer_all(inspection, by, fail=()):
    for n in range(1, 17):
        result = "fails" if n in fail else "meets"
        answer_save(
            inspection=inspection, item_number=n, result=result, note="缺少分类投放点" if n in fail else "", by=by
        )


def test_sign_then_nothing_can_change_it(setup, inspector, commission_admin):
    _round, _team, community, assignment = setup
    inspection = inspection_start(assignment=assignment, by=inspector)
    assert inspection_start(assignment=assignment, by=inspector).pk == inspection.pk
    with pytest.raises(AcceptanceError, match="16"):
        answer_save(inspection=inspection, item_number=16, result="fails", note="", by=inspector)
    with pytest.raises(AcceptanceError):
        answer_save(inspection=inspection, item_number=1, result="not_applicable", note="", by=inspector)
    _answer_all(inspection, inspector)
    answer_save(inspection=inspection, item_number=16, result="not_applicable", note="", by=inspector)
    signed = inspection_sign(inspection=inspection, by=inspector)
    assert signed.passed and signed.notice_ends_on == signed.signed_on + datetime.timedelta(days=7)
    with pytest.raises(AcceptanceError):
        answer_save(inspection=signed, item_number=2, result="fails", note="改", by=inspector)
    # The database refuses as well, whatever route a change takes.
    for attempt in (
        lambda: Inspection.objects.filter(pk=signed.pk).update(passed=False),
        lambda: InspectionAnswer.objects.filter(inspection=signed).update(result="fails"),
        lambda: InspectionAnswer.objects.filter(inspection=signed).delete(),
        lambda: InspectionAnswer.objects.create(
            inspection=signed, item_id=signed.answers.first().item_id, result="meets"
        ),
    ):
        with pytest.raises((IntegrityError, InternalError, DatabaseError)), transaction.atomic():
            attempt()
    signed.refresh_from_db()
    assert signed.passed and signed.answers.filter(result="meets").count() == 15


def test_failure_rectification_reinspection_and_notice(setup, inspector, commission_admin, heping_staff):
    round_, team, community, assignment = setup
    first = inspection_start(assignment=assignment, by=inspector)
    _answer_all(first, inspector, fail={5})
    first = inspection_sign(inspection=first, by=inspector)
    assert first.passed is False
    (item,) = Rectification.objects.filter(community=community)
    assert item.item.number == 5 and item.status == "open" and item.finding == "缺少分类投放点"
    with pytest.raises(AcceptanceError):
        reinspection_request(community=community, by=heping_staff)
    with pytest.raises(AcceptanceError):
        assignments_create(round=round_, communities=[community], team=team, by=commission_admin, kind="reinspection")
    rectification_done(rectification=item, note="已增设分类投放点", by=heping_staff)
    assert reinspection_request(community=community, by=heping_staff) == 1
    (again,) = assignments_create(
        round=round_, communities=[community], team=team, by=commission_admin, kind="reinspection"
    )
    second = inspection_start(assignment=again, by=inspector)
    _answer_all(second, inspector)
    second = inspection_sign(inspection=second, by=inspector)
    item.refresh_from_db()
    assert item.status == "closed" and item.closed_by_inspection == second
    signed_on = second.signed_on
    assert community not in met_communities(signed_on + datetime.timedelta(days=6))
    assert community in met_communities(signed_on + datetime.timedelta(days=7))
    # An objection during the notice holds it back until it is dismissed.
    objection = objection_record(
        inspection=second,
        received_on=signed_on + datetime.timedelta(days=2),
        text="垃圾分类点未开放",
        by=commission_admin,
    )
    assert community not in met_communities(signed_on + datetime.timedelta(days=30))
    objection_decide(objection=objection, decision="dismissed", note="经核实已开放", by=commission_admin)
    assert community in met_communities(signed_on + datetime.timedelta(days=30))
    with pytest.raises(AcceptanceError):
        objection_record(
            inspection=second, received_on=signed_on + datetime.timedelta(days=8), text="晚了", by=commission_admin
        )


def test_an_upheld_objection_means_not_met(setup, inspector, commission_admin):
    _round, _team, community, assignment = setup
    inspection = inspection_start(assignment=assignment, by=inspector)
    _answer_all(inspection, inspector)
    inspection = inspection_sign(inspection=inspection, by=inspector)
    objection = objection_record(
        inspection=inspection, received_on=inspection.signed_on, text="虚报", by=commission_admin
    )
    objection_decide(objection=objection, decision="upheld", note="情况属实", by=commission_admin)
    assert community not in met_communities(inspection.signed_on + datetime.timedelta(days=30))


def test_signing_needs_every_item_and_assignment_is_once_per_round(setup, inspector, commission_admin):
    round_, team, community, assignment = setup
    inspection = inspection_start(assignment=assignment, by=inspector)
    answer_save(inspection=inspection, item_number=1, result="meets", note="", by=inspector)
    with pytest.raises(AcceptanceError, match="2"):
        inspection_sign(inspection=inspection, by=inspector)
    with pytest.raises(AcceptanceError):
        assignments_create(round=round_, communities=[community], team=team, by=commission_admin)
    assert Inspection.objects.get(pk=inspection.pk).status == "open"
