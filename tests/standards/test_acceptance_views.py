"""The acceptance pages of the commission, the districts and the departments, through the test client.

Rounds, teams, inspections and rectifications are set up through the services, as the portal makes them.
"""

from __future__ import annotations

import datetime
import io
import re
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from districts.models import AuditEntry, Community, District
from standards.acceptance import (
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    objection_record,
    rectification_done,
    reinspection_request,
    round_create,
    team_create,
)
from standards.models import (
    AcceptanceRound,
    Assignment,
    Evidence,
    InspectionTeam,
    Objection,
    Rectification,
    SelfAssessment,
)

pytestmark = pytest.mark.django_db
D = datetime.date
DAY = datetime.timedelta(days=1)
OWN_STREET = "120101001"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture
def world(commission_admin, inspector):
    """A round open today (a round refuses work after its end), one team, three 和平区 communities and one of 河西区."""
    today = timezone.localdate()
    round_ = round_create(
        name="2021年度验收",
        year=2021,
        opens_on=today - 30 * DAY,
        closes_on=today + 30 * DAY,
        notice_days=7,
        by=commission_admin,
    )
    team = team_create(round=round_, name="第一组", members=[inspector], by=commission_admin)
    heping = list(Community.objects.filter(street__code=OWN_STREET).order_by("code")[:3])
    hexi = Community.objects.filter(district__code="120103").order_by("code").first()
    return SimpleNamespace(round=round_, team=team, heping=heping, hexi=hexi)


def inspect(world, community, *, by, fail=(), kind="first", notes=None):
    """Assign, answer all 16 items (failing `fail`) and sign; the signed inspection."""
    (assignment,) = assignments_create(round=world.round, communities=[community], team=world.team, by=by, kind=kind)
    inspection = inspection_start(assignment=assignment, by=by)
    for number in range(1, 17):
        failed = number in fail
        note = (notes or {}).get(number, "缺少分类投放点") if failed else ""
        answer_save(inspection=inspection, item_number=number, result="fails" if failed else "meets", note=note, by=by)
    return inspection_sign(inspection=inspection, by=by)


