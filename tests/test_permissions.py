"""The permission matrix: every URL × every role × own/other scope × read/write.

"Own" is 和平区 (120101) and its first street 劝业场街道 (120101001); "other" is 河西区 (120103). A URL that is
added to the project without a row here fails `test_every_url_is_in_the_matrix`.
"""

from __future__ import annotations

import datetime
import io
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image

from districts.models import Community, Department, District, Membership, Role, RosterRelease
from reporting.models import Campaign, GeneratedDocument, Notification
from reporting.reports.services import report_open
from reporting.services import enrolment_enrol
from standards.acceptance import (
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    objection_record,
    round_create,
    team_create,
)
from standards.evidence import evidence_add
from standards.models import Rectification, SelfAssessment, StandardItem
from standards.refinements import refinement_create, refinement_submit

from .conftest import PASSWORD, TIANJIN_CSV

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
        # A wrong password is the form again (django-axes counts it); a signed-in user is sent on.
        "login_post": Case(
            "POST",
            "/accounts/login/",
            "/accounts/login/",
            {"anonymous": _same(200), **{r: _same(302) for r in ROLES[1:]}},
            {"username": "nobody", "password": "wrong-password"},
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
        **report_cases(world),
        **acceptance_cases(world),
        **dashboard_cases(world),
        **api_cases(world),
        **import_cases(),
        **supervision_cases(world),
        **funds_cases(world),
        **release_cases(world),
        **campaign_cases(world),
        **experience_cases(world),
        **commendation_cases(world),
        **refinement_cases(world),
        "admin:index": Case(
            "GET",
            "/admin/",
            "/admin/",
            {"commission_admin": _same(200), **{r: _same(302) for r in ROLES if r != "commission_admin"}},
        ),
    }


# Reports: the filer's own staff write; street staff write their street's rows; the commission reviews.
REPORT_READERS = {
    **ANON,
    "commission_admin": _same(200),
    "reviewer": _same(200),
    "department_staff": _same(404),  # a department sees its own annual reports only
    "heping_staff": (200, 404),
    "heping_street_staff": (200, 404),
    "inspector": _same(404),
}
FILER_WRITES = {
    **ANON,
    "commission_admin": _same(403),
    "reviewer": _same(403),
    "department_staff": _same(404),
    "heping_staff": (302, 404),
    "heping_street_staff": (403, 404),
    "inspector": _same(404),
}
REVIEW_WRITES = {**FILER_WRITES, "commission_admin": _same(302), "reviewer": _same(302), "heping_staff": (403, 404)}
ROW_WRITES = {**FILER_WRITES, "heping_street_staff": (302, 404)}
EVERYONE_LOGGED_IN = {**ANON, **{r: _same(200) for r in ROLES[1:]}}


def report_cases(world: dict[str, Any]) -> dict[str, Case]:
    own, other = world["own_report"], world["other_report"]
    own_row, other_row = world["own_row"], world["other_row"]
    own_file, other_file = world["own_evidence"], world["other_evidence"]

    def on(suffix: str) -> tuple[str, str]:
        return f"/reports/{own.pk}/{suffix}", f"/reports/{other.pk}/{suffix}"

    return {
        "report_list": Case(
            "GET", "/reports/", "/reports/", {**ANON, **{r: _same(200) for r in ROLES[1:]}, "inspector": _same(404)}
        ),
        "report_review_queue": Case(
            "GET",
            "/reports/review/",
            "/reports/review/",
            {**ANON, **{r: _same(404) for r in ROLES[1:]}, "commission_admin": _same(200), "reviewer": _same(200)},
        ),
        # Only a district's own staff start its reports (the district code is set per scope in the test).
        "report_start": Case(
            "POST",
            "/reports/start/",
            "/reports/start/",
            {
                **ANON,
                "commission_admin": _same(403),
                "reviewer": _same(403),
                "department_staff": _same(403),
                "heping_staff": (302, 404),
                "heping_street_staff": (403, 404),
                "inspector": _same(404),
            },
            {"kind": "monthly", "period": "2021-04-01"},
        ),
        "report_detail": Case("GET", *on(""), REPORT_READERS),
        "report_print": Case("GET", *on("print/"), REPORT_READERS),
        "report_rows": Case("GET", *on("rows/"), REPORT_READERS),
        "report_row": Case(
            "GET", f"/reports/{own.pk}/rows/{own_row.pk}/", f"/reports/{other.pk}/rows/{other_row.pk}/", REPORT_READERS
        ),
        "report_row_post": Case(
            "POST",
            f"/reports/{own.pk}/rows/{own_row.pk}/",
            f"/reports/{other.pk}/rows/{other_row.pk}/",
            ROW_WRITES,
            {"version": "1", "stage": "creating"},
        ),
        "report_narrative_save": Case("POST", *on("narrative/"), FILER_WRITES, {"version": "1", "progress": "进展"}),
        "report_rows_bulk": Case("POST", *on("rows/bulk/"), ROW_WRITES, {"stage": "creating"}),
        # A report's file is read by the report's readers, under its random address (Issue 14 item 8; every kind
        # of parent is in tests/standards/test_evidence_access.py).
        "evidence_file": Case("GET", own_file.get_absolute_url(), other_file.get_absolute_url(), REPORT_READERS),
        "evidence_thumbnail": Case("GET", own_file.thumbnail_url, other_file.thumbnail_url, REPORT_READERS),
        "evidence_upload": Case(
            "POST", *on("evidence/"), {**ROW_WRITES, "heping_staff": (400, 404), "heping_street_staff": (403, 404)}
        ),
        "evidence_remove": Case(
            "POST",
            f"/reports/{own.pk}/evidence/{own_file.public_id}/remove/",
            f"/reports/{other.pk}/evidence/{other_file.public_id}/remove/",
            {**FILER_WRITES, "heping_street_staff": (403, 404)},
        ),
        "report_submit": Case("POST", *on("submit/"), FILER_WRITES),
        "report_return": Case("POST", *on("return/"), REVIEW_WRITES, {"comment": "请补充"}),
        "report_accept": Case("POST", *on("accept/"), REVIEW_WRITES),
        "report_unlock": Case("POST", *on("unlock/"), REVIEW_WRITES, {"reason": "更正", "confirm": "on"}),
        "reporting_timeliness": Case(
            "GET", "/reports/timeliness/", "/reports/timeliness/", {**EVERYONE_LOGGED_IN, "inspector": _same(404)}
        ),
        "notifications": Case("GET", "/notifications/", "/notifications/", EVERYONE_LOGGED_IN),
        # A notification is its user's own: anyone else's is 404 (the matrix's users own none).
        "notification_read": Case(
            "POST",
            f"/notifications/{world['notification'].pk}/read/",
            f"/notifications/{world['notification'].pk}/read/",
            {**ANON, **{r: _same(404) for r in ROLES[1:]}},
        ),
        "notifications_read_all": Case(
            "POST", "/notifications/read-all/", "/notifications/read-all/", {r: _same(302) for r in ROLES}
        ),
    }


