"""The inspector's pages: who may open, answer, photograph and sign; what the JSON says; what signing freezes."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from districts.models import AuditEntry, Community
from standards.acceptance import answer_save, assignments_create, inspection_start, round_create, team_create
from standards.evidence import evidence_add
from standards.models import Evidence, Inspection, InspectionAnswer, Rectification, StandardItem

pytestmark = pytest.mark.django_db
D = datetime.date
OWN_STREET = "120101001"


def png(name: str = "现场.png", colour: str = "green") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def community():
    return Community.objects.filter(street__code=OWN_STREET).order_by("code").first()


@pytest.fixture
def round_(commission_admin):
    return round_create(
        name="2021年度验收",
        year=2021,
        opens_on=D(2021, 10, 1),
        closes_on=D(2099, 12, 31),
        notice_days=7,
        by=commission_admin,
    )


@pytest.fixture
def assignment(round_, community, inspector, commission_admin):
    team = team_create(round=round_, name="第一组", members=[inspector], by=commission_admin)
    (assigned,) = assignments_create(round=round_, communities=[community], team=team, by=commission_admin)
    return assigned


@pytest.fixture
def inspection(assignment, inspector):
    return inspection_start(assignment=assignment, by=inspector)


@pytest.fixture
def outsider(make_user):
    """An inspector on no team for this community."""
    return make_user("inspector-2", "inspector")


def answer_all(inspection, by, *, fail=(), skip=()):
    for n in range(1, 17):
        if n in skip:
            continue
        failing = n in fail
        answer_save(
            inspection=inspection,
            item_number=n,
            result="fails" if failing else "meets",
            note="未设置垃圾分类投放点" if failing else "",
            by=by,
        )


def opened(client, url: str) -> int:
    """The status of a file download; a served file is read to the end, which closes it."""
    response = client.get(url)
    if response.status_code == 200:
        assert b"".join(response.streaming_content)[:4] == b"RIFF"
    return response.status_code


def urls(assignment, inspection) -> dict[str, tuple[str, str]]:
    return {
        "checklist": ("get", f"/inspect/{assignment.pk}/"),
        "answer": ("post", f"/inspect/answer/{inspection.pk}/"),
        "photo": ("post", f"/inspect/photo/{inspection.pk}/"),
        "sign": ("post", f"/inspect/sign/{inspection.pk}/"),
        "sign page": ("get", f"/inspect/sign/{inspection.pk}/"),
        "record": ("get", f"/acceptance/inspections/{inspection.pk}/"),
    }


def test_an_inspector_not_on_the_team_gets_404_on_every_page(client_for, outsider, assignment, inspection, media):
    client = client_for(outsider)
    for name, (method, url) in urls(assignment, inspection).items():
        data = {"item": "1", "result": "meets", "note": "", "confirm": "1", "file": png()}
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 404, name
    assert not inspection.answers.exists() and not Evidence.objects.exists()
    assert "没有需要验收的社区" in client.get("/inspect/").content.decode()


def test_district_staff_read_the_record_but_cannot_answer_or_sign(client_for, heping_staff, assignment, inspection):
    answer_save(inspection=inspection, item_number=1, result="meets", note="", by=inspection.started_by)
    client = client_for(heping_staff)
    assert client.post(f"/inspect/answer/{inspection.pk}/", {"item": "2", "result": "meets"}).status_code == 404
    assert client.post(f"/inspect/sign/{inspection.pk}/", {"confirm": "1"}).status_code == 404
    assert client.get(f"/inspect/{assignment.pk}/").status_code == 404
    record = client.get(f"/acceptance/inspections/{inspection.pk}/")
    assert record.status_code == 200
    assert inspection.community.name in record.content.decode() and "验收中，尚未签署" in record.content.decode()
    assert list(inspection.answers.values_list("item__number", flat=True)) == [1]


def test_the_record_is_readable_by_scope_and_hidden_from_other_districts(
    client_for, reviewer, department_staff, heping_street_staff, hexi_staff, inspection
):
    for user in (reviewer, department_staff, heping_street_staff):
        assert client_for(user).get(f"/acceptance/inspections/{inspection.pk}/").status_code == 200, user.username
    assert client_for(hexi_staff).get(f"/acceptance/inspections/{inspection.pk}/").status_code == 404


def test_an_answer_round_trips_as_json_and_repeating_it_changes_nothing(client_for, inspector, inspection):
    client = client_for(inspector)
    url = f"/inspect/answer/{inspection.pk}/"
    response = client.post(url, {"item": "3", "result": "meets", "note": "台账齐全"})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["item"] == 3
    saved_at = datetime.datetime.fromisoformat(body["saved_at"])
    assert saved_at.utcoffset() == datetime.timedelta(hours=8)
    answer = inspection.answers.get()
    assert (answer.item.number, answer.result, answer.note, answer.answered_by) == (3, "meets", "台账齐全", inspector)
    trail = AuditEntry.objects.filter(object_id=str(inspection.pk), content_type__model="inspection").count()

    again = client.post(url, {"item": "3", "result": "meets", "note": "台账齐全"})
    assert again.status_code == 200 and again.json()["saved_at"] == body["saved_at"]
    assert inspection.answers.count() == 1
    assert AuditEntry.objects.filter(object_id=str(inspection.pk), content_type__model="inspection").count() == trail

    changed = client.post(url, {"item": "3", "result": "not_applicable", "note": ""})
    assert changed.status_code == 400 and changed.json()["error"] == "第3项不能标为不适用。"
    assert inspection.answers.get().result == "meets"


def test_does_not_meet_without_a_note_is_refused_in_chinese(client_for, inspector, inspection):
    response = client_for(inspector).post(f"/inspect/answer/{inspection.pk}/", {"item": "5", "result": "fails"})
    assert response.status_code == 400
    assert response.json() == {"ok": False, "item": 5, "error": "第5项：不达标时请写明存在的问题。"}
    assert not inspection.answers.exists()


@pytest.mark.parametrize(("item", "message"), [("abc", "没有第abc项。"), ("17", "没有第17项。"), ("", "没有第—项。")])
def test_an_unknown_item_is_a_400_not_a_500(client_for, inspector, inspection, item, message):
    response = client_for(inspector).post(f"/inspect/answer/{inspection.pk}/", {"item": item, "result": "meets"})
    assert response.status_code == 400 and response.json()["error"] == message


def test_signing_needs_every_item_and_the_confirm_box(client_for, inspector, inspection):
    client = client_for(inspector)
    url = f"/inspect/sign/{inspection.pk}/"
    answer_all(inspection, inspector, fail={7}, skip={12, 16})

    summary = client.get(url).content.decode()
    assert "尚未填写的检查项" in summary and f"/inspect/{inspection.assignment_id}/#item-12" in summary
    assert "未设置垃圾分类投放点" in summary

    missing = client.post(url, {"confirm": "1"})
    assert missing.status_code == 400 and "签署前请完成全部检查项，尚未填写：第12、16项。" in missing.content.decode()
    answer_all(inspection, inspector, fail={7})
    unconfirmed = client.post(url, {"summary": "总体较好"})
    assert unconfirmed.status_code == 400 and "签署前请勾选确认框" in unconfirmed.content.decode()
    inspection.refresh_from_db()
    assert inspection.status == "open"

    signed = client.post(url, {"confirm": "1", "summary": "总体较好"})
    assert signed.status_code == 302 and signed.url == f"/acceptance/inspections/{inspection.pk}/"
    inspection.refresh_from_db()
    assert inspection.is_signed and inspection.signed_by == inspector and inspection.passed is False
    assert inspection.summary == "总体较好"
    assert list(Rectification.objects.filter(inspection=inspection).values_list("item__number", flat=True)) == [7]


def test_after_signing_answers_photos_and_signing_are_refused(client_for, inspector, inspection, media):
    answer_all(inspection, inspector)
    client = client_for(inspector)
    assert client.post(f"/inspect/sign/{inspection.pk}/", {"confirm": "1"}).status_code == 302
    before = list(inspection.answers.order_by("item__number").values_list("item__number", "result", "note"))

    answer = client.post(f"/inspect/answer/{inspection.pk}/", {"item": "2", "result": "fails", "note": "改"})
    assert answer.status_code == 409 and answer.json()["error"].startswith("该验收记录已签署")
    photo = client.post(f"/inspect/photo/{inspection.pk}/", {"item": "2", "file": png()})
    assert photo.status_code == 409 and "已签署" in photo.json()["error"]
    again = client.post(f"/inspect/sign/{inspection.pk}/", {"confirm": "1", "summary": "重签"})
    assert again.status_code == 409 and "已签署" in again.content.decode()

    inspection.refresh_from_db()
    assert inspection.summary == "" and inspection.passed is True
    assert list(inspection.answers.order_by("item__number").values_list("item__number", "result", "note")) == before
    assert not Evidence.objects.exists()
    # The pages that would change it now lead to the record.
    assert client.get(f"/inspect/{inspection.assignment_id}/").url == f"/acceptance/inspections/{inspection.pk}/"
    assert client.get(f"/inspect/sign/{inspection.pk}/").url == f"/acceptance/inspections/{inspection.pk}/"


def test_the_admin_cannot_change_a_signed_inspection(client_for, commission_admin, inspector, inspection):
    answer_all(inspection, inspector)
    client = client_for(inspector)
    client.post(f"/inspect/sign/{inspection.pk}/", {"confirm": "1"})
    answer = inspection.answers.get(item__number=4)
    admin = client_for(commission_admin)

    page = admin.get(f"/admin/standards/inspectionanswer/{answer.pk}/change/")
    assert page.status_code == 200 and 'name="result"' not in page.content.decode()
    changed = admin.post(
        f"/admin/standards/inspectionanswer/{answer.pk}/change/",
        {"inspection": inspection.pk, "item": answer.item_id, "result": "fails", "note": "改"},
    )
    assert changed.status_code == 403
    assert admin.post(f"/admin/standards/inspection/{inspection.pk}/change/", {"passed": ""}).status_code == 403
    assert admin.post(f"/admin/standards/inspection/{inspection.pk}/delete/", {"post": "yes"}).status_code == 403
    answer.refresh_from_db()
    inspection.refresh_from_db()
    assert answer.result == "meets" and inspection.passed is True and inspection.is_signed


def test_the_admin_adds_assignments_through_the_service(client_for, commission_admin, assignment, round_, community):
    admin = client_for(commission_admin)
    data = {"round": round_.pk, "team": assignment.team_id, "community": community.pk, "kind": "first"}
    refused = admin.post("/admin/standards/assignment/add/", data)
    assert refused.status_code == 200 and "已分配" in refused.content.decode()
    other = Community.objects.filter(street__code=OWN_STREET).order_by("code")[1]
    added = admin.post("/admin/standards/assignment/add/", {**data, "community": other.pk})
    assert added.status_code == 302
    created = round_.assignments.get(community=other)
    assert created.district_id == other.district_id and created.assigned_by == commission_admin
    assert AuditEntry.objects.filter(content_type__model="assignment", object_id=str(created.pk)).count() == 1


def test_the_record_shows_each_answer_note_photo_and_rectification(
    client_for, inspector, heping_staff, inspection, media
):
    client = client_for(inspector)
    uploaded = client.post(f"/inspect/photo/{inspection.pk}/", {"item": "9", "file": png("9号.png")})
    assert uploaded.status_code == 200
    photo = Evidence.objects.get()
    assert uploaded.json() == {
        "ok": True,
        "item": 9,
        "name": "9号.png",
        "url": photo.get_absolute_url(),
        "thumbnail": photo.thumbnail_url,
    }
    assert photo.owner == inspection and photo.item.number == 9 and photo.community_id == inspection.community_id
    answer_all(inspection, inspector, fail={9})
    client.post(f"/inspect/sign/{inspection.pk}/", {"confirm": "1"})

    page = client_for(heping_staff).get(f"/acceptance/inspections/{inspection.pk}/").content.decode()
    assert "已签署：未达到创建标准" in page
    assert "达标15项，不达标1项，不适用0项" in page
    assert page.count('class="answer-row result-meets"') == 15
    assert 'class="answer-row result-fails" data-item="9"' in page
    assert "未设置垃圾分类投放点" in page and photo.thumbnail_url in page
    assert "本次验收产生的整改任务" in page and "待整改" in page
    # The district's staff may open the photo through the scoped file view.
    assert opened(client_for(heping_staff), photo.thumbnail_url) == 200


def test_a_photo_that_is_not_an_image_is_refused_in_chinese(client_for, inspector, inspection, media):
    fake = SimpleUploadedFile("photo.jpg", b"#!/bin/sh\necho hi\n", content_type="image/jpeg")
    response = client_for(inspector).post(f"/inspect/photo/{inspection.pk}/", {"item": "2", "file": fake})
    assert response.status_code == 400 and "不是平台接受的文件类型" in response.json()["error"]
    missing = client_for(inspector).post(f"/inspect/photo/{inspection.pk}/", {"item": "2"})
    assert missing.status_code == 400 and missing.json()["error"] == "请选择要上传的文件。"
    assert not Evidence.objects.exists()


def test_inspectors_see_the_files_of_assigned_communities_once_and_no_others(
    client_for, inspector, outsider, assignment, round_, community, heping_staff, commission_admin, media
):
    evidence = evidence_add(upload=png(), by=heping_staff, community=community)
    # A second team of the same inspector holding the same community (a re-inspection round) must not double it.
    later = round_create(
        name="2022年度验收", year=2022, opens_on=D(2022, 10, 1), closes_on=D(2022, 12, 31), by=commission_admin
    )
    during = D(2022, 10, 10)  # that round has ended since
    team = team_create(round=later, name="第二组", members=[inspector], by=commission_admin, today=during)
    assignments_create(round=later, communities=[community], team=team, by=commission_admin, today=during)
    elsewhere = Community.objects.filter(district__code="120103").order_by("code").first()
    evidence_add(upload=png(), by=commission_admin, community=elsewhere)

    assert list(Evidence.objects.visible_to(inspector)) == [evidence]
    assert not Evidence.objects.visible_to(outsider).exists()
    assert opened(client_for(inspector), evidence.thumbnail_url) == 200
    assert opened(client_for(outsider), evidence.thumbnail_url) == 404


def test_the_checklist_shows_the_items_self_assessment_files_and_saved_answers(
    client_for, inspector, assignment, community, heping_staff, media
):
    from standards.models import SelfAssessment

    SelfAssessment.objects.create(
        community=community,
        district_id=community.district_id,
        period=D(2021, 9, 1),
        stage="creating",
        items={"4": "in_progress"},
        notes={"4": "雨水花园在建"},
    )
    SelfAssessment.objects.create(
        community=community, district_id=community.district_id, period=D(2021, 8, 1), notes={"4": "旧说明"}
    )
    evidence_add(
        upload=png("节水器具.png"), by=heping_staff, community=community, item=StandardItem.objects.get(number=4)
    )
    client = client_for(inspector)
    page = client.get(f"/inspect/{assignment.pk}/").content.decode()
    assert page.count('class="inspect-item card') == 16
    assert "2021年9月：创建中" in page and "雨水花园在建" in page and "旧说明" not in page
    assert "社区自评：推进中" in page and "节水器具.png" in page
    assert 'capture="environment"' in page and f'data-start-url="/inspect/{assignment.pk}/start/"' in page
    assert "不达标时必填" in page and 'data-t-bar-saved="全部已保存"' in page
    # "Not applicable" is offered only where the standard allows it.
    allows = set(StandardItem.objects.filter(allows_not_applicable=True).values_list("number", flat=True))
    assert page.count('value="not_applicable"') == len(allows) > 0

    inspection = inspection_start(assignment=assignment, by=inspector)
    answer_save(inspection=inspection, item_number=2, result="fails", note="缺少节能灯具", by=inspector)
    again = client.get(f"/inspect/{assignment.pk}/").content.decode()
    assert Inspection.objects.filter(assignment=assignment).count() == 1
    assert 'name="result-2" value="fails" checked' in again and "缺少节能灯具</textarea>" in again
    assert f'data-answer-url="/inspect/answer/{inspection.pk}/"' in again


def test_the_checklist_query_count_does_not_grow_with_the_files(
    client_for, inspector, assignment, community, heping_staff, media
):
    client = client_for(inspector)
    url = f"/inspect/{assignment.pk}/"
    inspection = inspection_start(assignment=assignment, by=inspector)
    items = list(StandardItem.objects.order_by("number"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    evidence_add(upload=png(), by=heping_staff, community=community, item=items[0])
    evidence_add(upload=png(), by=inspector, community=community, item=items[1], owner=inspection)
    few = queries()
    for n in range(2, 8):
        evidence_add(upload=png(), by=heping_staff, community=community, item=items[n])
        evidence_add(upload=png(), by=inspector, community=community, item=items[n], owner=inspection)
    evidence_add(upload=png(), by=heping_staff, community=community)
    assert queries() == few


def test_opening_the_checklist_starts_nothing_until_the_first_answer_is_sent(client_for, inspector, assignment):
    """Issue 14 item 2: a GET of the checklist writes nothing; the inspection starts with a POST, once."""
    client = client_for(inspector)
    audited = AuditEntry.objects.count()
    page = client.get(f"/inspect/{assignment.pk}/").content.decode()
    assert not Inspection.objects.exists() and AuditEntry.objects.count() == audited
    assert f'data-start-url="/inspect/{assignment.pk}/start/"' in page and "data-answer-url" not in page
    assert 'id="sign-button" class="big" disabled' in page and "验收从您填写第一项开始" in page
    assert "未开始" in client.get("/inspect/").content.decode()

    started = client.post(f"/inspect/{assignment.pk}/start/")
    inspection = Inspection.objects.get(assignment=assignment)
    assert started.status_code == 200
    assert started.json() == {
        "ok": True,
        "inspection": inspection.pk,
        "answer_url": f"/inspect/answer/{inspection.pk}/",
        "photo_url": f"/inspect/photo/{inspection.pk}/",
        "sign_url": f"/inspect/sign/{inspection.pk}/",
    }
    # A retry after a dropped line is the same inspection.
    assert client.post(f"/inspect/{assignment.pk}/start/").json()["inspection"] == inspection.pk
    assert Inspection.objects.filter(assignment=assignment).count() == 1
    client.post(f"/inspect/answer/{inspection.pk}/", {"item": "1", "result": "meets"})
    assert "验收中，已填 1/16 项" in client.get("/inspect/").content.decode()
    assert client.get(f"/inspect/{assignment.pk}/start/").status_code == 405


def test_the_assignment_list_shows_progress_and_an_empty_state(client, client_for, inspector, inspection, make_user):
    assert client.get("/inspect/").status_code == 302
    answer_save(inspection=inspection, item_number=1, result="meets", note="", by=inspector)
    page = client_for(inspector).get("/inspect/").content.decode()
    assert inspection.community.name in page and inspection.community.code in page
    assert "验收中，已填 1/16 项" in page and "首次验收" in page and "2021年度验收" in page
    assert f'href="/inspect/{inspection.assignment_id}/"' in page
    nobody = make_user("inspector-3", "inspector")
    assert "您目前没有需要验收的社区" in client_for(nobody).get("/inspect/").content.decode()


def test_a_signed_assignment_links_to_its_record(client_for, inspector, inspection):
    answer_all(inspection, inspector)
    client = client_for(inspector)
    client.post(f"/inspect/sign/{inspection.pk}/", {"confirm": "1"})
    page = client.get("/inspect/").content.decode()
    assert "已签署：通过" in page and f'href="/acceptance/inspections/{inspection.pk}/"' in page
    assert InspectionAnswer.objects.filter(inspection=inspection).count() == 16


@pytest.mark.parametrize("item", ["²", "3" * 5000, "-1", "17", ""])
def test_an_item_number_that_is_not_one_of_the_16_is_a_clear_refusal(client_for, inspector, inspection, media, item):
    """ "²" is a digit to str.isdigit() but not to int(); a 5,000-digit number is too long for int()."""
    client = client_for(inspector)
    response = client.post(f"/inspect/answer/{inspection.pk}/", {"item": item, "result": "meets"})
    assert response.status_code == 400 and response.json()["ok"] is False
    photo = client.post(f"/inspect/photo/{inspection.pk}/", {"item": item, "file": png()})
    assert photo.status_code == 400
    assert not inspection.answers.exists()