def text_of(response) -> str:
    """The page's text without tags and with runs of whitespace collapsed, for sentence-level assertions."""
    body = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def png(name="整改后.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 60)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


# --- rounds and teams -----------------------------------------------------------------------------------------


def test_the_commission_sees_each_round_with_its_counts(world, client_for, commission_admin, inspector):
    opens_on, closes_on = timezone.localdate() - 10 * DAY, timezone.localdate() + 10 * DAY
    quick = round_create(name="2022年度验收", year=2022, opens_on=opens_on, closes_on=closes_on, by=commission_admin)
    team = team_create(round=quick, name="快速组", members=[inspector], by=commission_admin)
    passing, failing, waiting = world.heping
    inspect(SimpleNamespace(round=quick, team=team), passing, by=inspector)
    inspect(SimpleNamespace(round=quick, team=team), failing, by=inspector, fail={5})
    assignments_create(round=quick, communities=[waiting], team=team, by=commission_admin)

    response = client_for(commission_admin).get(reverse("acceptance_rounds"))
    assert response.status_code == 200
    rows = {r.name: (r.assigned, r.signed, r.passed, r.met) for r in response.context["rounds"]}
    # No notice in 2022, so the passing community meets the standard at once; 2021 has nothing yet.
    assert rows == {"2022年度验收": (3, 2, 1, 1), "2021年度验收": (0, 0, 0, 0)}
    text = text_of(response)
    assert f"2022年度验收 2022 {chinese_date(opens_on)} – {chinese_date(closes_on)} 0 3 2 1 1" in text
    assert "开启验收批次" in text


def test_only_the_commission_may_open_the_rounds_page(world, client_for, heping_staff, department_staff, inspector):
    for user in (heping_staff, department_staff, inspector):
        client = client_for(user)
        assert client.get(reverse("acceptance_rounds")).status_code == 404
        assert client.get(reverse("acceptance_round", args=[world.round.pk])).status_code == 404
        response = client.post(
            reverse("acceptance_assign", args=[world.round.pk]),
            {"team": world.team.pk, "district": "120101", "kind": "first", "expected": 1},
        )
        assert response.status_code == 404
    assert not Assignment.objects.exists()


def test_a_reviewer_opens_a_round_and_a_wrong_date_is_explained(client_for, reviewer):
    client = client_for(reviewer)
    data = {
        "name": "2023年度验收",
        "year": "2023",
        "opens_on": "2023-12-31",
        "closes_on": "2023-10-01",
        "notice_days": "7",
        "rectification_days": "30",
    }
    response = client.post(reverse("acceptance_rounds"), data)
    assert response.status_code == 400
    assert "验收结束日期不能早于开始日期" in text_of(response)
    response = client.post(reverse("acceptance_rounds"), {**data, "opens_on": "2023-10-01", "closes_on": "2023-12-31"})
    created = AcceptanceRound.objects.get(name="2023年度验收")
    assert response.status_code == 302 and response["Location"] == reverse("acceptance_round", args=[created.pk])
    assert AuditEntry.objects.filter(object_id=str(created.pk), object_repr="2023年度验收").exists()


def test_a_team_takes_only_inspectors_and_department_staff(
    world, client_for, commission_admin, heping_staff, department_staff
):
    client = client_for(commission_admin)
    url = reverse("acceptance_team_create", args=[world.round.pk])
    response = client.post(url, {"name": "第二组", "members": [heping_staff.pk]})
    assert response.status_code == 400
    assert "请从验收人员和市级部门工作人员名单中选择成员" in text_of(response)
    assert not InspectionTeam.objects.filter(name="第二组").exists()
    response = client.post(url, {"name": "第二组", "members": [department_staff.pk]})
    assert response.status_code == 302
    assert list(InspectionTeam.objects.get(name="第二组").members.all()) == [department_staff]
    page = text_of(client.get(reverse("acceptance_round", args=[world.round.pk])))
    assert "第二组" in page and "dept-zjw" in page and "inspector-1" in page


# --- bulk assignment ------------------------------------------------------------------------------------------


def test_bulk_assignment_previews_the_communities_then_creates_exactly_those(world, client_for, commission_admin):
    client = client_for(commission_admin)
    street_codes = set(
        Community.objects.on_roster(timezone.localdate()).filter(street__code=OWN_STREET).values_list("code", flat=True)
    )
    choice = {"team": world.team.pk, "district": "120101", "street": OWN_STREET, "kind": "first"}
    response = client.get(reverse("acceptance_round", args=[world.round.pk]), {**choice, "preview": "1"})
    preview = response.context["preview"]
    assert preview["count"] == len(street_codes) > 1
    assert {c.code for c in preview["communities"]} == street_codes
    assert f"此次选择涵盖{len(street_codes)}个社区，拟分配给第一组" in text_of(response)
    assert not Assignment.objects.exists()  # the preview writes nothing

    response = client.post(
        reverse("acceptance_assign", args=[world.round.pk]), {**choice, "expected": preview["count"]}, follow=True
    )
    assert set(Assignment.objects.values_list("community__code", flat=True)) == street_codes
    assert set(Assignment.objects.values_list("team_id", flat=True)) == {world.team.pk}
    assert f"已将{len(street_codes)}个社区分配给第一组" in text_of(response)
    district_row = next(d for d in response.context["districts"] if d.code == "120101")
    assert district_row.assigned == len(street_codes)


def test_only_communities_whose_latest_self_assessment_meets_are_offered(world, client_for, commission_admin):
    first, second, third = world.heping
    heping = first.district
    # `first` said it meets in March but withdrew in April; `second` says so now; `third` never did.
    for community, period, stage in (
        (first, D(2021, 3, 1), "meets"),
        (first, D(2021, 4, 1), "creating"),
        (second, D(2021, 3, 1), "creating"),
        (second, D(2021, 4, 1), "meets"),
        (third, D(2021, 4, 1), "creating"),
    ):
        SelfAssessment.objects.create(community=community, district=heping, period=period, stage=stage)
    response = client_for(commission_admin).get(
        reverse("acceptance_round", args=[world.round.pk]),
        {"team": world.team.pk, "district": "120101", "only_meets": "on", "kind": "first", "preview": "1"},
    )
    assert [c.code for c in response.context["preview"]["communities"]] == [second.code]


def test_forged_choices_are_refused_with_a_reason_and_nothing_is_created(
    world, client_for, commission_admin, inspector
):
    other_round = round_create(
        name="另一轮", year=2022, opens_on=D(2022, 1, 1), closes_on=D(2022, 2, 1), by=commission_admin
    )
    stray_team = team_create(
        round=other_round, name="他组", members=[inspector], by=commission_admin, today=D(2022, 1, 10)
    )
    client = client_for(commission_admin)
    url = reverse("acceptance_assign", args=[world.round.pk])
    good = {"team": world.team.pk, "district": "120101", "street": OWN_STREET, "kind": "first", "expected": 3}
    for forged, message in (
        ({"street": "120103001"}, "不属于和平区"),
        ({"team": stray_team.pk}, "请选择本批次的验收组"),
        ({"district": "999999"}, "请从列表中选择区"),
        ({"kind": "whatever"}, "请选择首次验收或复验"),
        ({"expected": "0"}, "请先查看涵盖的社区，再确认分配"),
    ):
        response = client.post(url, {**good, **forged})
        assert response.status_code == 400, forged
        assert message in text_of(response), forged
    assert not Assignment.objects.exists()


def test_a_choice_that_changed_since_the_preview_is_shown_again(world, client_for, commission_admin):
    client = client_for(commission_admin)
    choice = {"team": world.team.pk, "district": "120101", "street": OWN_STREET, "kind": "first"}
    count = client.get(reverse("acceptance_round", args=[world.round.pk]), {**choice, "preview": "1"}).context[
        "preview"
    ]["count"]
    assignments_create(round=world.round, communities=[world.heping[0]], team=world.team, by=commission_admin)
    response = client.post(
        reverse("acceptance_assign", args=[world.round.pk]), {**choice, "expected": count}, follow=True
    )
    assert f"所选范围现涵盖{count - 1}个社区，而不是此前显示的{count}个" in text_of(response)
    assert Assignment.objects.count() == 1
    assert response.context["preview"]["count"] == count - 1


# --- rectification and re-inspection --------------------------------------------------------------------------


def test_rectify_with_a_photo_then_ask_for_reinspection_which_the_commission_sees_first(
    world, client_for, commission_admin, inspector, heping_staff
):
    failing, other_failing = world.heping[0], world.heping[1]
    inspect(world, failing, by=inspector, fail={5, 7})
    inspect(world, other_failing, by=inspector, fail={9})
    client = client_for(heping_staff)
    page = client.get(reverse("rectifications"))
    text = text_of(page)
    assert failing.name in text and "缺少分类投放点" in text and "待整改" in text
    assert "请先将各项标记为整改完成；尚未整改：第5、7项" in text
    five, seven = Rectification.objects.filter(community=failing).order_by("item__number")

    response = client.post(reverse("rectification_done", args=[five.pk]), {"note": "已增设分类投放点", "file": png()})
    assert response.status_code == 302
    five.refresh_from_db()
    assert five.status == "done" and five.done_note == "已增设分类投放点"
    (photo,) = Evidence.objects.filter(owner_id=five.pk)
    assert photo.community == failing and photo.item.number == 5 and photo.original_name == "整改后.png"
    client.post(reverse("rectification_done", args=[seven.pk]), {"note": "已清理通道"})

    response = client.post(reverse("reinspection_request", args=[failing.code]), {}, follow=True)
    assert "请勾选确认" in text_of(response)
    assert not Rectification.objects.filter(status="requested").exists()
    response = client.post(reverse("reinspection_request", args=[failing.code]), {"confirm": "on"}, follow=True)
    assert f"已为{failing.name}申请复验（共2项）" in text_of(response)

    commission_page = client_for(commission_admin).get(reverse("rectifications"))
    groups = commission_page.context["groups"]
    assert groups[0].community == failing and groups[0].requested is not None
    assert other_failing in [g.community for g in groups[1:]]
    text = text_of(commission_page)
    assert "安排复验" in text and "整改后.png" in text
    assign_link = f"{reverse('acceptance_round', args=[world.round.pk])}?kind=reinspection&amp;district=120101"
    assert assign_link in commission_page.content.decode()
    # The re-inspection choice now offers exactly that community.
    preview = client_for(commission_admin).get(
        reverse("acceptance_round", args=[world.round.pk]),
        {"team": world.team.pk, "district": "120101", "kind": "reinspection", "preview": "1"},
    )
    assert [c.code for c in preview.context["preview"]["communities"]] == [failing.code]


def test_a_note_is_required_and_reinspection_waits_for_every_item(world, client_for, inspector, heping_staff):
    community = world.heping[0]
    inspect(world, community, by=inspector, fail={5, 7})
    five = Rectification.objects.get(community=community, item__number=5)
    client = client_for(heping_staff)
    response = client.post(reverse("rectification_done", args=[five.pk]), {"note": "  "}, follow=True)
    assert "请写明整改措施" in text_of(response)
    rectification_done(rectification=five, note="已整改", by=heping_staff)
    response = client.post(reverse("reinspection_request", args=[community.code]), {"confirm": "on"}, follow=True)
    assert "请先完成全部整改，尚未完成：第7项" in text_of(response)
    assert not Rectification.objects.filter(status="requested").exists()


def test_a_bad_file_keeps_the_item_open(world, client_for, inspector, heping_staff):
    community = world.heping[0]
    inspect(world, community, by=inspector, fail={5})
    five = Rectification.objects.get(community=community)
    upload = SimpleUploadedFile("照片.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    response = client_for(heping_staff).post(
        reverse("rectification_done", args=[five.pk]), {"note": "已整改", "file": upload}, follow=True
    )
    assert "不是平台接受的文件类型" in text_of(response)
    five.refresh_from_db()
    assert five.status == "open" and not Evidence.objects.exists()


def test_other_districts_and_read_only_roles_cannot_rectify(
    world, client_for, inspector, hexi_staff, heping_street_staff, department_staff, commission_admin
):
    community = world.heping[0]
    inspect(world, community, by=inspector, fail={5})
    five = Rectification.objects.get(community=community)
    done_url = reverse("rectification_done", args=[five.pk])
    request_url = reverse("reinspection_request", args=[community.code])

    hexi = client_for(hexi_staff)
    assert community.name not in text_of(hexi.get(reverse("rectifications")))
    assert hexi.post(done_url, {"note": "越权"}).status_code == 404
    assert hexi.post(request_url, {"confirm": "on"}).status_code == 404
    assert hexi.get(reverse("acceptance_record", args=[community.code])).status_code == 404

    for user in (heping_street_staff, department_staff, commission_admin):
        client = client_for(user)
        page = client.get(reverse("rectifications"))
        assert page.status_code == 200 and "缺少分类投放点" in text_of(page)
        assert done_url not in page.content.decode()  # read-only: no form
        assert client.post(done_url, {"note": "越权"}).status_code == 403
        assert client.post(request_url, {"confirm": "on"}).status_code == 403
    assert client_for(inspector).get(reverse("rectifications")).status_code == 404
    five.refresh_from_db()
    assert five.status == "open"


def test_the_commission_filters_rectifications_by_district_and_status(
    world, client_for, commission_admin, inspector, hexi_staff, heping_staff
):
    inspect(world, world.heping[0], by=inspector, fail={5})
    inspect(world, world.hexi, by=inspector, fail={6})
    client = client_for(commission_admin)
    both = {g.community for g in client.get(reverse("rectifications")).context["groups"]}
    assert both == {world.heping[0], world.hexi}
    only_hexi = client.get(reverse("rectifications"), {"district": "120103"}).context["groups"]
    assert [g.community for g in only_hexi] == [world.hexi]
    rectification_done(rectification=Rectification.objects.get(community=world.hexi), note="完成", by=hexi_staff)
    done = client.get(reverse("rectifications"), {"status": "done"}).context["groups"]
    assert [g.community for g in done] == [world.hexi]
    assert client.get(reverse("rectifications"), {"district": "999999"}).status_code == 404


# --- the acceptance record, notice and objections ------------------------------------------------------------


def test_the_record_states_where_a_community_stands_on_any_day(
    world, client_for, commission_admin, inspector, heping_staff
):
    community = world.heping[0]
    url = reverse("acceptance_record", args=[community.code])
    client = client_for(heping_staff)
    assert "待验收" in text_of(client.get(url))

    first = inspect(world, community, by=inspector, fail={5})
    page = client.get(url)
    text = text_of(page)
    assert "未通过，整改中" in text and "第一组" in text and "inspector-1" in text
    assert "缺少分类投放点" in text and reverse("inspection_record", args=[first.pk]) in page.content.decode()
    assert 'href="/static/css/print.css" media="print"' in page.content.decode()

    rectification_done(rectification=Rectification.objects.get(community=community), note="已整改", by=heping_staff)
    reinspection_request(community=community, by=heping_staff)
    second = inspect(world, community, by=inspector, kind="reinspection")
    ends = second.notice_ends_on
    text = text_of(client.get(url))
    assert f"公示中，至{ends.year}年{ends.month}月{ends.day}日" in text
    assert "已复验" in text  # the first inspection's rectification, closed by the re-inspection
    assert "公示中" in text_of(client.get(url, {"on": (ends - DAY).isoformat()}))
    assert "达到创建要求" in text_of(client.get(url, {"on": ends.isoformat()}))
    # Before the first inspection was signed it was still waiting.
    assert "待验收" in text_of(client.get(url, {"on": (first.signed_on - DAY).isoformat()}))


def test_a_pending_objection_holds_back_met_until_it_is_dismissed(world, client_for, commission_admin, inspector):
    community = world.heping[0]
    inspection = inspect(world, community, by=inspector)
    url = reverse("acceptance_record", args=[community.code])
    later = {"on": (inspection.notice_ends_on + 30 * DAY).isoformat()}
    client = client_for(commission_admin)
    assert "达到创建要求" in text_of(client.get(url, later))

    response = client.post(
        reverse("objection_create", args=[inspection.pk]),
        {"received_on": inspection.signed_on.isoformat(), "raised_by": "居民王某", "text": "垃圾分类点未开放"},
        follow=True,
    )
    assert "异议已登记" in text_of(response)
    objection = Objection.objects.get(inspection=inspection)
    assert "有异议待处理" in text_of(client.get(url, later))

    decide = reverse("objection_decide", args=[objection.pk])
    response = client.post(decide, {"decision": "dismissed", "note": "经核实已开放"}, follow=True)
    assert "请勾选确认" in text_of(response)
    objection.refresh_from_db()
    assert objection.decision == "pending"
    client.post(decide, {"decision": "dismissed", "note": "经核实已开放", "confirm": "on"})
    objection.refresh_from_db()
    assert objection.decision == "dismissed"
    text = text_of(client.get(url, later))
    assert "达到创建要求" in text and "经核实已开放" in text and "居民王某" in text


def test_an_objection_outside_the_notice_is_refused_and_an_upheld_one_means_not_met(
    world, client_for, commission_admin, inspector
):
    community = world.heping[0]
    inspection = inspect(world, community, by=inspector)
    client = client_for(commission_admin)
    response = client.post(
        reverse("objection_create", args=[inspection.pk]),
        {"received_on": (inspection.notice_ends_on + DAY).isoformat(), "text": "晚了"},
        follow=True,
    )
    assert "异议须在公示期内收到" in text_of(response)
    assert not Objection.objects.exists()
    objection = objection_record(
        inspection=inspection, received_on=inspection.signed_on, text="虚报", by=commission_admin
    )
    client.post(
        reverse("objection_decide", args=[objection.pk]), {"decision": "upheld", "note": "情况属实", "confirm": "on"}
    )
    later = {"on": (inspection.notice_ends_on + 30 * DAY).isoformat()}
    assert "异议成立，未达到创建要求" in text_of(client.get(reverse("acceptance_record", args=[community.code]), later))


def test_only_the_commission_records_and_decides_objections(
    world, client_for, commission_admin, inspector, heping_staff, hexi_staff, department_staff, heping_street_staff
):
    inspection = inspect(world, world.heping[0], by=inspector)
    objection = objection_record(
        inspection=inspection, received_on=inspection.signed_on, text="待核实", by=commission_admin
    )
    create = reverse("objection_create", args=[inspection.pk])
    decide = reverse("objection_decide", args=[objection.pk])
    data = {"decision": "upheld", "note": "越权", "confirm": "on", "received_on": inspection.signed_on, "text": "x"}
    for user, status in (
        (heping_staff, 403),
        (heping_street_staff, 403),
        (department_staff, 403),
        (inspector, 403),
        (hexi_staff, 404),
    ):
        client = client_for(user)
        assert client.post(create, data).status_code == status, user
        assert client.post(decide, data).status_code == status, user
    objection.refresh_from_db()
    assert objection.decision == "pending" and Objection.objects.count() == 1
    record = client_for(heping_staff).get(reverse("acceptance_record", args=[world.heping[0].code]))
    assert decide not in record.content.decode() and create not in record.content.decode()


def test_an_inspector_reads_a_record_only_when_assigned(world, client_for, commission_admin, make_user):
    assigned = make_user("inspector-2", "inspector")
    world.team.members.add(assigned)
    outsider = make_user("inspector-3", "inspector")
    community = world.heping[0]
    assignments_create(round=world.round, communities=[community], team=world.team, by=commission_admin)
    url = reverse("acceptance_record", args=[community.code])
    assert "待验收" in text_of(client_for(assigned).get(url))
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(assigned).get(reverse("acceptance_record", args=[world.heping[1].code])).status_code == 404


def test_notes_and_objections_are_shown_as_text_not_markup(
    world, client_for, commission_admin, inspector, heping_staff
):
    community = world.heping[0]
    inspect(world, community, by=inspector, fail={5}, notes={5: f"缺少{SCRIPT}"})
    rectification_done(rectification=Rectification.objects.get(community=community), note=SCRIPT, by=heping_staff)
    reinspection_request(community=community, by=heping_staff)
    second = inspect(world, community, by=inspector, kind="reinspection")
    objection_record(
        inspection=second, received_on=second.signed_on, text=SCRIPT, raised_by=SCRIPT, by=commission_admin
    )
    for page in (
        client_for(commission_admin).get(reverse("acceptance_record", args=[community.code])),
        client_for(commission_admin).get(reverse("rectifications"), {"status": "all"}),
    ):
        body = page.content.decode()
        assert SCRIPT not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# --- item pass rates ------------------------------------------------------------------------------------------


@pytest.fixture
def inspected(world, inspector):
    """Two 和平区 communities and one 河西区 community inspected: item 5 fails in one of 和平区's."""
    inspect(world, world.heping[0], by=inspector, fail={5})
    inspect(world, world.heping[1], by=inspector)
    inspect(world, world.hexi, by=inspector, fail={5, 1})
    return world


def _row(rows, code):
    return next(r for r in rows if r.unit.code == code)


def test_a_department_sees_the_pass_rates_of_its_own_items(inspected, client_for, department_staff):
    response = client_for(department_staff).get(reverse("acceptance_items"))
    items = [item.number for item in response.context["items"]]
    # 市住房城乡建设委 answers for categories 2, 4 and 5.
    assert items == [4, 5, 6, 11, 12, 13, 14, 15, 16]
    heping = _row(response.context["district_rows"], "120101")
    five = {item.number: rate for item, rate in heping.cells}[5]
    assert (five.meets, five.fails, five.percent) == (1, 1, 50)
    assert heping.communities == 2
    text = text_of(response)
    assert "市住房城乡建设委" in text and "50% 1/2" in text
    assert "建设了智能化安防系统" in text and "搭建沟通议事平台" not in text  # item 2 is not theirs
    # Asking for another department changes nothing.
    again = client_for(department_staff).get(reverse("acceptance_items"), {"department": "mzj"})
    assert [item.number for item in again.context["items"]] == items


def test_rates_follow_the_date_and_streets_of_a_chosen_district(inspected, client_for, commission_admin):
    client = client_for(commission_admin)
    response = client.get(reverse("acceptance_items"), {"district": "120101"})
    assert len(response.context["items"]) == 16
    street = _row(response.context["street_rows"], OWN_STREET)
    one = {item.number: rate for item, rate in street.cells}[1]
    assert one.percent == 100 and street.total.fails == 1
    assert "分街道（乡镇）统计：和平区" in text_of(response)
    yesterday = client.get(reverse("acceptance_items"), {"on": (timezone.localdate() - DAY).isoformat()})
    assert all(row.total.answered == 0 for row in yesterday.context["district_rows"])
    mzj = client.get(reverse("acceptance_items"), {"department": "mzj"})
    assert [item.number for item in mzj.context["items"]] == [1, 2, 3, 7, 8, 9, 10]


def test_the_total_row_counts_every_districts_latest_inspection(
    inspected, client_for, commission_admin, inspector, heping_staff
):
    """The city's total row: each community's latest signed inspection only (a re-inspection replaces the failed
    one), whatever page of districts is shown, for the department's items alone when one is chosen."""
    community = inspected.heping[0]
    rectification_done(rectification=Rectification.objects.get(community=community), note="已整改", by=heping_staff)
    reinspection_request(community=community, by=heping_staff)
    inspect(inspected, community, by=inspector, kind="reinspection", fail={7})
    client = client_for(commission_admin)
    total = client.get(reverse("acceptance_items")).context["district_total"]
    rates = {item.number: (rate.meets, rate.fails) for item, rate in total.cells}
    # 和平区: the re-inspection fails item 7 (not 5 any more), the other passes; 河西区 fails items 1 and 5.
    assert rates == {n: {1: (2, 1), 5: (2, 1), 7: (2, 1)}.get(n, (3, 0)) for n in range(1, 17)}
    assert total.communities == 3 and (total.total.meets, total.total.fails) == (45, 3)
    mzj = client.get(reverse("acceptance_items"), {"department": "mzj"}).context["district_total"]
    assert {item.number: (rate.meets, rate.fails) for item, rate in mzj.cells} == {
        1: (2, 1),
        2: (3, 0),
        3: (3, 0),
        7: (2, 1),
        8: (3, 0),
        9: (3, 0),
        10: (3, 0),
    }
    assert mzj.communities == 3
    before = client.get(reverse("acceptance_items"), {"on": (timezone.localdate() - DAY).isoformat()})
    assert before.context["district_total"].communities == 0
    assert before.context["district_total"].total.answered == 0


def test_district_staff_see_only_their_district_and_inspectors_nothing(
    inspected, client_for, hexi_staff, inspector, heping_street_staff
):
    assert client_for(hexi_staff).get(reverse("acceptance_items"), {"district": "120101"}).status_code == 404
    response = client_for(hexi_staff).get(reverse("acceptance_items"))
    assert [row.unit.code for row in response.context["district_rows"]] == ["120103"]
    assert response.context["chosen"].code == "120103"
    assert "和平区" not in text_of(response)
    assert client_for(inspector).get(reverse("acceptance_items")).status_code == 404
    assert client_for(heping_street_staff).get(reverse("acceptance_items")).status_code == 404


def test_the_rate_tables_take_the_same_queries_however_many_communities(world, client_for, commission_admin, inspector):
    client = client_for(commission_admin)
    url = reverse("acceptance_items")

    def queries() -> int:
        client.get(url, {"district": "120101"})  # warm the session and content types
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"district": "120101"}).status_code == 200
        return len(captured)

    inspect(world, world.heping[0], by=inspector, fail={3})
    few = queries()
    inspect(world, world.heping[1], by=inspector)
    inspect(world, world.heping[2], by=inspector, fail={4})
    inspect(world, world.hexi, by=inspector)
    assert queries() == few


