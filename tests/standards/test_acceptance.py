"""Acceptance through the services: assignment, answering, signing, immutability, rectification, notice."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InternalError, transaction
from django.db.utils import DatabaseError
from django.utils import timezone, translation

from districts.models import AuditEntry, Community
from standards.acceptance import (
    AcceptanceError,
    RoundClosed,
    answer_save,
    assignments_create,
    inspection_photo_add,
    inspection_sign,
    inspection_start,
    met_communities,
    objection_decide,
    objection_record,
    rectification_done,
    reinspection_request,
    round_create,
    round_extend,
    team_create,
)
from standards.models import (
    Inspection,
    InspectionAnswer,
    Rectification,
    RoundExtension,
    StandardItem,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def setup(inspector, commission_admin):
    """A round open today, one team, one community assigned."""
    today = timezone.localdate()
    round_ = round_create(
        name="2021年度验收",
        year=2021,
        opens_on=today - datetime.timedelta(days=30),
        closes_on=today + datetime.timedelta(days=30),
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


# --- a closed round (issue 14 item 3) ---------------------------------------------------------------------------

CLOSED = "本轮验收已于2021年12月31日结束。"
LOCAL = timezone.get_default_timezone()


@pytest.fixture
def ended(inspector, commission_admin, heping_staff):
    """A round that ended on 31 December 2021, with, made while it was open: an open inspection with 15 answers,
    a signed, failed one whose item 5 is to rectify, and an assignment not started."""
    round_ = round_create(
        name="2021年度验收", year=2021, opens_on=D(2021, 10, 1), closes_on=D(2021, 12, 31), by=commission_admin
    )
    during = D(2021, 12, 20)
    team = team_create(round=round_, name="第一组", members=[inspector], by=commission_admin, today=during)
    communities = Community.objects.filter(street__code="120101001").order_by("code")[:3]
    first, second, waiting = assignments_create(
        round=round_, communities=communities, team=team, by=commission_admin, today=during
    )
    inspection = inspection_start(assignment=first, by=inspector, today=during)
    for n in range(1, 16):
        answer_save(inspection=inspection, item_number=n, result="meets", note="", by=inspector, today=during)
    failed = inspection_start(assignment=second, by=inspector, today=during)
    for n in range(1, 17):
        fails = n == 5
        note = "缺少分类投放点" if fails else ""
        answer_save(
            inspection=failed,
            item_number=n,
            result="fails" if fails else "meets",
            note=note,
            by=inspector,
            today=during,
        )
    failed = inspection_sign(
        inspection=failed, by=inspector, signed_at=datetime.datetime(2021, 12, 20, 15, tzinfo=LOCAL)
    )
    return SimpleNamespace(round=round_, team=team, inspection=inspection, failed=failed, waiting=waiting)


def _photo() -> SimpleUploadedFile:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 20), "green").save(out, "PNG")
    return SimpleUploadedFile("现场.png", out.getvalue(), content_type="image/png")


def test_a_round_refuses_every_step_of_work_after_its_last_day(
    ended, inspector, commission_admin, heping_staff, settings, tmp_path
):
    """Issue 14 item 3: after `closes_on` (Asia/Shanghai) the services refuse teams, assignments, inspections,
    answers, photos, signatures and rectification steps, in Chinese; on the last day itself they still take them."""
    settings.MEDIA_ROOT = tmp_path
    round_, inspection, failed = ended.round, ended.inspection, ended.failed
    rectification = failed.rectifications.get()
    another = Community.objects.filter(street__code="120101001").order_by("code")[3]
    after = D(2022, 1, 1)
    steps = {
        "team": lambda day: team_create(
            round=round_, name="第二组", members=[inspector], by=commission_admin, today=day
        ),
        "assignment": lambda day: assignments_create(
            round=round_, communities=[another], team=ended.team, by=commission_admin, today=day
        ),
        "inspection": lambda day: inspection_start(assignment=ended.waiting, by=inspector, today=day),
        "answer": lambda day: answer_save(
            inspection=inspection, item_number=16, result="meets", note="", by=inspector, today=day
        ),
        "photo": lambda day: inspection_photo_add(
            inspection=inspection, item=StandardItem.objects.get(number=16), upload=_photo(), by=inspector, today=day
        ),
        "rectified": lambda day: rectification_done(
            rectification=rectification, note="已增设分类投放点", by=heping_staff, today=day
        ),
    }
    with translation.override("zh-hans"):
        for name, step in steps.items():
            with pytest.raises(RoundClosed, match=CLOSED):
                step(after)
            assert step(D(2021, 12, 31)), name  # open through its last day
        with pytest.raises(RoundClosed, match=CLOSED):
            inspection_sign(inspection=inspection, by=inspector, today=after)
        # A paper signature entered later is judged by its own day, in Asia/Shanghai: 00:30 on 1 January is too late
        # although it is still 31 December in UTC.
        with pytest.raises(RoundClosed, match=CLOSED):
            inspection_sign(
                inspection=inspection, by=inspector, signed_at=datetime.datetime(2022, 1, 1, 0, 30, tzinfo=LOCAL)
            )
        with pytest.raises(RoundClosed, match=CLOSED):
            reinspection_request(community=failed.community, by=heping_staff, today=after)
        # Without `today`, today is today: long after 2021.
        with pytest.raises(RoundClosed, match=CLOSED):
            answer_save(inspection=inspection, item_number=1, result="fails", note="缺", by=inspector)
        with pytest.raises(RoundClosed, match=CLOSED):
            rectification_done(rectification=rectification, note="再次整改", by=heping_staff)
    signed = inspection_sign(
        inspection=inspection, by=inspector, signed_at=datetime.datetime(2021, 12, 31, 23, 30, tzinfo=LOCAL)
    )
    assert signed.is_signed and signed.signed_on == D(2021, 12, 31)
    assert reinspection_request(community=failed.community, by=heping_staff, today=D(2021, 12, 31)) == 1
    # Objections are not the round's work: the public notice may run past its end.
    passed_inspection = Inspection.objects.get(pk=signed.pk)
    assert objection_record(
        inspection=passed_inspection, received_on=passed_inspection.signed_on, text="有异议", by=commission_admin
    )


def test_the_commission_extends_a_round_with_a_reason_and_it_takes_work_again(ended, inspector, commission_admin):
    """Issue 14 item 3: an extension moves the end date later, is audited with its reason, and reopens the round."""
    round_, inspection = ended.round, ended.inspection
    with translation.override("zh-hans"):
        with pytest.raises(AcceptanceError, match="请填写延长的理由"):
            round_extend(round=round_, closes_on=D(2026, 12, 31), reason="  ", by=commission_admin)
        with pytest.raises(AcceptanceError, match="新的结束日期须晚于现在的结束日期2021年12月31日"):
            round_extend(
                round=round_, closes_on=D(2021, 12, 30), reason="补验", by=commission_admin, today=D(2021, 12, 1)
            )
        with pytest.raises(AcceptanceError, match="2022年1月15日已经过去"):
            round_extend(
                round=round_, closes_on=D(2022, 1, 15), reason="补验", by=commission_admin, today=D(2022, 2, 1)
            )
        assert not RoundExtension.objects.exists()
        with pytest.raises(RoundClosed):
            answer_save(
                inspection=inspection, item_number=16, result="meets", note="", by=inspector, today=D(2022, 1, 20)
            )

        extension = round_extend(
            round=round_,
            closes_on=D(2022, 1, 31),
            reason="受疫情影响，部分社区未能按期验收",
            by=commission_admin,
            today=D(2022, 1, 10),
        )
    round_.refresh_from_db()
    assert round_.closes_on == D(2022, 1, 31)
    assert (extension.previous_closes_on, extension.closes_on, extension.extended_by) == (
        D(2021, 12, 31),
        D(2022, 1, 31),
        commission_admin,
    )
    entry = AuditEntry.objects.filter(object_id=str(round_.pk), changes__has_key="closes_on").get()
    assert entry.actor == commission_admin and entry.changes["closes_on"] == ["2021-12-31", "2022-01-31"]
    assert entry.note == "受疫情影响，部分社区未能按期验收"
    answer_save(inspection=inspection, item_number=16, result="meets", note="", by=inspector, today=D(2022, 1, 20))
    assert inspection.answers.count() == 16
    with pytest.raises(RoundClosed, match="2022年1月31日"), translation.override("zh-hans"):
        inspection_sign(inspection=inspection, by=inspector, today=D(2022, 2, 1))