# Acceptance: an inspector reaches only their team's assignments; the commission runs rounds and decides objections;
# a district rectifies its own items.
NOT_ON_TEAM = {r: _same(404) for r in ("commission_admin", "reviewer", "heping_staff", "heping_street_staff")}
TEAM_ONLY = {**ANON, **NOT_ON_TEAM, "department_staff": _same(404)}
COMMISSION_ONLY = {**ANON, **{r: _same(404) for r in ROLES[1:]}}
COMMISSION_WRITES = {
    **ANON,
    "commission_admin": _same(302),
    "reviewer": _same(302),
    "heping_staff": (403, 404),
    "heping_street_staff": (403, 404),
    "department_staff": _same(403),
    "inspector": _same(404),
}
DISTRICT_WRITES = {
    **ANON,
    "commission_admin": _same(403),
    "reviewer": _same(403),
    "heping_staff": (302, 404),
    "heping_street_staff": (403, 404),
    "department_staff": _same(403),
    "inspector": _same(404),
}


def acceptance_cases(world: dict[str, Any]) -> dict[str, Case]:
    own, other = world["own_inspection"], world["other_inspection"]
    round_pk = world["round"].pk

    def pair(template: str, key: str) -> tuple[str, str]:
        return template.format(world[f"own_{key}"].pk), template.format(world[f"other_{key}"].pk)

    return {
        "inspection_assignments": Case("GET", "/inspect/", "/inspect/", EVERYONE_LOGGED_IN),
        # An assignment not started yet: opening its checklist must not start the inspection.
        "inspection_checklist": Case(
            "GET",
            *pair("/inspect/{}/", "waiting"),
            {**TEAM_ONLY, "inspector": (200, 404)},
        ),
        "inspection_start": Case(
            "POST", *pair("/inspect/{}/start/", "waiting"), {**TEAM_ONLY, "inspector": (200, 404)}
        ),
        "inspection_answer": Case(
            "POST",
            *pair("/inspect/answer/{}/", "inspection"),
            {**TEAM_ONLY, "inspector": (200, 404)},
            {"item": "1", "result": "meets"},
        ),
        "inspection_photo": Case(
            "POST", *pair("/inspect/photo/{}/", "inspection"), {**TEAM_ONLY, "inspector": (400, 404)}, {"item": "1"}
        ),
        "inspection_sign": Case(
            "GET", *pair("/inspect/sign/{}/", "inspection"), {**TEAM_ONLY, "inspector": (200, 404)}
        ),
        "inspection_sign_post": Case(
            "POST", *pair("/inspect/sign/{}/", "inspection"), {**TEAM_ONLY, "inspector": (400, 404)}
        ),
        "inspection_record": Case(
            "GET",
            *pair("/acceptance/inspections/{}/", "inspection"),
            {
                **ANON,
                "commission_admin": _same(200),
                "reviewer": _same(200),
                "heping_staff": (200, 404),
                "heping_street_staff": (200, 404),
                "department_staff": _same(200),
                "inspector": (200, 404),
            },
        ),
        "acceptance_rounds": Case(
            "GET",
            "/acceptance/rounds/",
            "/acceptance/rounds/",
            {**COMMISSION_ONLY, "commission_admin": _same(200), "reviewer": _same(200)},
        ),
        "acceptance_round": Case(
            "GET",
            f"/acceptance/rounds/{round_pk}/",
            f"/acceptance/rounds/{round_pk}/",
            {**COMMISSION_ONLY, "commission_admin": _same(200), "reviewer": _same(200)},
        ),
        # Extending a round is the commission administrator's; a reviewer reads the round but may not.
        "acceptance_round_extend": Case(
            "POST",
            f"/acceptance/rounds/{round_pk}/extend/",
            f"/acceptance/rounds/{round_pk}/extend/",
            {**COMMISSION_ONLY, "commission_admin": _same(302), "reviewer": _same(403)},
            {
                "closes_on": (world["round"].closes_on + datetime.timedelta(days=30)).isoformat(),
                "reason": "延期",
                "confirm": "on",
            },
        ),
        "acceptance_team_create": Case(
            "POST",
            f"/acceptance/rounds/{round_pk}/teams/",
            f"/acceptance/rounds/{round_pk}/teams/",
            {**COMMISSION_ONLY, "commission_admin": _same(302), "reviewer": _same(302)},
            {"name": "新组", "members": str(world["other_inspector"].pk)},
        ),
        "acceptance_assign": Case(
            "POST",
            f"/acceptance/rounds/{round_pk}/assign/",
            f"/acceptance/rounds/{round_pk}/assign/",
            {**COMMISSION_ONLY, "commission_admin": _same(302), "reviewer": _same(302)},
            {
                "team": str(world["own_team"].pk),
                "district": "120101",
                "street": "120101002",
                "kind": "first",
                "expected": "1",
            },
        ),
        "rectifications": Case(
            "GET",
            "/acceptance/rectifications/",
            "/acceptance/rectifications/",
            {**EVERYONE_LOGGED_IN, "inspector": _same(404)},
        ),
        "rectification_done": Case(
            "POST",
            *pair("/acceptance/rectifications/{}/done/", "rectification"),
            # The team that inspects the community reads its rectifications on the acceptance record.
            {**DISTRICT_WRITES, "inspector": (403, 404)},
            {"note": "已整改"},
        ),
        "reinspection_request": Case(
            "POST",
            f"/acceptance/communities/{world['own_rectification'].community.code}/reinspection/",
            f"/acceptance/communities/{world['other_rectification'].community.code}/reinspection/",
            DISTRICT_WRITES,
            {"confirm": "on"},
        ),
        "acceptance_record": Case(
            "GET",
            f"/acceptance/communities/{own.community.code}/",
            f"/acceptance/communities/{other.community.code}/",
            {
                **ANON,
                "commission_admin": _same(200),
                "reviewer": _same(200),
                "heping_staff": (200, 404),
                "heping_street_staff": (200, 404),
                "department_staff": _same(200),
                "inspector": (200, 404),
            },
        ),
        # Opening a re-check round and revoking a title are the commission administrator's.
        "recheck_round_new": Case(
            "GET",
            "/acceptance/rechecks/new/",
            "/acceptance/rechecks/new/",
            {**COMMISSION_ONLY, "commission_admin": _same(200), "reviewer": _same(403)},
        ),
        "revocation_new": Case(
            "GET",
            f"/acceptance/communities/{own.community.code}/revoke/",
            f"/acceptance/communities/{other.community.code}/revoke/",
            {**COMMISSION_ONLY, "commission_admin": _same(200), "reviewer": _same(403)},
        ),
        "objection_create": Case(
            "POST",
            *pair("/acceptance/inspections/{}/objections/", "passed"),
            {**COMMISSION_WRITES, "inspector": (403, 404)},  # the team reads its own record
            {"received_on": datetime.date.today().isoformat(), "text": "异议"},
        ),
        "objection_decide": Case(
            "POST",
            *pair("/acceptance/objections/{}/decide/", "objection"),
            {**COMMISSION_WRITES, "inspector": (403, 404)},
            {"decision": "dismissed", "note": "理由", "confirm": "on"},
        ),
        "acceptance_items": Case(
            "GET",
            "/acceptance/items/?district=120101",
            "/acceptance/items/?district=120103",
            {
                **ANON,
                "commission_admin": _same(200),
                "reviewer": _same(200),
                "heping_staff": (200, 404),
                "heping_street_staff": _same(404),
                "department_staff": _same(200),
                "inspector": _same(404),
            },
        ),
    }