def test_district_table_of_a_round_counts_from_the_latest_inspection(
    world, client_for, commission_admin, inspector, heping_staff
):
    community = world.heping[0]
    inspect(world, community, by=inspector, fail={5})
    inspect(world, world.heping[1], by=inspector, fail={6})
    rectification_done(rectification=Rectification.objects.get(community=community), note="已整改", by=heping_staff)
    reinspection_request(community=community, by=heping_staff)
    inspect(world, community, by=inspector, kind="reinspection")
    response = client_for(commission_admin).get(reverse("acceptance_round", args=[world.round.pk]))
    heping = next(d for d in response.context["districts"] if d.code == "120101")
    assert (heping.assigned, heping.inspected, heping.passed, heping.failed, heping.to_rectify) == (2, 2, 1, 1, 1)
    hexi = next(d for d in response.context["districts"] if d.code == "120103")
    assert (hexi.assigned, hexi.inspected) == (0, 0)
    assert District.objects.count() == len(response.context["districts"])


# --- a round that has ended (issue 14 item 3) -------------------------------------------------------------------


@pytest.fixture
def ended(commission_admin, inspector):
    """A round that ended yesterday, with what was done while it was open: an assignment not started, an open
    inspection with three answers, and a failed, signed one whose item 5 is to rectify."""
    yesterday = timezone.localdate() - DAY
    round_ = round_create(
        name="2026年度验收", year=2026, opens_on=yesterday - 60 * DAY, closes_on=yesterday, by=commission_admin
    )
    team = team_create(round=round_, name="第一组", members=[inspector], by=commission_admin, today=yesterday)
    communities = list(Community.objects.filter(street__code=OWN_STREET).order_by("code")[:3])
    waiting, started, failing = assignments_create(
        round=round_, communities=communities, team=team, by=commission_admin, today=yesterday
    )
    inspection = inspection_start(assignment=started, by=inspector, today=yesterday)
    for number in (1, 2, 3):
        answer_save(inspection=inspection, item_number=number, result="meets", note="", by=inspector, today=yesterday)
    failed = inspection_start(assignment=failing, by=inspector, today=yesterday)
    for number in range(1, 17):
        fails = number == 5
        answer_save(
            inspection=failed,
            item_number=number,
            result="fails" if fails else "meets",
            note="缺少分类投放点" if fails else "",
            by=inspector,
            today=yesterday,
        )
    signed_at = timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(15)))
    failed = inspection_sign(inspection=failed, by=inspector, signed_at=signed_at)
    message = f"本轮验收已于{chinese_date(yesterday)}结束。"
    return SimpleNamespace(
        round=round_, team=team, waiting=waiting, inspection=inspection, failed=failed, message=message
    )


