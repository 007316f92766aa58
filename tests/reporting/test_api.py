"""The read-only API under /api/v1/: counts on the real roster, scope per role, filters, auth, schema, query counts."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from districts.models import Community, Street
from reporting.models import Campaign, Enrolment
from reporting.services import enrolment_enrol, enrolment_withdraw
from standards.models import StandardCategory
from tests.conftest import HEPING, HEXI, PASSWORD

pytestmark = pytest.mark.django_db

HEPING_STREET = "120101001"


def get(client: Client, name: str, *args: str, **params: str) -> dict:
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200, response.content
    return response.json()


def all_rows(client: Client, name: str, **params: str) -> list[dict]:
    return get(client, name, page_size="1000", **params)["results"]


def heping_community(street: str = HEPING_STREET) -> Community:
    return Community.objects.filter(street__code=street).earliest("code")


def hexi_community() -> Community:
    return Community.objects.filter(district__code=HEXI).earliest("code")


# --- the whole city -------------------------------------------------------------------------------------------


def test_commission_sees_the_whole_roster(commission_admin, client_for):
    client = client_for(commission_admin)
    districts = get(client, "api-district-list")
    assert districts["count"] == 16
    assert [d["code"] for d in districts["results"]][:3] == ["120101", "120102", "120103"]
    assert sum(d["street_count"] for d in districts["results"]) == 299
    assert sum(d["community_count"] for d in districts["results"]) == 2036
    assert get(client, "api-street-list")["count"] == 299
    assert get(client, "api-community-list")["count"] == 2036
    assert get(client, "api-community-list", kind="居委会")["count"] == 1934
    assert get(client, "api-community-list", kind="类似居委会")["count"] == 2036 - 1934


def test_community_fields(commission_admin, client_for):
    community = heping_community()
    community.households = 1234
    community.is_old_estate = True
    community.renovation = Community.Renovation.PLANNED
    community.save()
    row = get(client_for(commission_admin), "api-community-detail", community.code)
    assert row["code"] == community.code
    assert row["name"] == community.name
    assert row["street"] == HEPING_STREET
    assert row["street_name"] == community.street.name
    assert row["district"] == HEPING
    assert row["district_name"] == "和平区"
    assert row["enrolment"] is None
    assert row["households"] == 1234
    assert row["is_old_estate"] is True
    assert row["renovation"] == "planned"
    assert {"established_on", "closed_on", "build_year", "build_era", "buildings", "address"} <= row.keys()
    assert "id" not in row


def test_street_and_district_detail_by_code(commission_admin, client_for):
    client = client_for(commission_admin)
    street = get(client, "api-street-detail", HEPING_STREET)
    assert street["district"] == HEPING
    assert street["district_name"] == "和平区"
    assert street["community_count"] == Community.objects.filter(street__code=HEPING_STREET).count() > 0
    district = get(client, "api-district-detail", HEPING)
    assert district["name"] == "和平区"
    assert district["street_count"] == Street.objects.filter(district__code=HEPING).count()
    assert district["community_count"] == Community.objects.filter(district__code=HEPING).count()
    streets = all_rows(client, "api-street-list", district=HEXI)
    assert len(streets) == Street.objects.filter(district__code=HEXI).count() > 0
    assert {s["district"] for s in streets} == {HEXI}


def test_unknown_codes_are_404_json(commission_admin, client_for):
    client = client_for(commission_admin)
    for url in (
        reverse("api-district-detail", args=["999999"]),
        reverse("api-street-detail", args=["999999999"]),
        reverse("api-community-detail", args=["not-a-code"]),
        reverse("api-community-list") + "?district=999999",
        reverse("api-community-list") + "?street=999999999",
        reverse("api-street-list") + "?district=999999",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("application/json")
        assert "detail" in response.json()


def test_department_staff_sees_the_whole_city(department_staff, client_for):
    assert get(client_for(department_staff), "api-community-list")["count"] == 2036


# --- scope ----------------------------------------------------------------------------------------------------


def test_district_staff_sees_only_their_district(heping_staff, client_for):
    client = client_for(heping_staff)
    districts = get(client, "api-district-list")
    assert [d["code"] for d in districts["results"]] == [HEPING]
    communities = all_rows(client, "api-community-list")
    assert len(communities) == Community.objects.filter(district__code=HEPING).count() > 0
    assert all(c["code"].startswith(HEPING) and c["district"] == HEPING for c in communities)
    streets = all_rows(client, "api-street-list")
    assert {s["district"] for s in streets} == {HEPING}
    assert get(client, "api-community-list", district=HEPING)["count"] == len(communities)


def test_district_staff_gets_404_outside_their_district(heping_staff, hexi_staff, client_for):
    hexi = hexi_community()
    urls = [
        reverse("api-community-detail", args=[hexi.code]),
        reverse("api-street-detail", args=[hexi.street.code]),
        reverse("api-district-detail", args=[HEXI]),
        reverse("api-community-list") + f"?district={HEXI}",
        reverse("api-community-list") + f"?street={hexi.street.code}",
        reverse("api-street-list") + f"?district={HEXI}",
    ]
    client = client_for(heping_staff)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "detail" in response.json()
    # The same URLs work for 河西区's own staff, so the 404s above are scope and not broken URLs.
    client = client_for(hexi_staff)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_street_staff_sees_only_their_street(heping_street_staff, client_for):
    client = client_for(heping_street_staff)
    streets = all_rows(client, "api-street-list")
    assert [s["code"] for s in streets] == [HEPING_STREET]
    communities = all_rows(client, "api-community-list")
    assert len(communities) == Community.objects.filter(street__code=HEPING_STREET).count() > 0
    assert {c["street"] for c in communities} == {HEPING_STREET}
    [district] = all_rows(client, "api-district-list")
    assert district["code"] == HEPING
    assert district["street_count"] == 1
    assert district["community_count"] == len(communities)
    other = Street.objects.filter(district__code=HEPING).exclude(code=HEPING_STREET).earliest("code")
    assert client.get(reverse("api-street-detail", args=[other.code])).status_code == 404
    assert client.get(reverse("api-community-list"), {"street": other.code}).status_code == 404
    assert client.get(reverse("api-community-detail", args=[heping_community(other.code).code])).status_code == 404
    assert client.get(reverse("api-community-detail", args=[communities[0]["code"]])).status_code == 200


def test_inspector_sees_no_roster_but_the_standard(inspector, client_for):
    client = client_for(inspector)
    assert get(client, "api-community-list")["count"] == 0
    assert get(client, "api-district-list")["count"] == 0
    assert get(client, "api-street-list")["count"] == 0
    assert client.get(reverse("api-community-detail", args=[heping_community().code])).status_code == 404
    assert client.get(reverse("api-district-detail", args=[HEPING])).status_code == 404
    assert get(client, "api-standard-list")["count"] == 5


# --- filters --------------------------------------------------------------------------------------------------


def test_enrolment_filter_and_field(heping_staff, client_for):
    campaign = Campaign.objects.current()
    c = list(Community.objects.filter(district__code=HEPING).order_by("code")[:6])
    start = campaign.starts_on
    [withdrawn, *_] = enrolment_enrol(
        campaign=campaign, communities=c[:3], kind=Enrolment.Kind.PILOT, joined_on=start, by=heping_staff
    )
    enrolment_enrol(campaign=campaign, communities=c[3:5], kind=Enrolment.Kind.BATCH, joined_on=start, by=heping_staff)
    enrolment_withdraw(enrolment=withdrawn, on=start + datetime.timedelta(days=30), reason="合并", by=heping_staff)

    client = client_for(heping_staff)

    def codes(**params: str) -> set[str]:
        return {row["code"] for row in all_rows(client, "api-community-list", **params)}

    assert codes(enrolment="pilot") == {c[1].code, c[2].code}
    assert codes(enrolment="batch") == {c[3].code, c[4].code}
    assert codes(enrolment="enrolled") == {x.code for x in c[1:5]}
    assert codes(enrolment="withdrawn") == {c[0].code}
    not_enrolled = codes(enrolment="not_enrolled")
    assert c[5].code in not_enrolled
    assert not not_enrolled & {x.code for x in c[:5]} - {c[0].code}
    assert len(not_enrolled) == Community.objects.filter(district__code=HEPING).count() - 4
    # Before the withdrawal the first one was still a pilot; before the campaign nobody was enrolled.
    assert codes(enrolment="pilot", date=(start + datetime.timedelta(days=10)).isoformat()) == {x.code for x in c[:3]}
    assert codes(enrolment="enrolled", date=(start - datetime.timedelta(days=1)).isoformat()) == set()

    rows = {row["code"]: row["enrolment"] for row in all_rows(client, "api-community-list", district=HEPING)}
    assert [rows[x.code] for x in c] == [None, "pilot", "pilot", "batch", "batch", None]
    assert get(client, "api-community-detail", c[3].code)["enrolment"] == "batch"
    assert get(client, "api-community-detail", c[0].code)["enrolment"] is None


def test_text_and_street_filters(commission_admin, client_for):
    client = client_for(commission_admin)
    community = heping_community()
    rows = all_rows(client, "api-community-list", q=community.name, street=HEPING_STREET)
    assert community.code in {r["code"] for r in rows}
    assert all(community.name in r["name"] and r["street"] == HEPING_STREET for r in rows)
    by_code = all_rows(client, "api-community-list", q=HEPING_STREET)
    assert len(by_code) == Community.objects.filter(street__code=HEPING_STREET).count()


def test_roster_date(heping_staff, client_for):
    today = timezone.localdate()
    closed = heping_community()
    closed.closed_on = today - datetime.timedelta(days=10)
    closed.save()
    opened = Community.objects.filter(district__code=HEPING).order_by("-code").first()
    opened.established_on = today + datetime.timedelta(days=5)
    opened.save()
    client = client_for(heping_staff)
    total = Community.objects.filter(district__code=HEPING).count()

    today_codes = {r["code"] for r in all_rows(client, "api-community-list")}
    assert len(today_codes) == total - 2
    assert closed.code not in today_codes and opened.code not in today_codes
    earlier = {r["code"] for r in all_rows(client, "api-community-list", date=str(today - datetime.timedelta(days=20)))}
    assert closed.code in earlier and opened.code not in earlier
    later = {r["code"] for r in all_rows(client, "api-community-list", date=str(today + datetime.timedelta(days=5)))}
    assert opened.code in later and closed.code not in later
    assert get(client, "api-district-detail", HEPING)["community_count"] == total - 2
    # A closed community is still found by its code, with its closing date.
    assert get(client, "api-community-detail", closed.code)["closed_on"] == closed.closed_on.isoformat()


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("api-community-list", {"enrolment": "sometimes"}, "enrolment"),
        ("api-community-list", {"kind": "村委会"}, "kind"),
        ("api-community-list", {"date": "2021-13-40"}, "date"),
        ("api-community-list", {"date": "yesterday"}, "date"),
        ("api-street-list", {"date": "2021/01/01"}, "date"),
        ("api-district-list", {"date": "soon"}, "date"),
    ],
)
def test_malformed_parameters_are_400(commission_admin, client_for, name, params, field):
    response = client_for(commission_admin).get(reverse(name), params)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert body[field][0]


def test_bad_enrolment_message_names_the_value(commission_admin, client_for):
    response = client_for(commission_admin).get(reverse("api-community-list"), {"enrolment": "sometimes"})
    assert response.status_code == 400
    assert "sometimes" in response.json()["enrolment"][0]


# --- standard -------------------------------------------------------------------------------------------------


def test_standard(reviewer, client_for):
    body = get(client_for(reviewer), "api-standard-list")
    assert body["count"] == 5
    categories = body["results"]
    assert [c["number"] for c in categories] == [1, 2, 3, 4, 5]
    assert [len(c["items"]) for c in categories] == [3, 3, 4, 2, 4]
    assert [i["number"] for c in categories for i in c["items"]] == list(range(1, 17))
    for category in categories:
        stored = StandardCategory.objects.get(number=category["number"])
        assert category["name"] == stored.name
        assert category["departments"] == [d.name for d in stored.departments.all()]
        assert category["departments"]
        assert all(set(i) == {"number", "text", "allows_not_applicable"} and i["text"] for i in category["items"])
    assert get(client_for(reviewer), "api-standard-detail", "4")["number"] == 4


# --- auth, methods, pagination --------------------------------------------------------------------------------


def test_anonymous_is_refused():
    client = Client()
    for name in ("api-community-list", "api-district-list", "api-street-list", "api-standard-list"):
        response = client.get(reverse(name))
        assert response.status_code == 401, name
        assert response["WWW-Authenticate"].startswith("Token")
    assert client.get(reverse("api-community-list"), HTTP_AUTHORIZATION="Token nope").status_code == 401


def test_an_anonymous_request_for_the_schema_is_a_401_like_the_rest_of_the_api():
    """Issue 14 item 17."""
    response = Client().get(reverse("api_schema"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert response.json() == {"detail": "身份认证信息未提供。"}
    assert Client().get(reverse("api_schema"), HTTP_AUTHORIZATION="Token nope").status_code == 401


def test_a_session_request_without_its_csrf_token_is_refused_in_chinese(heping_staff):
    """Issue 14 item 17: an unsafe API request on a browser session needs the CSRF token; the refusal is in the
    portal's language and the API's JSON shape, for the data endpoints and the token endpoint alike."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(heping_staff)
    refusal = {"detail": "请求缺少安全令牌（CSRF）。请刷新页面后重试，或改用令牌认证（Authorization: Token …）。"}
    for url, data in (
        (reverse("api-community-list"), {}),
        (reverse("api_token"), {"username": heping_staff.username, "password": PASSWORD}),
    ):
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert response["Content-Type"] == "application/json"
        assert response.json() == refusal, url
    assert client.get(reverse("api-community-list")).status_code == 200  # a safe request needs no token