CITY_DASHBOARD = {
    **ANON,
    **{r: _same(404) for r in ROLES[1:]},
    **{r: _same(200) for r in ("commission_admin", "reviewer", "department_staff")},
}
DISTRICT_SCOPED = {
    **ANON,
    **CITY_READERS_OK,
    "heping_staff": (200, 404),
    "heping_street_staff": (200, 404),
    "inspector": _same(404),
}
DOCUMENT_READERS = {
    **ANON,
    "commission_admin": _same(200),
    "reviewer": _same(200),
    "heping_staff": (200, 404),
    "heping_street_staff": _same(404),
    "department_staff": _same(404),  # departments read the city's documents, not a district's
    "inspector": _same(404),
}


def dashboard_cases(world: dict[str, Any]) -> dict[str, Case]:
    own_doc, other_doc = world["own_document"], world["other_document"]
    return {
        "dashboard": Case(
            "GET",
            "/dashboard/",
            "/dashboard/",
            {**CITY_DASHBOARD, "heping_staff": _same(302), "heping_street_staff": _same(302)},
        ),
        "dashboard_district": Case(
            "GET", "/dashboard/district/120101/", "/dashboard/district/120103/", DISTRICT_SCOPED
        ),
        "dashboard_department": Case("GET", "/dashboard/department/", "/dashboard/department/", CITY_DASHBOARD),
        # The drill-down below a district's dashboard: street staff read only their own street's.
        "dashboard_street": Case(
            "GET", f"/dashboard/street/{OWN_STREET}/", f"/dashboard/street/{OTHER_STREET}/", DISTRICT_SCOPED
        ),
        "dashboard_community": Case(
            "GET",
            f"/dashboard/community/{world['own_community'].code}/",
            f"/dashboard/community/{world['other_community'].code}/",
            DISTRICT_SCOPED,
        ),
        # Item 5 is the housing commission's (the department of `department_staff`).
        "dashboard_item_failures": Case(
            "GET",
            "/dashboard/department/items/5/failed/?district=120101",
            "/dashboard/department/items/5/failed/?district=120103",
            CITY_DASHBOARD,
        ),
        "dashboard_export": Case(
            "GET",
            "/dashboard/export.xlsx?table=streets&district=120101",
            "/dashboard/export.xlsx?table=streets&district=120103",
            DISTRICT_SCOPED,
        ),
        "dashboard_map": Case(
            "GET",
            "/dashboard/map/tianjin-districts.geojson",
            "/dashboard/map/tianjin-districts.geojson",
            {**ANON, **{r: _same(200) for r in ROLES[1:]}, "inspector": _same(404)},
        ),
        "documents": Case(
            "GET",
            "/documents/",
            "/documents/",
            {
                **ANON,
                **{r: _same(200) for r in ("commission_admin", "reviewer", "heping_staff", "department_staff")},
                "heping_street_staff": _same(404),
                "inspector": _same(404),
            },
        ),
        # A district asks only for its own district's documents (the district is set per scope in the test).
        "document_request": Case(
            "POST",
            "/documents/request/",
            "/documents/request/",
            {
                **ANON,
                "commission_admin": _same(302),
                "reviewer": _same(302),
                "heping_staff": (302, 404),
                "heping_street_staff": _same(404),
                "department_staff": _same(404),
                "inspector": _same(404),
            },
            {"kind": "district-monthly", "period": "2021-04"},
        ),
        "document_status": Case(
            "GET", f"/documents/{own_doc.pk}/status/", f"/documents/{other_doc.pk}/status/", DOCUMENT_READERS
        ),
        "document_download": Case(
            "GET", f"/documents/{own_doc.pk}/download/", f"/documents/{other_doc.pk}/download/", DOCUMENT_READERS
        ),
    }