def test_the_checklist_of_an_ended_round_says_so_and_takes_no_answer_photo_or_signature(ended, client_for, inspector):
    """Issue 14 item 3: the inspector sees the round has ended; the page offers nothing and the server refuses."""
    client = client_for(inspector)
    audited = AuditEntry.objects.count()
    listing = text_of(client.get(reverse("inspection_assignments")))
    assert listing.count(ended.message) == 2 and "验收中，已填 3/16 项" in listing
    page = client.get(reverse("inspection_checklist", args=[ended.inspection.assignment_id]))
    text = text_of(page)
    assert ended.message in text and "不再接受填报、照片和签署" in text
    html = page.content.decode()
    assert html.count('class="inspect-item card') == html.count(" disabled>") == 16
    assert "checklist.js" not in html and 'id="sign-button"' not in html

    start = client.post(reverse("inspection_start", args=[ended.waiting.pk]))
    assert start.status_code == 409 and start.json() == {"ok": False, "item": None, "error": ended.message}
    answer = client.post(reverse("inspection_answer", args=[ended.inspection.pk]), {"item": "4", "result": "meets"})
    assert answer.status_code == 409 and answer.json()["error"] == ended.message
    photo = client.post(reverse("inspection_photo", args=[ended.inspection.pk]), {"item": "4", "file": png()})
    assert photo.status_code == 409 and photo.json()["error"] == ended.message
    sign_page = client.get(reverse("inspection_sign", args=[ended.inspection.pk]))
    assert ended.message in text_of(sign_page) and 'id="confirm-sign"' not in sign_page.content.decode()
    signed = client.post(reverse("inspection_sign", args=[ended.inspection.pk]), {"confirm": "1"})
    assert signed.status_code == 409 and ended.message in text_of(signed)

    ended.inspection.refresh_from_db()
    assert ended.inspection.status == "open" and ended.inspection.answers.count() == 3
    assert not Evidence.objects.exists() and not ended.waiting.inspections.exists()
    assert AuditEntry.objects.count() == audited


