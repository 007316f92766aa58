import datetime

import pytest
from django.test import Client

from districts.models import AuditEntry, Community, Street
from reporting.models import Campaign, Enrolment
from reporting.services import enrolment_enrol

pytestmark = pytest.mark.django_db


def test_district_home_lists_its_subdistricts_without_a_pilot(client_for, heping_staff):
    page = client_for(heping_staff).get("/?on=2021-01-01").content.decode()
    first = Street.objects.filter(district__code="120101", kind="街道").order_by("code").first()
    assert first.name in page
    assert "河西区" not in page
    assert "2021年1月1日" in page


def test_commission_home_shows_every_district(client_for, commission_admin):
    page = client_for(commission_admin).get("/").content.decode()
    assert all(name in page for name in ["和平区", "河西区", "滨海新区", "蓟州区"])


def test_community_search_by_name_and_code(client_for, heping_staff):
    client = client_for(heping_staff)
    community = Community.objects.filter(district__code="120101").order_by("code").first()
    by_code = client.get(f"/roster/communities/?q={community.code}").content.decode()
    assert community.name in by_code
    by_name = client.get(f"/roster/communities/?q={community.name[:3]}").content.decode()
    assert community.code in by_name
    # Searching for another district's community finds nothing for 和平区 staff.
    other = Community.objects.filter(district__code="120103").first()
    assert other.name not in client.get(f"/roster/communities/?q={other.code}").content.decode()


def test_htmx_filter_answers_with_the_rows_only(client_for, heping_staff):
    response = client_for(heping_staff).get("/roster/street/120101001/?kind=居委会", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<table" in body and "<html" not in body


def test_survey_edit_saves_and_shows_field_errors(client_for, heping_staff):
    client = client_for(heping_staff)
    community = Community.objects.filter(district__code="120101").first()
    bad = client.post(f"/communities/{community.code}/edit/", {"households": "-5", "property_management_share": "150"})
    assert bad.status_code == 200
    assert "errorlist" in bad.content.decode()
    community.refresh_from_db()
    assert community.households is None
    good = client.post(
        f"/communities/{community.code}/edit/", {"households": "1800", "address": "<script>alert(1)</script>"}
    )
    assert good.status_code == 302
    community.refresh_from_db()
    assert community.households == 1800
    detail = client.get(f"/communities/{community.code}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail and "<script>alert(1)" not in detail
    assert AuditEntry.objects.filter(object_id=str(community.pk), actor=heping_staff).exists()


def test_enrolment_page_enrols_and_shows_the_remaining_gaps(client_for, heping_staff):
    client = client_for(heping_staff)
    street = Street.objects.filter(district__code="120101", kind="街道").order_by("code").first()
    community = Community.objects.filter(street=street).first()
    before = client.get("/enrolment/120101/?on=2021-01-01").content.decode()
    assert f"?street={street.code}" in before  # listed as lacking a pilot
    response = client.post(
        "/enrolment/120101/enrol/", {"community": [community.code], "kind": "pilot", "joined_on": "2020-12-01"}
    )
    assert response.status_code == 302
    assert Enrolment.objects.get(community=community).kind == "pilot"
    after = client.get("/enrolment/120101/?on=2021-01-01").content.decode()
    assert f'<a href="?street={street.code}">' not in after


def test_enrolling_another_districts_community_through_a_forged_form_is_refused(client_for, heping_staff):
    other = Community.objects.filter(district__code="120103").first()
    response = client_for(heping_staff).post(
        "/enrolment/120101/enrol/", {"community": [other.code], "kind": "pilot", "joined_on": "2020-12-01"}, follow=True
    )
    assert response.status_code == 200
    assert not Enrolment.objects.exists()
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_withdrawal_needs_the_confirmation_box(client_for, heping_staff):
    community = Community.objects.filter(district__code="120101").first()
    row = enrolment_enrol(
        campaign=Campaign.objects.current(),
        communities=[community],
        kind="pilot",
        joined_on=datetime.date(2020, 12, 1),
        by=None,
    )[0]
    client = client_for(heping_staff)
    client.post(f"/enrolment/withdraw/{row.pk}/", {"withdrawn_on": "2021-03-01", "reason": "试点调整"})
    row.refresh_from_db()
    assert row.withdrawn_on is None
    client.post(f"/enrolment/withdraw/{row.pk}/", {"withdrawn_on": "2021-03-01", "reason": "试点调整", "confirm": "on"})
    row.refresh_from_db()
    assert row.withdrawn_on == datetime.date(2021, 3, 1)


def test_district_staff_see_only_their_audit_trail(client_for, heping_staff, hexi_staff):
    heping = Community.objects.filter(district__code="120101").first()
    hexi = Community.objects.filter(district__code="120103").first()
    other_client = Client()
    other_client.force_login(hexi_staff)
    other_client.post(f"/communities/{hexi.code}/edit/", {"households": "700"})
    client = client_for(heping_staff)
    client.post(f"/communities/{heping.code}/edit/", {"households": "900"})
    client.get("/")  # consume the flash message
    page = client.get("/audit/").content.decode()
    assert heping.name in page and hexi.name not in page


def test_healthz_reports_database_and_broker(client):
    body = client.get("/healthz").json()
    assert body["database"] == "ok"
    assert body["broker"] in {"ok", "in-process"}
    assert body["status"] == "ok"


def test_a_failed_login_is_audited(client):
    client.post("/accounts/login/", {"username": "district-120101", "password": "wrong"})
    assert AuditEntry.objects.filter(action="login_failed", note="district-120101").exists()


def test_the_portal_is_chinese_even_when_the_browser_asks_for_english(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page and "登录" in page


def test_the_language_switch_turns_english_on(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in page and "Log in" in page


def test_the_audit_trail_names_fields_and_choices_in_words(client_for, heping_staff):
    community = Community.objects.filter(district__code="120101").first()
    client = client_for(heping_staff)
    client.post(
        f"/communities/{community.code}/edit/",
        {"households": "900", "renovation": "in_progress", "is_old_estate": "true"},
    )
    client.get("/")  # consume the flash message
    page = client.get("/audit/").content.decode()
    assert "户数" in page and "改造中" in page and "老旧小区" in page
    assert "households" not in page and "in_progress" not in page and "True" not in page