def test_token_auth(heping_staff):
    client = Client()
    response = client.post(reverse("api_token"), {"username": heping_staff.username, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert (
        client.post(reverse("api_token"), {"username": heping_staff.username, "password": "wrong"}).status_code == 400
    )
    response = client.get(reverse("api-community-list"), {"page_size": "1000"}, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows and all(r["district"] == HEPING for r in rows)
    response = client.get(
        reverse("api-community-detail", args=[hexi_community().code]), HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 404


def test_write_methods_are_405(commission_admin, client_for):
    client = client_for(commission_admin)
    community = heping_community()
    urls = [
        reverse("api-community-list"),
        reverse("api-community-detail", args=[community.code]),
        reverse("api-district-detail", args=[HEPING]),
        reverse("api-street-detail", args=[HEPING_STREET]),
        reverse("api-standard-list"),
        reverse("api-standard-detail", args=["1"]),
    ]
    for url in urls:
        for method in (client.post, client.put, client.patch, client.delete):
            response = method(url, {"name": "x"}, content_type="application/json")
            assert response.status_code == 405, (method, url)
    assert Community.objects.get(pk=community.pk).name == community.name


def test_pagination(commission_admin, client_for):
    client = client_for(commission_admin)
    first = get(client, "api-community-list")
    assert len(first["results"]) == 100
    assert first["next"] and first["previous"] is None
    assert len(get(client, "api-community-list", page_size="5000")["results"]) == 1000
    last = get(client, "api-community-list", page_size="1000", page="3")
    assert len(last["results"]) == 36 and last["next"] is None
    assert client.get(reverse("api-community-list"), {"page": "4", "page_size": "1000"}).status_code == 404


# --- schema ---------------------------------------------------------------------------------------------------


def test_schema_endpoint(reviewer, client_for):
    response = client_for(reviewer).get(reverse("api_schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/districts/",
        "/api/v1/districts/{code}/",
        "/api/v1/streets/",
        "/api/v1/streets/{code}/",
        "/api/v1/communities/",
        "/api/v1/communities/{code}/",
        "/api/v1/standards/",
        "/api/v1/auth/token/",
    } <= schema["paths"].keys()
    params = {p["name"] for p in schema["paths"]["/api/v1/communities/"]["get"]["parameters"]}
    assert params == {"date", "district", "street", "enrolment", "kind", "q", "page", "page_size", "campaign"}
    assert set(schema["paths"]["/api/v1/communities/"]) == {"get"}


def test_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/communities/{code}/" in out.read_text(encoding="utf-8")


# --- query counts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "small", "large"),
    [("api-community-list", 10, 100), ("api-street-list", 10, 100), ("api-district-list", 2, 16)],
)
def test_query_count_is_flat(commission_admin, client_for, name, small, large):
    campaign = Campaign.objects.current()
    enrolment_enrol(
        campaign=campaign,
        communities=list(Community.objects.order_by("code")[:50]),
        kind=Enrolment.Kind.PILOT,
        joined_on=campaign.starts_on,
        by=commission_admin,
    )
    client = client_for(commission_admin)
    counts = []
    for size in (small, large):
        with CaptureQueriesContext(connection) as queries:
            body = get(client, name, page_size=str(size))
        assert len(body["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 8


def test_standard_query_count(reviewer, client_for, django_assert_max_num_queries):
    client = client_for(reviewer)
    with django_assert_max_num_queries(8):
        assert len(get(client, "api-standard-list")["results"]) == 5