def test_an_ended_rounds_rectifications_can_no_longer_be_marked_or_sent_for_reinspection(
    ended, client_for, heping_staff
):
    """Issue 14 item 3: rectification is the round's work too; after its end the district is told, not offered."""
    client = client_for(heping_staff)
    five = ended.failed.rectifications.get()
    page = client.get(reverse("rectifications"))
    assert ended.message in text_of(page)
    assert 'class="rectification-done"' not in page.content.decode()
    assert f'action="{reverse("reinspection_request", args=[five.community.code])}"' not in page.content.decode()

    response = client.post(
        reverse("rectification_done", args=[five.pk]), {"note": "已整改", "file": png()}, follow=True
    )
    assert messages_of(response) == [ended.message]
    five.refresh_from_db()
    assert five.status == "open" and not Evidence.objects.exists()
    response = client.post(reverse("reinspection_request", args=[five.community.code]), {"confirm": "on"}, follow=True)
    assert messages_of(response) == [ended.message]


def test_an_ended_round_page_says_so_and_takes_no_team_or_assignment(ended, client_for, commission_admin, inspector):
    """Issue 14 item 3: the commission sees the round has ended; forming teams and assigning are refused."""
    client = client_for(commission_admin)
    page = client.get(reverse("acceptance_round", args=[ended.round.pk]))
    text, html = text_of(page), page.content.decode()
    assert ended.message in text and "已结束" in text
    assert 'id="team-form"' not in html and 'name="preview"' not in html
    assert reverse("acceptance_round_extend", args=[ended.round.pk]) in html

    response = client.post(
        reverse("acceptance_team_create", args=[ended.round.pk]), {"name": "第二组", "members": [inspector.pk]}
    )
    assert response.status_code == 400 and ended.message in text_of(response)
    other = Community.objects.filter(street__code=OWN_STREET).order_by("code")[3]
    response = client.post(
        reverse("acceptance_assign", args=[ended.round.pk]),
        {"team": ended.team.pk, "district": "120101", "street": OWN_STREET, "kind": "first", "expected": 1},
        follow=True,
    )
    assert messages_of(response) == [ended.message]
    assert not InspectionTeam.objects.filter(name="第二组").exists()
    assert not Assignment.objects.filter(community=other).exists()