API_ANON = {"anonymous": _same(401)}
# The API is read-only: any write is refused before any lookup, in scope or not (anonymous: not signed in).
API_WRITE_REFUSED = {**API_ANON, **{r: _same(405) for r in ROLES[1:]}}
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
        "api-community-detail_post": Case(
            "POST",
            f"{base}/communities/{own_c.code}/",
            f"{base}/communities/{other_c.code}/",
            API_WRITE_REFUSED,
            {"name": "改名"},
        ),
        "api-community-detail_put": Case(
            "PUT", f"{base}/communities/{own_c.code}/", f"{base}/communities/{other_c.code}/", API_WRITE_REFUSED
        ),
        "api-community-detail_patch": Case(
            "PATCH",
            f"{base}/communities/{own_c.code}/",
            f"{base}/communities/{other_c.code}/",
            API_WRITE_REFUSED,
            {"households": 1},
        ),
        "api-community-detail_delete": Case(
            "DELETE", f"{base}/communities/{own_c.code}/", f"{base}/communities/{other_c.code}/", API_WRITE_REFUSED
        ),
        "api-community-list_post": Case(
            "POST", f"{base}/communities/", f"{base}/communities/", API_WRITE_REFUSED, {"code": "120101001999"}
        ),
        "api-district-list_post": Case("POST", f"{base}/districts/", f"{base}/districts/", API_WRITE_REFUSED),
        "api-district-detail_delete": Case(
            "DELETE", f"{base}/districts/120101/", f"{base}/districts/120103/", API_WRITE_REFUSED
        ),
        "api-street-detail_put": Case(
            "PUT", f"{base}/streets/{OWN_STREET}/", f"{base}/streets/{OTHER_STREET}/", API_WRITE_REFUSED
        ),
        "api-progress-list_post": Case("POST", f"{base}/progress/", f"{base}/progress/", API_WRITE_REFUSED),
        "api-standard-detail_patch": Case(
            "PATCH", f"{base}/standards/1/", f"{base}/standards/1/", API_WRITE_REFUSED, {"name": "改"}
        ),
        "api-progress-list": Case(
            "GET",
            f"{base}/progress/?level=street&district=120101",
            f"{base}/progress/?level=street&district=120103",
            API_SCOPED,
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
            {**API_ANON, **{r: _same(200) for r in EVERY_USER}},
        ),
        "api_schema_post": Case(
            "POST",
            f"{base}/schema/",
            f"{base}/schema/",
            {**API_ANON, **{r: _same(405) for r in EVERY_USER}},
        ),
        "api_token": Case(
            "POST",
            f"{base}/auth/token/",
            f"{base}/auth/token/",
            {r: _same(400) for r in ROLES},
            {"username": "nobody", "password": "wrong"},
        ),
        "api_token_get": Case("GET", f"{base}/auth/token/", f"{base}/auth/token/", {r: _same(405) for r in ROLES}),
        # Any other address under the API is a JSON 404 for everyone, saying nothing about what exists.
        "api_not_found": Case(
            "GET",
            f"{base}/no-such-thing/",
            f"{base}/communities/120101001/no-such-part/",
            {r: _same(404) for r in ROLES},
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


# A case's drafts are read by its district's staff and the commission only; a published case by everyone.
CASE_DRAFT_READERS = {
    **ANON,
    "commission_admin": _same(200),
    "reviewer": _same(200),
    "heping_staff": (200, 404),
    "heping_street_staff": _same(404),
    "department_staff": _same(404),
    "inspector": _same(404),
}
# Writing a case: its district's staff (302 after the step, or the refusal, is shown on the case page).
CASE_WRITE = {**CASE_DRAFT_READERS, "commission_admin": _same(403), "reviewer": _same(403), "heping_staff": (302, 404)}
# Reviewing: the commission; its district's staff read the draft but may not review it.
CASE_REVIEW = {**CASE_DRAFT_READERS, "commission_admin": _same(302), "reviewer": _same(302), "heping_staff": (403, 404)}
PROPOSERS = ("heping_staff", "department_staff")


def experience_cases(world: dict[str, Any]) -> dict[str, Case]:
    own, other = world["own_case"], world["other_case"]
    own_c = world["own_community"]
    everyone = {**ANON, **{r: _same(200) for r in ROLES[1:]}}
    only_district = {**ANON, **{r: _same(403) for r in ROLES[1:]}}
    item = world["item_1"]
    case_data = {
        "title": "楼道微更新",
        "communities": [own_c.pk],
        "items": [item.pk],
        "measures": "做法",
        "results": "成效",
    }
    return {
        "experience_list": Case("GET", "/experience/?item=5&q=楼道", "/experience/?district=120103", everyone),
        "experience_create": Case(
            "GET", "/experience/new/", "/experience/new/", {**only_district, "heping_staff": _same(200)}
        ),
        "experience_create_post": Case(
            "POST", "/experience/new/", "/experience/new/", {**only_district, "heping_staff": _same(302)}, case_data
        ),
        "experience_detail": Case("GET", f"/experience/{own.pk}/", f"/experience/{other.pk}/", CASE_DRAFT_READERS),
        "experience_detail_published": Case(
            "GET",
            f"/experience/{world['own_published'].pk}/",
            f"/experience/{world['other_published'].pk}/",
            everyone,
        ),
        "experience_edit": Case(
            "GET",
            f"/experience/{own.pk}/edit/",
            f"/experience/{other.pk}/edit/",
            {**CASE_WRITE, "heping_staff": (200, 404)},
        ),
        "experience_edit_post": Case(
            "POST", f"/experience/{own.pk}/edit/", f"/experience/{other.pk}/edit/", CASE_WRITE, case_data
        ),
        "experience_file_upload": Case(
            "POST", f"/experience/{own.pk}/files/", f"/experience/{other.pk}/files/", CASE_WRITE
        ),
        "experience_file_remove": Case(
            "POST",
            f"/experience/{own.pk}/files/{world['own_case_file'].public_id}/remove/",
            f"/experience/{other.pk}/files/{world['other_case_file'].public_id}/remove/",
            CASE_WRITE,
        ),
        "experience_submit": Case(
            "POST", f"/experience/{own.pk}/submit/", f"/experience/{other.pk}/submit/", CASE_WRITE
        ),
        "experience_return": Case(
            "POST", f"/experience/{own.pk}/return/", f"/experience/{other.pk}/return/", CASE_REVIEW, {"comment": "改"}
        ),
        "experience_publish": Case(
            "POST", f"/experience/{own.pk}/publish/", f"/experience/{other.pk}/publish/", CASE_REVIEW, {"confirm": "on"}
        ),
        "experience_promote": Case(
            "POST",
            f"/experience/{own.pk}/promote/",
            f"/experience/{other.pk}/promote/",
            CASE_REVIEW,
            {"replicable": "on"},
        ),
        "experience_events": Case("GET", "/experience/events/", "/experience/events/", everyone),
        "experience_events_post": Case(
            "POST",
            "/experience/events/",
            "/experience/events/",
            {**only_district, "commission_admin": _same(302), "reviewer": _same(302)},
            {
                "kind": "exchange",
                "title": "经验交流会",
                "held_on": "2022-06-01",
                "host": "市住房城乡建设委",
                "attendees": "各区",
            },
        ),
    }


def commendation_cases(world: dict[str, Any]) -> dict[str, Case]:
    own, other = world["own_commendation"], world["other_commendation"]
    everyone = {**ANON, **{r: _same(200) for r in ROLES[1:]}}
    proposers_only = {**ANON, **{r: _same(403) for r in ROLES[1:]}}
    decide = {
        **ANON,
        "commission_admin": _same(302),
        "reviewer": _same(302),
        "heping_staff": (403, 404),
        "heping_street_staff": _same(404),
        "department_staff": _same(404),
        "inspector": _same(404),
    }
    return {
        "commendation_list": Case("GET", "/commendations/?year=2021", "/commendations/", everyone),
        "commendation_proposals": Case(
            "GET",
            "/commendations/proposals/",
            "/commendations/proposals/",
            {**everyone, "heping_street_staff": _same(404), "inspector": _same(404)},
        ),
        "commendation_propose": Case(
            "GET",
            "/commendations/new/",
            "/commendations/new/",
            {**proposers_only, **{r: _same(200) for r in PROPOSERS}},
        ),
        "commendation_propose_post": Case(
            "POST",
            "/commendations/new/",
            "/commendations/new/",
            {**proposers_only, **{r: _same(302) for r in PROPOSERS}},
            {"year": "2021", "kind": "individual", "name": "王芳", "reason": "带领居民完成楼道改造"},
        ),
        "commendation_approve": Case(
            "POST", f"/commendations/{own.pk}/approve/", f"/commendations/{other.pk}/approve/", decide
        ),
        "commendation_decline": Case(
            "POST",
            f"/commendations/{own.pk}/decline/",
            f"/commendations/{other.pk}/decline/",
            decide,
            {"reason": "材料不足"},
        ),
    }


def _experience_world(own, other) -> dict[str, Any]:
    """For 和平区 ("own") and 河西区 ("other"): a draft case with a photo, a published case and a commendation
    proposal, through the services."""
    from reporting.commendations.services import commendation_propose
    from reporting.experience import services as experience
    from standards.models import StandardItem

    reviewer = get_user_model().objects.create_user(username="case-reviewer")
    Membership.objects.create(user=reviewer, role="commission_reviewer")
    items = list(StandardItem.objects.filter(number=5))
    world: dict[str, Any] = {"item_1": StandardItem.objects.get(number=1)}
    for side, communities, code in (("own", own, "120101"), ("other", other, "120103")):
        staff = _user(f"case-writer-{code}", code)
        made = {
            name: experience.case_create(
                district=District.objects.get(code=code),
                title=f"{side}{name}",
                communities=[communities[0]],
                items=items,
                measures="居民议事会商定方案。",
                results="楼道整洁。",
                by=staff,
            )
            for name in ("case", "published")
        }
        world[f"{side}_case"] = made["case"]
        world[f"{side}_case_file"] = experience.case_file_add(
            case=made["case"],
            upload=SimpleUploadedFile("现场.png", _png(), content_type="image/png"),
            by=staff,
        )
        experience.case_submit(case=made["published"], by=staff)
        world[f"{side}_published"] = experience.case_publish(case=made["published"], by=reviewer)
        world[f"{side}_commendation"] = commendation_propose(
            year=2021, kind="unit", name=f"{side}社区居委会", reason="创建成效显著", by=staff
        )
    return world


def funds_cases(world: dict[str, Any]) -> dict[str, Case]:
    """Funds (资金) and responsible officials: a district sees and keeps only its own; the commission reads all."""
    own, other = world["own_funds"].pk, world["other_funds"].pk
    district_write = {
        **ANON,
        "commission_admin": _same(200),
        "reviewer": _same(403),
        "department_staff": _same(403),
        "heping_staff": (200, 404),
        "heping_street_staff": (403, 404),
        "inspector": _same(404),
    }
    district_post = {**district_write, "commission_admin": _same(302), "heping_staff": (302, 404)}
    district_read = {
        **ANON,
        **CITY_READERS_OK,
        "heping_staff": (200, 404),
        "heping_street_staff": (200, 404),
        "inspector": _same(404),
    }
    importers = {**ANON, **{r: _same(403) for r in ROLES[1:] if r not in IMPORTERS}}
    token = "/funds/import/6f1c2b9e-0000-4000-8000-000000000000/"
    unit_own = {
        **ANON,
        "commission_admin": _same(403),
        "reviewer": _same(403),
        "department_staff": _same(403),
        "heping_staff": (200, 404),
        "heping_street_staff": (403, 404),
        "inspector": _same(404),
    }
    department_own = {
        **ANON,
        "commission_admin": _same(403),
        "reviewer": _same(403),
        "department_staff": (200, 404),
        "heping_staff": _same(404),
        "heping_street_staff": _same(404),
        "inspector": _same(404),
    }
    return {
        "funds_home": Case(
            "GET",
            "/funds/",
            "/funds/",
            {
                **ANON,
                **CITY_READERS_OK,
                "heping_staff": _same(302),
                "heping_street_staff": _same(302),
                "inspector": _same(404),
            },
        ),
        "funds_district": Case("GET", "/funds/district/120101/", "/funds/district/120103/", district_read),
        "funds_export": Case(
            "GET", "/funds/export.xlsx?district=120101", "/funds/export.xlsx?district=120103", district_read
        ),
        "funds_entry_create": Case("GET", "/funds/district/120101/new/", "/funds/district/120103/new/", district_write),
        # An empty form is shown again with its errors (200) to those who may record funds.
        "funds_entry_create_post": Case(
            "POST", "/funds/district/120101/new/", "/funds/district/120103/new/", district_write, {}
        ),
        "funds_entry_edit": Case("GET", f"/funds/entries/{own}/edit/", f"/funds/entries/{other}/edit/", district_write),
        "funds_entry_edit_post": Case(
            "POST",
            f"/funds/entries/{own}/edit/",
            f"/funds/entries/{other}/edit/",
            district_post,
            {"committed": "1000", "spent": "10"},
        ),
        "funds_entry_delete": Case(
            "GET", f"/funds/entries/{own}/delete/", f"/funds/entries/{other}/delete/", district_write
        ),
        "funds_entry_delete_post": Case(
            "POST", f"/funds/entries/{own}/delete/", f"/funds/entries/{other}/delete/", district_post
        ),
        "funds_import": Case(
            "GET", "/funds/import/", "/funds/import/", {**importers, **{r: _same(200) for r in IMPORTERS}}
        ),
        "funds_import_template": Case(
            "GET",
            "/funds/import/template.xlsx",
            "/funds/import/template.xlsx",
            {**importers, **{r: _same(200) for r in IMPORTERS}},
        ),
        "funds_import_preview": Case("GET", token, token, {**importers, **{r: _same(404) for r in IMPORTERS}}),
        "funds_import_preview_post": Case("POST", token, token, {**importers, **{r: _same(404) for r in IMPORTERS}}),
        "funds_import_cancel": Case(
            "POST", f"{token}cancel/", f"{token}cancel/", {**importers, **{r: _same(404) for r in IMPORTERS}}
        ),
        "officials_list": Case(
            "GET",
            "/officials/",
            "/officials/",
            {
                **ANON,
                **CITY_READERS_OK,
                "heping_staff": _same(200),
                "heping_street_staff": _same(404),
                "inspector": _same(404),
            },
        ),
        "officials_edit_district": Case("GET", "/officials/district/120101/", "/officials/district/120103/", unit_own),
        "officials_edit_district_post": Case(
            "POST",
            "/officials/district/120101/",
            "/officials/district/120103/",
            {**unit_own, "heping_staff": (302, 404)},
            {"bureau-name": "王建国", "bureau-title": "副区长", "bureau-phone": "022-27300000"},
        ),
        "officials_edit_department": Case(
            "GET", "/officials/department/zjw/", "/officials/department/fgw/", department_own
        ),
        "officials_edit_department_post": Case(
            "POST",
            "/officials/department/zjw/",
            "/officials/department/fgw/",
            {**department_own, "department_staff": (302, 404)},
            {"division-name": "李红梅", "division-title": "村镇建设处处长", "division-phone": "022-58000000"},
        ),
    }


# Roster releases: the commission's administrators only; anyone else is told the page does not exist.
RELEASE_ADMIN = {r: _same(404) for r in ROLES[1:] if r != "commission_admin"}


def campaign_cases(world: dict[str, Any]) -> dict[str, Case]:
    """Opening campaigns and editing their standard: the commission's administrators only (Issue 17 item 3)."""
    campaign = Campaign.objects.current()
    assert campaign is not None
    base = f"/campaigns/{campaign.pk}/"
    item = campaign.standard.items.get(number=1)
    admin_only = {**ANON, **RELEASE_ADMIN}
    return {
        "campaign_list": Case("GET", "/campaigns/", "/campaigns/", {**admin_only, "commission_admin": _same(200)}),
        "campaign_new": Case(
            "GET", "/campaigns/new/", "/campaigns/new/", {**admin_only, "commission_admin": _same(200)}
        ),
        "standard_import": Case(
            "GET",
            "/campaigns/standard-import/",
            "/campaigns/standard-import/",
            {**admin_only, "commission_admin": _same(200)},
        ),
        "standard_import_post": Case(
            "POST",
            "/campaigns/standard-import/",
            "/campaigns/standard-import/",
            {**admin_only, "commission_admin": _same(400)},
        ),
        "campaign_new_post": Case(
            "POST", "/campaigns/new/", "/campaigns/new/", {**admin_only, "commission_admin": _same(400)}
        ),
        "campaign_standard": Case(
            "GET", f"{base}standard/", f"{base}standard/", {**admin_only, "commission_admin": _same(200)}
        ),
        "campaign_standard_add": Case(
            "POST", f"{base}standard/add/", f"{base}standard/add/", {**admin_only, "commission_admin": _same(400)}
        ),
        "campaign_standard_item": Case(
            "POST",
            f"{base}standard/items/{item.pk}/",
            f"{base}standard/items/{item.pk}/",
            {**admin_only, "commission_admin": _same(400)},
        ),
        "campaign_make_current": Case(
            "GET", f"{base}current/", f"{base}current/", {**admin_only, "commission_admin": _same(200)}
        ),
        "campaign_make_current_post": Case(
            "POST", f"{base}current/", f"{base}current/", {**admin_only, "commission_admin": _same(400)}
        ),
    }


def release_cases(world: dict[str, Any]) -> dict[str, Case]:
    base = f"/roster/releases/{world['release'].pk}/"
    return {
        "roster_releases": Case(
            "GET", "/roster/releases/", "/roster/releases/", {**ANON, **RELEASE_ADMIN, "commission_admin": _same(200)}
        ),
        "roster_releases_post": Case(
            "POST", "/roster/releases/", "/roster/releases/", {**ANON, **RELEASE_ADMIN, "commission_admin": _same(400)}
        ),
        "roster_release": Case("GET", base, base, {**ANON, **RELEASE_ADMIN, "commission_admin": _same(200)}),
        "roster_release_status": Case(
            "GET", f"{base}status/", f"{base}status/", {**ANON, **RELEASE_ADMIN, "commission_admin": _same(200)}
        ),
        "roster_release_apply": Case(
            "POST", f"{base}apply/", f"{base}apply/", {**ANON, **RELEASE_ADMIN, "commission_admin": _same(302)}
        ),
        "roster_release_discard": Case(
            "POST", f"{base}discard/", f"{base}discard/", {**ANON, **RELEASE_ADMIN, "commission_admin": _same(302)}
        ),
    }


def _supervision_world() -> dict[str, Any]:
    """Supervision: "own" opened by the department of `department_staff` (市住房城乡建设委) on 和平区, "other" by the
    commission on 河西区, each with a required action its district has answered."""
    from reporting.supervision import services as supervision_services

    User = get_user_model()
    opener = User.objects.create_user(username="dept-zjw-colleague")
    Membership.objects.create(user=opener, role="department_staff", department=Department.objects.get(code="zjw"))
    commission = User.objects.create_user(username="reviewer-colleague")
    Membership.objects.create(user=commission, role="commission_reviewer")
    world: dict[str, Any] = {}
    for side, code, by in (("own", "120101", opener), ("other", "120103", commission)):
        district = District.objects.get(code=code)
        action = supervision_services.supervision_open(
            kind="directive", title="督办", held_on=datetime.date(2021, 6, 18), districts=[district], by=by
        )
        required = supervision_services.required_action_set(
            supervision=action, district=district, text="整改", due_on=datetime.date(2099, 1, 1), by=by
        )
        supervision_services.required_action_answer(
            required=required, text="已办", by=get_user_model().objects.get(username=f"filer-{code}")
        )
        world[f"{side}_supervision"], world[f"{side}_required"] = action, required
    return world


def supervision_cases(world: dict[str, Any]) -> dict[str, Case]:
    own, other = world["own_supervision"].pk, world["other_supervision"].pk
    own_ra, other_ra = world["own_required"].pk, world["other_required"].pk
    readers = {**ANON, **{r: _same(200) for r in ROLES[1:]}, "inspector": _same(404)}
    openers = {**ANON, "heping_staff": _same(403), "heping_street_staff": _same(403), "inspector": _same(404)}
    # "own" is the department's, "other" the commission's: each may change only its own.
    managers = {
        **ANON,
        "commission_admin": (403, 302),
        "reviewer": (403, 302),
        "department_staff": (302, 404),
        "heping_staff": (403, 404),
        "heping_street_staff": (403, 404),
        "inspector": _same(404),
    }
    header = {"kind": "directive", "title": "督办", "held_on": "2021-06-18", "districts": ["120101", "120103"]}
    return {
        "supervision_list": Case("GET", "/supervision/", "/supervision/", readers),
        "supervision_create": Case("GET", "/supervision/new/", "/supervision/new/", {**openers, **CITY_READERS_OK}),
        "supervision_create_post": Case(
            "POST",
            "/supervision/new/",
            "/supervision/new/",
            {**openers, **{r: _same(302) for r in CITY_READERS_OK}},
            {"kind": "survey", "title": "调研", "held_on": "2021-06-01", "districts": ["120101"]},
        ),
        # A district (and its streets) read only what targets it; a department only what it opened.
        "supervision_detail": Case(
            "GET",
            f"/supervision/{own}/",
            f"/supervision/{other}/",
            {
                **ANON,
                "commission_admin": _same(200),
                "reviewer": _same(200),
                "department_staff": (200, 404),
                "heping_staff": (200, 404),
                "heping_street_staff": (200, 404),
                "inspector": _same(404),
            },
        ),
        "supervision_edit": Case(
            "GET",
            f"/supervision/{own}/edit/",
            f"/supervision/{other}/edit/",
            {**managers, "commission_admin": (403, 200), "reviewer": (403, 200), "department_staff": (200, 404)},
        ),
        "supervision_finding_add": Case(
            "POST",
            f"/supervision/{own}/findings/",
            f"/supervision/{other}/findings/",
            managers,
            {"item": "5", "text": "问题"},
        ),
        "supervision_required_add": Case(
            "POST",
            f"/supervision/{own}/actions/",
            f"/supervision/{other}/actions/",
            managers,
            {"district": "120101", "text": "整改", "due_on": "2099-01-01"},
        ),
        # Only the district's own staff answer; everyone else who reads it is refused.
        "supervision_required_answer": Case(
            "POST",
            f"/supervision/actions/{own_ra}/answer/",
            f"/supervision/actions/{other_ra}/answer/",
            {
                **ANON,
                "commission_admin": _same(403),
                "reviewer": _same(403),
                "department_staff": (403, 404),
                "heping_staff": (302, 404),
                "heping_street_staff": (403, 404),
                "inspector": _same(404),
            },
            {"text": "已办"},
        ),
        "supervision_required_return": Case(
            "POST",
            f"/supervision/actions/{own_ra}/return/",
            f"/supervision/actions/{other_ra}/return/",
            managers,
            {"reason": "补充材料", "confirm": "on"},
        ),
        "supervision_required_close": Case(
            "POST",
            f"/supervision/actions/{own_ra}/close/",
            f"/supervision/actions/{other_ra}/close/",
            managers,
            {"confirm": "on"},
        ),
        "supervision_edit_post": Case(
            "POST", f"/supervision/{own}/edit/", f"/supervision/{other}/edit/", managers, header
        ),
    }


# URL names that are exercised by the "_post" variants above or are served by a whole app with its own checks.
COVERED_ELSEWHERE = {"community_edit"}


# Refinements (细化指标): a district writes its own, the commission decides, the city's readers compare; the city
# sees a district's refinement once it is submitted (the world's are), a district never sees another's.
def refinement_cases(world: dict[str, Any]) -> dict[str, Case]:
    own, other = world["own_refinement"].pk, world["other_refinement"].pk

    def pair(template: str) -> tuple[str, str]:
        return template.format(own), template.format(other)

    not_district = {"commission_admin": _same(403), "reviewer": _same(403), "department_staff": _same(403)}
    return {
        "refinement_list": Case(
            "GET",
            "/refinements/",
            "/refinements/",
            {
                **ANON,
                **{r: _same(302) for r in ("commission_admin", "reviewer", "department_staff")},
                "heping_staff": _same(200),
                "heping_street_staff": _same(200),
                "inspector": _same(404),
            },
        ),
        "refinement_create": Case(
            "GET",
            "/refinements/new/?item=5",
            "/refinements/new/?item=5",
            {
                **ANON,
                **not_district,
                "heping_staff": _same(200),
                "heping_street_staff": _same(403),
                "inspector": _same(403),
            },
        ),
        "refinement_review": Case(
            "GET",
            "/refinements/review/",
            "/refinements/review/",
            {
                **ANON,
                "commission_admin": _same(200),
                "reviewer": _same(200),
                **{r: _same(403) for r in ("heping_staff", "heping_street_staff", "department_staff", "inspector")},
            },
        ),
        "refinement_compare": Case(
            "GET",
            "/refinements/compare/",
            "/refinements/compare/",
            {
                **ANON,
                **CITY_READERS_OK,
                **{r: _same(403) for r in ("heping_staff", "heping_street_staff", "inspector")},
            },
        ),
        "refinement_detail": Case(
            "GET",
            *pair("/refinements/{}/"),
            {
                **ANON,
                **CITY_READERS_OK,
                "heping_staff": (200, 404),
                "heping_street_staff": (200, 404),
                "inspector": _same(404),
            },
        ),
        "refinement_edit": Case("GET", *pair("/refinements/{}/edit/"), {**DISTRICT_WRITES, "heping_staff": (200, 404)}),
        "refinement_submit": Case("POST", *pair("/refinements/{}/submit/"), DISTRICT_WRITES),
        "refinement_approve": Case("POST", *pair("/refinements/{}/approve/"), COMMISSION_WRITES, {"confirm": "on"}),
        "refinement_return": Case("POST", *pair("/refinements/{}/return/"), COMMISSION_WRITES, {"reason": "不够具体"}),
        "refinement_withdraw": Case("POST", *pair("/refinements/{}/withdraw/"), DISTRICT_WRITES, {"confirm": "on"}),
    }


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


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world and its inspector, built once for the module (not once per role and scope) and rolled back after
    it; each test runs in a savepoint of it, so what a test's requests write is gone before the next one."""
    with (
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("matrix-media")),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        member = get_user_model().objects.create_user(username="inspector-1", password=PASSWORD)
        Membership.objects.create(user=member, role=Role.INSPECTOR)
        yield _build_world(member), member
        transaction.set_rollback(True)


@pytest.fixture
def inspector(matrix_world):
    """The world's inspector (conftest's fixture would add a second user of the same name)."""
    return matrix_world[1]


@pytest.fixture
def world(db, matrix_world):
    return matrix_world[0]


def _build_world(inspector) -> dict[str, Any]:
    campaign = Campaign.objects.current()
    assert campaign is not None
    own = Community.objects.filter(street__code=OWN_STREET).order_by("code")
    other = Community.objects.filter(street__code=OTHER_STREET).order_by("code")
    own_enrolled, other_enrolled = own[1], other[1]
    day = datetime.date(2020, 12, 1)
    world = {
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
    for scope, code in (("own", "120101"), ("other", "120103")):
        staff = _user(f"filer-{code}", code)
        report = report_open(
            campaign=campaign,
            kind="monthly",
            period=datetime.date(2021, 3, 1),
            district=District.objects.get(code=code),
            by=staff,
        )
        world[f"{scope}_report"] = report
        world[f"{scope}_row"] = SelfAssessment.objects.get(district=report.district, period=report.period)
        world[f"{scope}_evidence"] = evidence_add(
            upload=SimpleUploadedFile("现场.png", _png(), content_type="image/png"),
            by=staff,
            district=report.district,
            owner=report,
        )
    world["notification"] = Notification.objects.create(user=_user("someone-else", "120101"), key="k", message="m")
    world.update(_acceptance_world(inspector, own, other))
    world.update(_supervision_world())
    world.update(_funds_world(own, other))
    world["release"] = RosterRelease.objects.create(
        filename="tianjin.csv", sha256="0" * 64, effective_on=datetime.date(2022, 1, 1), scope=["120101"]
    )
    world["release"].file.save("tianjin.csv", ContentFile(TIANJIN_CSV.read_bytes()))
    world.update(_experience_world(own, other))
    for scope, code in (("own", "120101"), ("other", "120103")):
        staff = _user(f"refiner-{code}", code)
        draft = refinement_create(
            district=District.objects.get(code=code), item=StandardItem.objects.get(number=5), text="细化", by=staff
        )
        world[f"{scope}_refinement"] = refinement_submit(refinement=draft, by=staff)
    for scope, code in (("own", "120101"), ("other", "120103")):
        document = GeneratedDocument(
            campaign=Campaign.objects.current(),
            kind="district-monthly",
            period="2021-03",
            scope_code=code,
            status="done",
        )
        document.file.save(f"{code}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
        world[f"{scope}_document"] = document
    return world


def _acceptance_world(inspector, own, other) -> dict[str, Any]:
    """A round open today with one team per side: an assignment not started yet, an open inspection, a failed one
    (a rectification) and a passed one (under notice, with a pending objection), for 和平区 ("own", inspector-1's
    team) and 河西区 ("other")."""
    today = timezone.localdate()
    round_ = round_create(
        name="验收",
        year=today.year,
        opens_on=today - datetime.timedelta(days=60),
        closes_on=today + datetime.timedelta(days=30),
        notice_days=7,
        by=None,
    )
    other_inspector = get_user_model().objects.create_user(username="inspector-other")
    Membership.objects.create(user=other_inspector, role="inspector")
    world: dict[str, Any] = {"round": round_, "other_inspector": other_inspector}
    for side, communities, member in (("own", own, inspector), ("other", other, other_inspector)):
        team = team_create(round=round_, name=f"{side}组", members=[member], by=None)
        world[f"{side}_team"] = team
        waiting, opened, failing, passing = assignments_create(
            round=round_, communities=communities[3:7], team=team, by=None
        )
        world[f"{side}_waiting"] = waiting
        world[f"{side}_inspection"] = inspection_start(assignment=opened, by=member)
        for assignment, fail in ((failing, True), (passing, False)):
            inspection = inspection_start(assignment=assignment, by=member)
            for n in range(1, 17):
                failed = fail and n == 5
                answer_save(
                    inspection=inspection,
                    item_number=n,
                    result="fails" if failed else "meets",
                    note="缺" if failed else "",
                    by=member,
                )
            world[f"{side}_{'failed' if fail else 'passed'}"] = inspection_sign(inspection=inspection, by=member)
        world[f"{side}_rectification"] = Rectification.objects.get(inspection=world[f"{side}_failed"])
        world[f"{side}_objection"] = objection_record(
            inspection=world[f"{side}_passed"], received_on=world[f"{side}_passed"].signed_on, text="有异议", by=None
        )
    return world


def _user(username: str, district: str):
    user = get_user_model().objects.create_user(username=username)
    Membership.objects.create(user=user, role="district_staff", district=District.objects.get(code=district))
    return user


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def test_every_url_is_in_the_matrix(world):
    in_matrix = {re.sub(r"_(post|put|patch|delete|get)$", "", name) for name in cases(world)}
    missing = _url_names() - in_matrix - COVERED_ELSEWHERE
    assert not missing, f"URLs without a row in the permission matrix: {sorted(missing)}"


def _close(response) -> None:
    """Close a streamed download's file, as the end of a real request does, without the end-of-request handler that
    would close the test's database connection (the test client disconnects it the same way)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("scope", ["own", "other"])
def test_permission_matrix(request, client, world, subtests, role, scope):
    """Each URL is its own subtest, reported by name, so one failure does not hide the rest (the world is built
    once per role and scope, not once per URL)."""
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    for name, case in cases(world).items():
        if role not in case.expect:
            continue
        with subtests.test(msg=name, method=case.method):
            _check_case(client, world, name, case, role, scope)
        if name in {"logout", "set_language"} and role != "anonymous":
            client.force_login(request.getfixturevalue(role))


def _check_case(client, world: dict[str, Any], name: str, case: Case, role: str, scope: str) -> None:
    path = case.own if scope == "own" else case.other
    data = dict(case.data or {})
    if name == "enrolment_enrol":
        data["community"] = (world["own_candidate"] if scope == "own" else world["other_candidate"]).code
    if name == "report_start":
        data["district"] = "120101" if scope == "own" else "120103"
    if name == "objection_create" and role in {"commission_admin", "reviewer"}:
        data["received_on"] = world[f"{scope}_passed"].signed_on.isoformat()
    if name == "document_request":
        data["district"] = "120101" if scope == "own" else "120103"
    if name == "report_rows_bulk":
        data["row"] = str((world["own_row"] if scope == "own" else world["other_row"]).pk)
    if case.method == "GET":
        response = client.get(path)
    elif case.method == "POST":
        response = client.post(path, data)
    else:
        response = client.generic(case.method, path, json.dumps(data), content_type="application/json")
    _close(response)
    expected = case.expect[role][0 if scope == "own" else 1]
    assert response.status_code == expected, f"{role} {case.method} {path} ({name}, {scope})"
    if response.status_code == 404:
        # Out of scope says nothing about what exists there.
        body = response.content.decode()
        assert world["other_community"].name not in body or name == "home"


def _funds_world(own, other) -> dict[str, Any]:
    from reporting.funds.models import FundEntry, FundingSource

    source = FundingSource.objects.get(code="fiscal")
    return {
        f"{side}_funds": FundEntry.objects.create(
            community=community, district_id=community.district_id, year=2021, source=source, committed=100, spent=0
        )
        for side, community in (("own", own[0]), ("other", other[0]))
    }
