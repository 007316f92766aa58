"""Responsible officials (责任人): each unit keeps its own 局级 and 处级 officials, the commission reads them all, and
every change is in the audit trail."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from districts.models import AuditEntry, Department, District, ResponsibleOfficial
from districts.officials import OfficialError, official_save
from districts.scope import scope_of

pytestmark = pytest.mark.django_db
BUREAU, DIVISION = ResponsibleOfficial.Level.BUREAU, ResponsibleOfficial.Level.DIVISION


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def heping(db):
    return District.objects.get(code="120101")


@pytest.fixture
def zjw(db):
    return Department.objects.get(code="zjw")


def _save(user, level=BUREAU, name="王建国", title="副区长", phone="022-27300000", **unit):
    return official_save(level=level, name=name, title=title, phone=phone, by=user, scope=scope_of(user), **unit)


def _trail(official_pk) -> list[tuple[str, dict]]:
    return list(
        AuditEntry.objects.filter(content_type__model="responsibleofficial", object_id=str(official_pk))
        .order_by("id")
        .values_list("action", "changes")
    )


def test_district_staff_name_their_bureau_level_official_and_it_is_audited(heping_staff, heping):
    official = _save(heping_staff, district=heping)
    assert (official.district, official.level, official.name, official.phone) == (
        heping,
        BUREAU,
        "王建国",
        "022-27300000",
    )
    ((action, changes),) = _trail(official.pk)
    assert action == "create" and changes["name"] == [None, "王建国"]
    assert AuditEntry.objects.get(content_type__model="responsibleofficial").district == heping


def test_changing_an_official_updates_the_same_row_and_audits_the_difference(heping_staff, heping):
    first = _save(heping_staff, district=heping)
    second = _save(heping_staff, district=heping, name="王建国", title="区委常委、副区长")
    assert first.pk == second.pk and ResponsibleOfficial.objects.count() == 1
    assert _trail(first.pk)[-1] == ("update", {"title": ["副区长", "区委常委、副区长"]})


def test_emptying_all_three_fields_removes_the_official_and_the_trail_keeps_them(heping_staff, heping):
    official = _save(heping_staff, district=heping)
    assert _save(heping_staff, district=heping, name="", title="", phone="") is None
    assert not ResponsibleOfficial.objects.exists()
    action, changes = _trail(official.pk)[-1]
    assert action == "delete" and changes["name"] == ["王建国", None]


def test_a_half_filled_official_is_refused_naming_what_is_missing(heping_staff, heping):
    with pytest.raises(OfficialError) as refused:
        _save(heping_staff, district=heping, title="", phone="")
    assert str(refused.value) == "局级：请同时填写职务、电话，或三项都不填。"
    assert not ResponsibleOfficial.objects.exists()


@pytest.mark.parametrize("phone", ["abc", "12", "022-2730<script>"])
def test_a_phone_that_is_not_a_number_is_refused(heping_staff, heping, phone):
    with pytest.raises(OfficialError, match="处级：电话请用数字填写"):
        _save(heping_staff, level=DIVISION, district=heping, phone=phone)


def test_a_department_keeps_its_own_and_no_one_else_does(department_staff, hexi_staff, commission_admin, zjw, heping):
    official = _save(department_staff, level=DIVISION, name="李红梅", title="村镇建设处处长", department=zjw)
    assert official.department == zjw and official.district is None
    for outsider in (hexi_staff, commission_admin):
        with pytest.raises(OfficialError, match="只有本单位工作人员可以修改本单位的责任人。"):
            _save(outsider, department=zjw)
    with pytest.raises(OfficialError):
        _save(department_staff, district=heping)
    with pytest.raises(OfficialError):
        _save(hexi_staff, district=heping)
    assert ResponsibleOfficial.objects.count() == 1


def _zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def test_the_commission_sees_every_unit_and_who_is_not_named_yet(client_for, reviewer, heping_staff, heping, zjw):
    _save(heping_staff, district=heping)
    page = re.sub(r"\s+", " ", _zh(client_for(reviewer)).get("/officials/").content.decode())
    assert "王建国 · 副区长" in page and 'href="tel:022-27300000"' in page
    assert page.count('<tr><th scope="row">') == District.objects.count() + Department.objects.count()
    assert "未明确" in page and "修改" not in page.split("</h1>")[1]


def test_a_district_sees_only_its_own_and_changes_both_levels_at_once(client_for, heping_staff, hexi_staff):
    client = _zh(client_for(heping_staff))
    page = client.get("/officials/").content.decode()
    assert re.findall(r'<th scope="row">(.*?)</th>', page) == ["和平区"]
    response = client.post(
        "/officials/district/120101/",
        {
            "bureau-name": "王建国",
            "bureau-title": "副区长",
            "bureau-phone": "022-27300000",
            "division-name": "赵卫东",
            "division-title": "区住房建设委副主任",
            "division-phone": "022-27301111",
        },
    )
    assert response.status_code == 302
    assert set(ResponsibleOfficial.objects.values_list("level", "name")) == {(BUREAU, "王建国"), (DIVISION, "赵卫东")}
    assert client.get("/officials/district/120103/").status_code == 404


def test_a_bad_second_level_saves_neither(client_for, heping_staff):
    client = _zh(client_for(heping_staff))
    response = client.post(
        "/officials/district/120101/",
        {"bureau-name": "王建国", "bureau-title": "副区长", "bureau-phone": "022-27300000", "division-name": "赵卫东"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "处级：请同时填写职务、电话，或三项都不填。" in page
    assert not ResponsibleOfficial.objects.exists()


def test_department_staff_edit_their_department_and_not_another(client_for, department_staff):
    client = _zh(client_for(department_staff))
    page = client.get("/officials/").content.decode()
    assert re.findall(r'<th scope="row">(.*?)</th>', page) == ["市住房城乡建设委"]
    assert client.get("/officials/department/zjw/").status_code == 200
    assert client.get("/officials/department/fgw/").status_code == 404
    assert client.get("/officials/district/120101/").status_code == 403
