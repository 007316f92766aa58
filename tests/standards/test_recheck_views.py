"""The commission's re-check and revocation pages: opening a round shows its seed and list, bad input is refused in
Chinese with nothing written, revoking asks for a confirmation and shows on the community's record."""

from __future__ import annotations

import datetime

import pytest

from districts.models import Community, District
from standards.models import AcceptanceRound, RecheckSelection, Revocation
from standards.recheck import Quota
from tests.standards.test_recheck import HEPING, HEXI, accept_world, inspect, open_recheck

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def accepted(commission_admin, inspector):
    return accept_world(commission_admin, inspector)


def _round_form(**extra: str) -> dict[str, str]:
    return {
        "name": "2023年度复查",
        "year": "2023",
        "opens_on": "2023-03-01",
        "closes_on": "2023-12-31",
        "rectification_days": "30",
        "named": "",
        **extra,
    }


def test_the_commission_opens_a_recheck_round_and_its_page_shows_the_seed_and_the_list(
    accepted, commission_admin, client_for
):
    client = client_for(commission_admin)
    page = client.get("/acceptance/rechecks/new/").content.decode()
    assert "开启复查" in page and "和平区" in page
    named = accepted["hexi"][0]
    response = client.post(
        "/acceptance/rechecks/new/", _round_form(**{f"number_{HEPING}": "2", "named": named.code}), follow=True
    )
    round_ = AcceptanceRound.objects.get(kind=AcceptanceRound.Kind.RECHECK)
    page = response.content.decode()
    assert round_.draw_seed in page and "用此种子重复抽取，结果相同" in page
    drawn = round_.selections.filter(reason=RecheckSelection.Reason.DRAWN)
    assert drawn.count() == 2
    for selection in round_.selections.select_related("community"):
        assert selection.community.name in page
    assert "随机抽取" in page and "点名增加" in page


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({f"share_{HEPING}": "150"}, "小于或等于"),
        ({f"share_{HEPING}": "10", f"number_{HEPING}": "1"}, "二者选一"),
        ({"named": "12010100100X"}, "不是社区的12位区划代码"),
        ({"named": "120101999999"}, "没有区划代码为"),
        ({"opens_on": "2023-12-31", "closes_on": "2023-01-01", f"number_{HEPING}": "1"}, "结束日期"),
        ({}, "比例或数量"),
    ],
    ids=["share above 100", "share and number", "not a code", "unknown code", "dates reversed", "nothing to draw"],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(accepted, commission_admin, client_for, extra, message):
    response = client_for(commission_admin).post("/acceptance/rechecks/new/", _round_form(**extra))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AcceptanceRound.objects.filter(kind=AcceptanceRound.Kind.RECHECK).exists()


def test_only_the_commission_administrator_opens_rechecks_and_revokes(
    accepted, reviewer, heping_staff, inspector, client_for
):
    code = accepted["heping"][0].code
    assert client_for(reviewer).get("/acceptance/rechecks/new/").status_code == 403
    assert client_for(reviewer).post(f"/acceptance/communities/{code}/revoke/", {}).status_code == 403
    for user in (heping_staff, inspector):
        assert client_for(user).get("/acceptance/rechecks/new/").status_code == 404
        assert client_for(user).get(f"/acceptance/communities/{code}/revoke/").status_code == 404


def test_revoking_asks_for_confirmation_and_the_record_shows_date_and_reason(
    accepted, commission_admin, heping_staff, hexi_staff, client_for
):
    community: Community = accepted["heping"][0]
    client = client_for(commission_admin)
    url = f"/acceptance/communities/{community.code}/revoke/"
    assert "摘牌" in client.get(url).content.decode()
    form = {"revoked_on": "2023-06-01", "reason": "垃圾分类设施长期停用"}
    refused = client.post(url, form)
    assert refused.status_code == 400 and "请勾选" in refused.content.decode()
    assert not Revocation.objects.exists()
    future = client.post(url, {**form, "revoked_on": "2999-01-01", "confirm": "on"})
    assert future.status_code == 400 and "未来" in future.content.decode()
    done = client.post(url, {**form, "confirm": "on"}, follow=True)
    page = done.content.decode()
    assert "自2023年6月1日起摘牌" in page and "垃圾分类设施长期停用" in page
    record = client_for(heping_staff).get(f"/acceptance/communities/{community.code}/").content.decode()
    assert "2023年6月1日" in record and "垃圾分类设施长期停用" in record and "已被摘牌" in record
    assert client_for(hexi_staff).get(f"/acceptance/communities/{community.code}/").status_code == 404
    assert Revocation.objects.get().district.code == HEPING != HEXI


def test_the_record_names_a_rechecks_visit_a_recheck_not_a_first_acceptance(
    accepted, commission_admin, inspector, client_for
):
    round_, team = open_recheck(
        commission_admin, inspector, quotas={District.objects.get(code=HEPING): Quota(number=1)}
    )
    community = round_.selections.get().community
    inspect(round_, team, community, D(2023, 3, 10), by_admin=commission_admin, inspector=inspector, fail=[5])
    record = client_for(commission_admin).get(f"/acceptance/communities/{community.code}/").content.decode()
    assert f"{round_.name} · 复查" in record
    assert "· 首次验收" in record  # the acceptance visit keeps its name
