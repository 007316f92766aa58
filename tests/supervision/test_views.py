"""The supervision pages through the test client: what each reader sees, the forms, and the refusals shown on the
page they came from."""

from __future__ import annotations

import datetime
import re

import pytest

from reporting.figures import rollups
from reporting.models import Campaign
from reporting.supervision import services
from reporting.supervision.models import Finding, RequiredAction, Supervision

from .conftest import district, item, photo

pytestmark = pytest.mark.django_db
D = datetime.date


def _text(response) -> str:
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_a_department_opens_a_directive_through_the_form(client_for, department_staff):
    client = client_for(department_staff)
    page = _text(client.get("/supervision/new/"))
    assert (
        "发起督导" in page and "督办" in page and "和平区" in page and "1. 坚持美好环境与幸福生活共同缔造理念" in page
    )
    community = "120101001001"
    response = client.post(
        "/supervision/new/",
        {
            "kind": "directive",
            "title": "消防通道专项督办",
            "held_on": "2021-06-18",
            "districts": ["120101", "120103"],
            "communities": community,
            "items": ["8"],
            "participants": "城市更新处 王强",
        },
        follow=True,
    )
    supervision = Supervision.objects.get()
    assert response.redirect_chain[-1][0] == f"/supervision/{supervision.pk}/"
    page = _text(response)
    assert (
        "消防通道专项督办" in page and "督办" in page and "2021年6月18日" in page and "由市住房城乡建设委发起" in page
    )
    assert "和平区、河西区" in page and "8. 社区停车秩序规范" in page and "城市更新处 王强" in page
    assert supervision.communities.get().code == community


def test_the_form_says_what_is_wrong_in_chinese(client_for, department_staff):
    response = client_for(department_staff).post(
        "/supervision/new/",
        {"kind": "directive", "title": "督办", "held_on": "2021-06-18", "communities": "12345"},
    )
    page = _text(response)
    assert response.status_code == 200 and not Supervision.objects.exists()
    assert "请至少选择一个督导涉及的区" in page and "社区应以12位区划代码填写" in page


def test_a_community_outside_the_chosen_districts_is_refused_on_the_form(client_for, reviewer):
    response = client_for(reviewer).post(
        "/supervision/new/",
        {
            "kind": "survey",
            "title": "调研",
            "held_on": "2021-06-18",
            "districts": ["120101"],
            "communities": "120103001001",
        },
    )
    assert "以下社区不在所选的区内" in _text(response) and not Supervision.objects.exists()


def test_the_detail_page_shows_findings_photos_and_required_actions(
    client_for, directive, heping_action, department_staff, heping_staff
):
    finding = services.finding_add(
        supervision=directive,
        item=item(8),
        district=district("120101"),
        text="楼间通道被私家车占压",
        upload=photo("占压.png"),
        by=department_staff,
    )
    services.finding_add(
        supervision=directive, item=item(5), district=district("120103"), text="河西区桶站标识不清", by=department_staff
    )
    services.required_action_answer(
        required=heping_action, text="已施划标线", upload=photo("标线.png"), by=heping_staff
    )
    page = _text(client_for(department_staff).get(f"/supervision/{directive.pk}/"))
    assert "楼间通道被私家车占压" in page and "河西区桶站标识不清" in page and "占压.png" in page and "标线.png" in page
    assert "清理占压消防通道车辆" in page and "已答复，待办结" in page and "已施划标线" in page
    assert f'action="/supervision/actions/{heping_action.pk}/close/"' in page
    assert "办结后答复即被认可，督办事项不能再重新打开" in page
    # 和平区 reads its own findings and actions only; the photo's address works for it.
    heping_page = _text(client_for(heping_staff).get(f"/supervision/{directive.pk}/"))
    assert "楼间通道被私家车占压" in heping_page and "河西区桶站标识不清" not in heping_page
    assert "/close/" not in heping_page and "/answer/" not in heping_page  # answered: nothing to do now
    url = re.search(r'href="(/evidence/[0-9a-f-]+/)"[^>]*>占压.png', page).group(1)
    download = client_for(heping_staff).get(url)
    # Read to the end, which closes the file (closing the response would end the test's database connection).
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\x89PNG")
    assert finding.pk in Finding.objects.visible_to(heping_staff).values_list("pk", flat=True)


def test_the_district_answers_on_the_page_and_the_opener_closes_with_confirmation(
    client_for, heping_action, heping_staff, department_staff
):
    client = client_for(heping_staff)
    page = _text(client.get(f"/supervision/{heping_action.supervision_id}/"))
    assert f'action="/supervision/actions/{heping_action.pk}/answer/"' in page
    response = client.post(
        f"/supervision/actions/{heping_action.pk}/answer/", {"text": "已清理车辆", "file": photo()}, follow=True
    )
    assert "答复已报送；市住房城乡建设委将办结或退回" in _messages(response)[0]
    heping_action.refresh_from_db()
    assert heping_action.status == "answered"
    client = client_for(department_staff)
    response = client.post(f"/supervision/actions/{heping_action.pk}/close/", {"note": "到位"}, follow=True)
    assert _messages(response) == ["请勾选以确认办结。"]
    heping_action.refresh_from_db()
    assert heping_action.status == "answered"
    response = client.post(f"/supervision/actions/{heping_action.pk}/close/", {"confirm": "on"}, follow=True)
    assert _messages(response) == ["督办事项已办结。"]
    heping_action.refresh_from_db()
    assert heping_action.status == "closed"
    assert "已办结" in _text(response) and "该督办事项已于" not in _text(response)


