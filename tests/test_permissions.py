"""The permission matrix: every URL × every role × own/other scope × read/write.

"Own" is 和平区 (120101) and its first street 劝业场街道 (120101001); "other" is 河西区 (120103). A URL that is
added to the project without a row here fails `test_every_url_is_in_the_matrix`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from districts.models import Community
from reporting.models import Campaign
from reporting.services import enrolment_enrol

ROLES = [
    "anonymous",
    "commission_admin",
    "reviewer",
    "heping_staff",
    "heping_street_staff",
    "department_staff",
    "inspector",
]
OWN_STREET, OTHER_STREET = "120101001", "120103001"


@dataclass(frozen=True)
class Case:
    method: str
    # Path for scope "own" and "other" (the same when the URL has no scope).
    own: str
    other: str
    # Expected status per role: (own, other).
    expect: dict[str, tuple[int, int]]
    data: dict[str, Any] | None = None


def _same(status: int) -> tuple[int, int]:
    return (status, status)


ANON = {"anonymous": _same(302)}  # login_required sends anonymous users to the login page
CITY_READERS_OK = {"commission_admin": _same(200), "reviewer": _same(200), "department_staff": _same(200)}


def cases(world: dict[str, Any]) -> dict[str, Case]:
    own_c, other_c = world["own_community"], world["other_community"]
    return {
        "home": Case("GET", "/", "/", {**ANON, **{r: _same(200) for r in ROLES[1:]}}),
        "healthz": Case("GET", "/healthz", "/healthz", {r: _same(200) for r in ROLES}),
        "login": Case(
            "GET",
            "/accounts/login/",
            "/accounts/login/",
            {"anonymous": _same(200), **{r: _same(302) for r in ROLES[1:]}},
        ),
        "logout": Case("POST", "/accounts/logout/", "/accounts/logout/", {r: _same(302) for r in ROLES}),
        "set_language": Case(
            "POST", "/i18n/setlang/", "/i18n/setlang/", {r: _same(302) for r in ROLES}, {"language": "en", "next": "/"}
        ),
        "roster_districts": Case(
            "GET",
            "/roster/",
            "/roster/",
            {
                **ANON,
                **CITY_READERS_OK,
                "heping_staff": _same(302),
                "heping_street_staff": _same(302),
                "inspector": _same(404),
            },
        ),
        "roster_district": Case(
            "GET",
            "/roster/district/120101/",
            "/roster/district/120103/",
            {
                **ANON,
                **CITY_READERS_OK,
                "heping_staff": (200, 404),
                "heping_street_staff": (200, 404),
                "inspector": _same(404),
            },
        ),
        "roster_street": Case(
            "GET",
            f"/roster/street/{OWN_STREET}/",
            f"/roster/street/{OTHER_STREET}/",
            {
                **ANON,
                **CITY_READERS_OK,
                "heping_staff": (200, 404),
                "heping_street_staff": (200, 404),
                "inspector": _same(404),
            },
        ),
        "community_search": Case(
            "GET",
            "/roster/communities/?district=120101",
            "/roster/communities/?district=120103",
            {
                **ANON,
                **CITY_READERS_OK,
                "heping_staff": (200, 404),
                "heping_street_staff": (200, 404),
                "inspector": _same(404),
            },
        ),
        "community_detail": Case(
            "GET",
            f"/communities/{own_c.code}/",
            f"/communities/{other_c.code}/",
            {
                **ANON,
                **CITY_READERS_OK,
                "heping_staff": (200, 404),
                "heping_street_staff": (200, 404),
                "inspector": _same(404),
            },
        ),
        "community_edit": Case(
            "GET",
            f"/communities/{own_c.code}/edit/",
            f"/communities/{other_c.code}/edit/",
            {
                **ANON,
                "commission_admin": _same(200),
                "reviewer": _same(403),
                "department_staff": _same(403),
                "heping_staff": (200, 404),
                "heping_street_staff": (403, 404),
                "inspector": _same(404),
            },
        ),
        "community_edit_post": Case(
            "POST",
            f"/communities/{own_c.code}/edit/",
            f"/communities/{other_c.code}/edit/",
            {
                **ANON,
                "commission_admin": _same(302),
                "reviewer": _same(403),
                "department_staff": _same(403),
                "heping_staff": (302, 404),
                "heping_street_staff": (403, 404),
                "inspector": _same(404),
            },
            {"households": "1200", "address": "测试路1号"},
        ),
        "enrolment": Case(
            "GET",
            "/enrolment/120101/",
            "/enrolment/120103/",
            {
                **ANON,
                "commission_admin": _same(200),
                "reviewer": _same(200),
                "department_staff": _same(403),
                "heping_staff": (200, 404),
                "heping_street_staff": (403, 404),
                "inspector": _same(404),
            },
        ),
        "enrolment_enrol": Case(
            "POST",
            "/enrolment/120101/enrol/",
            "/enrolment/120103/enrol/",
            {
                **ANON,
                "commission_admin": _same(302),
                "reviewer": _same(403),
                "department_staff": _same(403),
                "heping_staff": (302, 404),
                "heping_street_staff": (403, 404),
                "inspector": _same(404),
            },
            {"kind": "pilot", "joined_on": "2021-01-04"},
        ),
        "enrolment_withdraw": Case(
            "POST",
            f"/enrolment/withdraw/{world['own_enrolment'].pk}/",
            f"/enrolment/withdraw/{world['other_enrolment'].pk}/",
            {
                **ANON,
                "commission_admin": _same(302),
                "reviewer": _same(403),
                "department_staff": _same(403),
                "heping_staff": (302, 404),
                "heping_street_staff": (403, 404),
                "inspector": _same(404),
            },
            {"withdrawn_on": "2021-06-01", "reason": "测试", "confirm": "on"},
        ),
        "audit_list": Case(
            "GET",
            "/audit/",
            "/audit/",
            {
                **ANON,
                "commission_admin": _same(200),
                "reviewer": _same(200),
                "heping_staff": _same(200),
                "heping_street_staff": _same(403),
                "department_staff": _same(403),
                "inspector": _same(403),
            },
        ),
        **api_cases(world),
        **import_cases(),
        "admin:index": Case(
            "GET",
            "/admin/",
            "/admin/",
            {"commission_admin": _same(200), **{r: _same(302) for r in ROLES if r != "commission_admin"}},
        ),
    }


API_ANON = {"anonymous": _same(401)}
API_SCOPED = {
    **API_ANON,
    "commission_admin": _same(200),
    "reviewer": _same(200),
    "department_staff": _same(200),
    "heping_staff": (200, 404),
    "heping_street_staff": (200, 404),
    "inspector": _same(404),
}
EVERY_USER = ROLES[1:]


def api_cases(world: dict[str, Any]) -> dict[str, Case]:
    own_c, other_c = world["own_community"], world["other_community"]
    base = "/api/v1"
    return {
        "api-district-list": Case(
            "GET", f"{base}/districts/", f"{base}/districts/", {**API_ANON, **{r: _same(200) for r in EVERY_USER}}
        ),
        "api-district-detail": Case("GET", f"{base}/districts/120101/", f"{base}/districts/120103/", API_SCOPED),
        "api-street-list": Case(
            "GET", f"{base}/streets/?district=120101", f"{base}/streets/?district=120103", API_SCOPED
        ),
        "api-street-detail": Case(
            "GET", f"{base}/streets/{OWN_STREET}/", f"{base}/streets/{OTHER_STREET}/", API_SCOPED
        ),
        "api-community-list": Case(
            "GET", f"{base}/communities/?district=120101", f"{base}/communities/?district=120103", API_SCOPED
        ),
        "api-community-detail": Case(
            "GET", f"{base}/communities/{own_c.code}/", f"{base}/communities/{other_c.code}/", API_SCOPED
        ),
        # The API is read-only: a write is refused before any lookup, in scope or not.
        "api-community-detail_post": Case(
            "POST",
            f"{base}/communities/{own_c.code}/",
            f"{base}/communities/{other_c.code}/",
            {**API_ANON, **{r: _same(405) for r in EVERY_USER}},
            {"name": "改名"},
        ),
        "api-standard-list": Case(
            "GET", f"{base}/standards/", f"{base}/standards/", {**API_ANON, **{r: _same(200) for r in EVERY_USER}}
        ),
        "api-standard-detail": Case(
            "GET", f"{base}/standards/1/", f"{base}/standards/1/", {**API_ANON, **{r: _same(200) for r in EVERY_USER}}
        ),
        "api_schema": Case(
            "GET",
            f"{base}/schema/",
            f"{base}/schema/",
            {"anonymous": _same(403), **{r: _same(200) for r in EVERY_USER}},
        ),
        "api_token": Case(
            "POST",
            f"{base}/auth/token/",
            f"{base}/auth/token/",
            {r: _same(400) for r in ROLES},
            {"username": "nobody", "password": "wrong"},
        ),
    }


IMPORTERS = ("commission_admin", "heping_staff")


def import_cases() -> dict[str, Case]:
    others = {r: _same(403) for r in ROLES[1:] if r not in IMPORTERS}
    token = "/roster/import/6f1c2b9e-0000-4000-8000-000000000000/"
    return {
        "roster_import": Case(
            "GET", "/roster/import/", "/roster/import/", {**ANON, **others, **{r: _same(200) for r in IMPORTERS}}
        ),
        "roster_import_template": Case(
            "GET",
            "/roster/import/template.xlsx",
            "/roster/import/template.xlsx",
            {**ANON, **others, **{r: _same(200) for r in IMPORTERS}},
        ),
        # An upload token is the uploader's own: any other token is 404 even to an importer.
        "roster_import_preview": Case("GET", token, token, {**ANON, **others, **{r: _same(404) for r in IMPORTERS}}),
        "roster_import_preview_post": Case(
            "POST", token, token, {**ANON, **others, **{r: _same(404) for r in IMPORTERS}}
        ),
        "roster_import_cancel": Case(
            "POST", f"{token}cancel/", f"{token}cancel/", {**ANON, **others, **{r: _same(404) for r in IMPORTERS}}
        ),
        "roster_export": Case(
            "GET",
            "/roster/export/?district=120101",
            "/roster/export/?district=120103",
            {
                **ANON,
                **CITY_READERS_OK,
                "heping_staff": (200, 404),
                "heping_street_staff": (200, 404),
                "inspector": _same(403),
            },
        ),
    }


# URL names that are exercised by the "_post" variants above or are served by a whole app with its own checks.
COVERED_ELSEWHERE = {"community_edit"}


def _url_names(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace == "admin":
                names.add("admin:index")  # the admin is one unit: staff-only, checked by Django itself
                continue
            names |= _url_names(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


@pytest.fixture
def world(db):
    campaign = Campaign.objects.current()
    own = Community.objects.filter(street__code=OWN_STREET).order_by("code")
    other = Community.objects.filter(street__code=OTHER_STREET).order_by("code")
    own_enrolled, other_enrolled = own[1], other[1]
    day = datetime.date(2020, 12, 1)
    return {
        "own_community": own[0],
        "other_community": other[0],
        "own_enrolment": enrolment_enrol(
            campaign=campaign, communities=[own_enrolled], kind="pilot", joined_on=day, by=None
        )[0],
        "other_enrolment": enrolment_enrol(
            campaign=campaign, communities=[other_enrolled], kind="pilot", joined_on=day, by=None
        )[0],
        "own_candidate": own[2],
        "other_candidate": other[2],
    }


def test_every_url_is_in_the_matrix(world):
    in_matrix = {name.removesuffix("_post") for name in cases(world)}
    missing = _url_names() - in_matrix - COVERED_ELSEWHERE
    assert not missing, f"URLs without a row in the permission matrix: {sorted(missing)}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("scope", ["own", "other"])
def test_permission_matrix(request, client, world, role, scope):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    for name, case in cases(world).items():
        if role not in case.expect:
            continue
        path = case.own if scope == "own" else case.other
        data = dict(case.data or {})
        if name == "enrolment_enrol":
            data["community"] = (world["own_candidate"] if scope == "own" else world["other_candidate"]).code
        response = client.post(path, data) if case.method == "POST" else client.get(path)
        expected = case.expect[role][0 if scope == "own" else 1]
        assert response.status_code == expected, f"{role} {case.method} {path} ({name}, {scope})"
        if response.status_code == 404:
            # Out of scope says nothing about what exists there.
            body = response.content.decode()
            assert world["other_community"].name not in body or name == "home"
        if name in {"logout", "set_language"} and role != "anonymous":
            client.force_login(request.getfixturevalue(role))