def test_the_commission_admin_extends_an_ended_round_with_a_reason_after_confirming(
    ended, client_for, commission_admin, reviewer, heping_staff, inspector
):
    """Issue 14 item 3: extending takes a new end date, a reason and a tick; it is audited and shown on the round;
    a reviewer may not, a district never sees it; afterwards the inspector can answer again."""
    url = reverse("acceptance_round_extend", args=[ended.round.pk])
    new_end = timezone.localdate() + 14 * DAY
    good = {"closes_on": new_end.isoformat(), "reason": "部分社区因施工未能按期验收", "confirm": "on"}
    assert url not in client_for(reviewer).get(reverse("acceptance_round", args=[ended.round.pk])).content.decode()
    assert client_for(reviewer).post(url, good).status_code == 403
    assert client_for(heping_staff).post(url, good).status_code == 404

    client = client_for(commission_admin)
    for bad, message in (
        ({"confirm": ""}, "请勾选确认延长。"),
        ({"reason": " "}, "请填写延长的理由。"),
        ({"closes_on": "2026-02-30"}, "输入一个有效的日期。"),
        ({"closes_on": ended.round.closes_on.isoformat()}, "新的结束日期须晚于现在的结束日期"),
    ):
        response = client.post(url, {**good, **bad})
        assert response.status_code == 400, bad
        assert message in text_of(response), bad
    ended.round.refresh_from_db()
    assert ended.round.closes_on == timezone.localdate() - DAY

    response = client.post(url, good, follow=True)
    assert f"本轮验收已延长，现于{chinese_date(new_end)}结束。" in messages_of(response)
    text = text_of(response)
    assert "延长记录" in text and "部分社区因施工未能按期验收" in text and ended.message not in text
    assert f"结束日期由{chinese_date(timezone.localdate() - DAY)}延至{chinese_date(new_end)}" in text
    entry = AuditEntry.objects.get(object_id=str(ended.round.pk), changes__has_key="closes_on")
    assert entry.actor == commission_admin and entry.note == "部分社区因施工未能按期验收"

    answer = client_for(inspector).post(
        reverse("inspection_answer", args=[ended.inspection.pk]), {"item": "4", "result": "meets"}
    )
    assert answer.status_code == 200 and ended.inspection.answers.count() == 4