def test_sending_back_asks_for_the_reason_and_the_district_sees_it(
    client_for, heping_action, heping_staff, department_staff
):
    services.required_action_answer(required=heping_action, text="已清理", by=heping_staff)
    client = client_for(department_staff)
    response = client.post(f"/supervision/actions/{heping_action.pk}/return/", {"confirm": "on"}, follow=True)
    assert _messages(response) == ["请填写退回的理由。"]
    client.post(f"/supervision/actions/{heping_action.pk}/return/", {"confirm": "on", "reason": "缺少照片"})
    page = _text(client_for(heping_staff).get(f"/supervision/{heping_action.supervision_id}/"))
    assert "已退回：缺少照片" in page and f"/supervision/actions/{heping_action.pk}/answer/" in page


def test_an_answer_without_text_is_refused_on_the_page(client_for, heping_action, heping_staff):
    response = client_for(heping_staff).post(
        f"/supervision/actions/{heping_action.pk}/answer/", {"text": ""}, follow=True
    )
    assert _messages(response) == ["请先写明做了什么再答复。"]
    heping_action.refresh_from_db()
    assert heping_action.status == "open"


def test_a_required_action_with_a_deadline_before_the_visit_is_refused_on_the_page(
    client_for, directive, department_staff
):
    response = client_for(department_staff).post(
        f"/supervision/{directive.pk}/actions/",
        {"district": "120101", "text": "整改", "due_on": "2021-06-01"},
        follow=True,
    )
    assert _messages(response) == ["办理期限2021年6月1日早于督导日期2021年6月18日。"]
    assert not RequiredAction.objects.exists()


def test_the_opener_sets_a_required_action_and_records_a_finding_on_the_page(client_for, directive, department_staff):
    client = client_for(department_staff)
    response = client.post(
        f"/supervision/{directive.pk}/actions/",
        {"district": "120103", "item": "5", "text": "规范桶站设置", "due_on": "2099-01-01"},
        follow=True,
    )
    assert _messages(response) == ["已向河西区提出督办事项。"]
    assert "规范桶站设置" in _text(response) and "2099年1月1日" in _text(response)
    response = client.post(
        f"/supervision/{directive.pk}/findings/",
        {"item": "5", "district": "120103", "text": "桶站标识不清", "file": photo("桶站.png")},
        follow=True,
    )
    assert _messages(response) == ["已记录第5项的问题。"] and "桶站.png" in _text(response)


def test_the_list_filters_by_kind_district_and_overdue(
    client_for, directive, heping_action, reviewer, department_staff
):
    services.supervision_open(
        kind="survey", title="绿化专题调研", held_on=D(2022, 3, 10), districts=[district("120104")], by=reviewer
    )
    client = client_for(reviewer)
    page = _text(client.get("/supervision/"))
    assert "消防通道专项督办" in page and "绿化专题调研" in page and "市住房城乡建设委" in page
    assert "消防通道专项督办" not in _text(client.get("/supervision/?kind=survey"))
    assert "绿化专题调研" not in _text(client.get("/supervision/?district=120101"))
    overdue = _text(client.get("/supervision/?state=overdue"))
    assert "消防通道专项督办" in overdue and "绿化专题调研" not in overdue
    assert "绿化专题调研" not in _text(client.get("/supervision/?year=2021"))
    # A department lists only what it opened.
    mine = _text(client_for(department_staff).get("/supervision/"))
    assert "消防通道专项督办" in mine and "绿化专题调研" not in mine


def test_the_edit_form_is_filled_and_saves(client_for, directive, department_staff):
    client = client_for(department_staff)
    page = _text(client.get(f"/supervision/{directive.pk}/edit/"))
    assert 'value="消防通道专项督办"' in page and 'value="2021-06-18"' in page
    response = client.post(
        f"/supervision/{directive.pk}/edit/",
        {
            "kind": "directive",
            "title": "消防通道督办（修订）",
            "held_on": "2021-06-18",
            "districts": ["120101"],
            "items": ["8"],
        },
        follow=True,
    )
    assert _messages(response) == ["督导记录已保存。"] and "消防通道督办（修订）" in _text(response)


def test_overdue_actions_show_in_the_districts_home_and_the_dashboards_red_flags(
    client_for, heping_action, heping_staff, reviewer
):
    home = _text(client_for(heping_staff).get("/?on=2021-08-10"))
    assert "督导督办事项逾期" in home and "清理占压消防通道车辆" in home and "逾期10天" in home
    assert "督导督办事项逾期" not in _text(client_for(heping_staff).get("/?on=2021-07-31"))
    rollups.rollup_days(campaign=Campaign.objects.current(), days=[D(2021, 8, 10)])
    flags = _text(client_for(reviewer).get("/dashboard/?on=2021-08-10"))
    assert 'id="flag-supervision"' in flags and "和平区·清理占压消防通道车辆" in flags


def test_the_list_takes_as_many_queries_for_many_actions_as_for_one(client_for, reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def opened(n: int) -> None:
        for number in range(n):
            action = services.supervision_open(
                kind="survey",
                title=f"调研{number}",
                held_on=D(2022, 3, 10),
                districts=[district("120101")],
                by=reviewer,
            )
            services.required_action_set(
                supervision=action,
                district=district("120101"),
                text="整改",
                due_on=D(2022, 4, 1),
                by=reviewer,
                on=D(2022, 3, 10),
            )

    client = client_for(reviewer)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/supervision/").status_code == 200
        return len(queries)

    opened(1)
    few = count()
    opened(6)
    assert count() == few
