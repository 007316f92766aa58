"""Commendation pages: the published list everyone reads, the proposals each unit sees, and the commission's
decisions through the pages."""

from __future__ import annotations

import pytest

from reporting.commendations import services
from reporting.commendations.models import Commendation

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposals(heping_staff, hexi_staff, department_staff, reviewer):
    def propose(by, name, **kw):
        return services.commendation_propose(
            by=by, year=kw.pop("year", 2021), kind=kw.pop("kind", "unit"), name=name, reason=f"{name}的事迹", **kw
        )

    approved = propose(heping_staff, "新华社区居委会")
    services.commendation_approve(commendation=approved, by=reviewer)
    person = propose(department_staff, "王芳", kind="individual", affiliation="和平区新华社区")
    services.commendation_approve(commendation=person, by=reviewer)
    return {
        "approved": approved,
        "person": person,
        "waiting": propose(hexi_staff, "友谊路街道"),
        "own_waiting": propose(heping_staff, "劝业场街道"),
    }


def test_everyone_reads_the_approved_list_and_only_it(client_for, inspector, proposals):
    page = client_for(inspector).get("/commendations/?year=2021").content.decode()
    assert "新华社区居委会" in page and "王芳" in page and "和平区新华社区" in page
    assert "优秀单位" in page and "优秀个人" in page
    assert "友谊路街道" not in page and "劝业场街道" not in page
    assert "推荐表扬对象" not in page  # an inspector proposes nothing


def test_a_district_sees_its_own_proposals_only(client_for, heping_staff, proposals):
    page = client_for(heping_staff).get("/commendations/proposals/").content.decode()
    assert "劝业场街道" in page and "新华社区居委会" in page
    assert "友谊路街道" not in page and "王芳" not in page
    assert "不予通过" not in page  # no decision buttons for a district


def test_the_commission_decides_from_the_proposals_page(client_for, reviewer, proposals):
    client = client_for(reviewer)
    page = client.get("/commendations/proposals/").content.decode()
    assert "友谊路街道" in page and "劝业场街道" in page
    waiting = proposals["waiting"]
    page = client.post(f"/commendations/{waiting.pk}/decline/", {"reason": ""}, follow=True).content.decode()
    assert Commendation.objects.get(pk=waiting.pk).status == "proposed"
    assert "不予通过的理由" in page
    page = client.post(
        f"/commendations/{waiting.pk}/decline/", {"reason": "事迹材料不足"}, follow=True
    ).content.decode()
    assert "未通过：友谊路街道" in page and "事迹材料不足" in page
    client.post(f"/commendations/{proposals['own_waiting'].pk}/approve/")
    page = client.get("/commendations/?year=2021").content.decode()
    assert "劝业场街道" in page and "友谊路街道" not in page
    page = client.post(f"/commendations/{waiting.pk}/approve/", follow=True).content.decode()
    assert "该推荐已审核（未通过），不能再次审核" in page


def test_a_department_proposes_through_the_form(client_for, department_staff):
    client = client_for(department_staff)
    response = client.post(
        "/commendations/new/", {"year": "2022", "kind": "practice", "name": "雨水花园", "reason": "海绵城市示范"}
    )
    assert response.status_code == 302
    proposal = Commendation.objects.get(name="雨水花园")
    assert proposal.department.code == "zjw" and proposal.year == 2022
    page = client.post(
        "/commendations/new/", {"year": "2022", "kind": "practice", "name": "雨水花园", "reason": "再报"}
    ).content.decode()
    assert "已推荐为2022年度表扬对象，不能重复推荐" in page
    page = client.post("/commendations/new/", {"year": "2019", "kind": "unit", "name": "x", "reason": "y"})
    assert "year" in page.context["form"].errors and not Commendation.objects.filter(name="x").exists()
