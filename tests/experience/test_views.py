"""The experience pages: search by item, district and keyword; who sees drafts; the district's and the commission's
steps through the pages, with refusals shown in Chinese."""

from __future__ import annotations

import re

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.urls import reverse

from districts.models import Community, District
from reporting.experience import services
from reporting.experience.models import ExperienceCase
from standards.models import Evidence, StandardItem

from .conftest import png_upload

pytestmark = pytest.mark.django_db


def _close(response) -> None:
    """Close a streamed file without the end-of-request handler that would close the test's connection."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def _titles(response) -> list[str]:
    return re.findall(r'<span class="assignment-name">([^<]+)</span>', response.content.decode())


@pytest.fixture
def library(published_case, make_case, hexi_staff, reviewer):
    """Three published cases (two in 和平区, one in 河西区) and a 和平区 draft."""
    hexi = District.objects.get(code="120103")
    hexi_community = Community.objects.filter(district=hexi).first()
    published_case("垃圾分类积分兑换", items=(12,), measures="设立积分兑换点，居民分类投放得积分。")
    published_case("雨水花园", items=(6, 9))
    hexi_case = make_case(
        "老旧小区加装电梯",
        items=(6,),
        measures="居民协商分摊费用。",
        district=hexi,
        communities=[hexi_community],
        by=hexi_staff,
    )
    services.case_submit(case=hexi_case, by=hexi_staff)
    services.case_publish(case=hexi_case, by=reviewer)
    make_case("未提交的草稿", items=(6,))


def test_search_by_item_district_and_keyword(client_for, heping_street_staff, library):
    client = client_for(heping_street_staff)
    assert sorted(_titles(client.get("/experience/"))) == sorted(["垃圾分类积分兑换", "雨水花园", "老旧小区加装电梯"])
    assert sorted(_titles(client.get("/experience/?item=6"))) == ["老旧小区加装电梯", "雨水花园"]
    assert _titles(client.get("/experience/?item=6&district=120103")) == ["老旧小区加装电梯"]
    # A keyword is looked for in the title, what was done, the results and the communities' names.
    assert _titles(client.get("/experience/?q=积分兑换点")) == ["垃圾分类积分兑换"]
    assert _titles(client.get("/experience/?q=协商 电梯")) == ["老旧小区加装电梯"]
    response = client.get("/experience/?q=不存在的词")
    assert _titles(response) == [] and "没有符合条件的经验做法" in response.content.decode()


def test_a_draft_is_seen_only_by_its_district_and_the_commission(
    client, library, heping_staff, hexi_staff, reviewer, department_staff, heping_street_staff
):
    draft = ExperienceCase.objects.get(title="未提交的草稿")
    for user, expected in (
        (heping_staff, 200),
        (reviewer, 200),
        (hexi_staff, 404),
        (department_staff, 404),
        (heping_street_staff, 404),
    ):
        client.force_login(user)
        assert client.get(draft.get_absolute_url()).status_code == expected, user
        assert "未提交的草稿" not in _titles(client.get("/experience/?status=all"))
    client.force_login(heping_staff)
    assert "未提交的草稿" in _titles(client.get("/experience/?status=mine"))
    client.force_login(reviewer)
    assert _titles(client.get("/experience/?status=draft")) == ["未提交的草稿"]


def test_a_district_writes_a_case_and_submits_it(client_for, heping_staff, heping_communities):
    client = client_for(heping_staff)
    items = StandardItem.objects.filter(number__in=[3, 5])
    response = client.post(
        "/experience/new/",
        {
            "title": "楼道微更新",
            "communities": [heping_communities[0].pk],
            "items": [i.pk for i in items],
            "measures": "居民议事会商定方案。",
            "results": "",
            "cost": "8000",
        },
    )
    case = ExperienceCase.objects.get(title="楼道微更新")
    assert response.status_code == 302 and response.url == case.get_absolute_url()
    page = client.get(case.get_absolute_url()).content.decode()
    assert heping_communities[0].name in page, page
    assert "8000元" in page and "草稿" in page
    # Without results the submission is refused, in Chinese, on the case page.
    page = client.post(f"/experience/{case.pk}/submit/", follow=True).content.decode()
    assert "请先填写取得成效，再提交" in page
    client.post(f"/experience/{case.pk}/files/", {"file": png_upload(), "caption": "改造后"})
    assert Evidence.objects.filter(owner_id=case.pk, caption="改造后").exists()
    services.case_update(
        case=case,
        title=case.title,
        communities=heping_communities[:1],
        items=items,
        measures=case.measures,
        results="楼道整洁。",
        cost=None,
        by=heping_staff,
    )
    page = client.post(f"/experience/{case.pk}/submit/", follow=True).content.decode()
    assert "经验做法已提交市住房城乡建设委" in page
    assert ExperienceCase.objects.get(pk=case.pk).status == "submitted"
    # Submitted: no more changes, and the edit page says so on saving.
    assert "/edit/" not in page
    page = client.post(
        f"/experience/{case.pk}/edit/",
        {"title": "改", "communities": [heping_communities[0].pk], "items": [items[0].pk], "measures": "改"},
    ).content.decode()
    assert "只有草稿或退回修改时才能修改" in page


def test_a_negative_cost_is_refused_on_the_form(client_for, heping_staff, heping_communities):
    client = client_for(heping_staff)
    page = client.post(
        "/experience/new/",
        {
            "title": "楼道微更新",
            "communities": [heping_communities[0].pk],
            "items": [StandardItem.objects.get(number=1).pk],
            "measures": "做法",
            "cost": "-5",
        },
    ).content.decode()
    assert "投入费用不能为负数" in page and not ExperienceCase.objects.exists()


def test_the_commission_returns_and_publishes_from_the_case_page(
    client_for, make_case, heping_staff, reviewer, onsite_event
):
    case = services.case_submit(case=make_case(), by=heping_staff)
    client = client_for(reviewer)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "退回修改" in page and "发布" in page
    page = client.post(f"/experience/{case.pk}/publish/", {"replicable": "on"}, follow=True).content.decode()
    assert "请勾选以确认发布" in page and ExperienceCase.objects.get(pk=case.pk).status == "submitted"
    client.post(f"/experience/{case.pk}/return/", {"comment": "请补充居民参与情况"})
    assert ExperienceCase.objects.get(pk=case.pk).status == "returned"
    services.case_submit(case=case, by=heping_staff)
    page = client.post(
        f"/experience/{case.pk}/publish/",
        {"confirm": "on", "replicable": "on", "event": onsite_event.pk},
        follow=True,
    ).content.decode()
    assert "经验做法已发布" in page and "可复制可推广" in page and "全市绿色社区创建现场会" in page
    assert "请补充居民参与情况" in page  # the history keeps the returned comments


def test_publishing_a_draft_from_the_page_is_refused(client_for, make_case, reviewer):
    case = make_case()
    page = client_for(reviewer).post(f"/experience/{case.pk}/publish/", {"confirm": "on"}, follow=True)
    assert "该经验做法尚未提交，只有已提交的经验做法才能发布" in page.content.decode()


def test_a_published_case_and_its_photo_are_read_by_a_street_officer(
    client_for, make_case, heping_staff, reviewer, heping_street_staff
):
    case = make_case()
    photo = services.case_file_add(case=case, upload=png_upload(), by=heping_staff)
    client = client_for(heping_street_staff)
    assert client.get(photo.get_absolute_url()).status_code == 404  # a draft's file follows the draft's scope
    services.case_submit(case=case, by=heping_staff)
    services.case_publish(case=case, by=reviewer)
    response = client.get(photo.get_absolute_url())
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    _close(response)
    page = client.get(case.get_absolute_url()).content.decode()
    assert photo.original_name in page and "楼道微更新" in page


def test_the_meetings_page_lists_the_cases_shown(client_for, published_case, reviewer, onsite_event, inspector):
    case = published_case()
    services.case_promote(case=case, replicable=False, event=onsite_event, by=reviewer)
    page = client_for(inspector).get(reverse("experience_events")).content.decode()
    assert "全市绿色社区创建现场会" in page and case.title in page and "2021年9月16日" in page
    assert "登记会议" not in page


def test_the_commission_records_a_meeting_with_communities_by_code(client_for, reviewer, heping_communities):
    client = client_for(reviewer)
    codes = f"{heping_communities[0].code}，{heping_communities[1].code}"
    response = client.post(
        "/experience/events/",
        {
            "kind": "onsite",
            "title": "和平区现场会",
            "held_on": "2021-10-12",
            "host": "和平区人民政府",
            "communities": codes,
            "attendees": "各区分管负责同志",
        },
    )
    assert response.status_code == 302
    page = client.post(
        "/experience/events/",
        {"kind": "onsite", "title": "没有社区", "held_on": "2021-10-12", "host": "和平区", "attendees": "各区"},
    ).content.decode()
    assert "现场会至少观摩一个社区" in page
    page = client.get("/experience/events/").content.decode()
    assert heping_communities[1].name in page


def test_hostile_search_parameters_fall_back_visibly(client_for, heping_street_staff, library):
    client = client_for(heping_street_staff)
    response = client.get("/experience/", {"q": "1' OR '1'='1'; DROP TABLE x; --"})
    assert response.status_code == 200 and _titles(response) == []
    response = client.get("/experience/", {"q": "长" * 51})
    assert "关键词：" in response.content.decode()  # too long: said so, and the search left unfiltered
    response = client.get("/experience/", {"item": "abc", "district": "999999", "page": "99999999999999999999"})
    page = response.content.decode()
    assert response.status_code == 200 and "标准条目：" in page and "区：" in page
    assert len(_titles(response)) == 3  # the filters that could not be read are left out, and the last page shown
    assert ExperienceCase.objects.count() == 4
