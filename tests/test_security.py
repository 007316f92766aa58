"""Login throttling, session timeouts, the Content-Security-Policy, password rules and the audit of refusals."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from districts.models import AuditEntry, Community
from greencommunity.security import LAST_SEEN_AT, LOGGED_IN_AT
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WRONG_LOGIN = "请输入一个正确的用户名和密码。注意，两者都区分大小写。"
TIMED_OUT = "登录已超时，请重新登录。"
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _policy(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(client: Client, username: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        assert _login(client, username, "wrong-password", ip).status_code == 200


# --- login throttling --------------------------------------------------------------------------------------------


def test_a_wrong_password_is_answered_in_chinese(client, heping_staff):
    page = _login(client, "district-120101", "wrong-password").content.decode()
    assert WRONG_LOGIN in page


def test_the_fifth_failure_locks_the_username_out_from_that_address_for_30_minutes(client, heping_staff):
    _fail(client, "district-120101", 4)
    assert _login(client, "district-120101", "wrong-password").status_code == 429
    response = _login(client, "district-120101", PASSWORD)  # even the right password
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username="district-120101", ip_address="10.0.0.1")
    assert attempt.failures_since_start == 5
    until = timezone.localtime(attempt.attempt_time + settings.AXES_COOLOFF_TIME)
    page = response.content.decode()
    assert "登录已暂时锁定" in page
    assert "连续 5 次登录失败后，该用户名在这台电脑上 30 分钟内不能登录。" in page
    assert f"请于 {until:%Y}年{until.month}月{until.day}日 {until:%H:%M} 后再试。" in page
    assert "请联系本区系统管理员或市住房城乡建设委系统管理员" in page
    # Failing again while locked out does not push the end of the lockout back.
    _login(client, "district-120101", "wrong-password")
    attempt.refresh_from_db()
    assert attempt.failures_since_start == 5


def test_the_lockout_holds_only_for_that_username_and_address(client, heping_staff, hexi_staff):
    _fail(client, "district-120101", 4)
    assert _login(client, "district-120101", "wrong-password").status_code == 429
    assert _login(Client(), "district-120101", PASSWORD, ip="10.0.0.2").status_code == 302
    assert _login(Client(), "district-120103", PASSWORD).status_code == 302


def test_four_failures_then_the_right_password_logs_in_and_starts_the_count_afresh(client, heping_staff):
    _fail(client, "district-120101", 4)
    assert _login(client, "district-120101", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="district-120101").exists()


def test_the_api_token_endpoint_is_throttled_too(client, heping_staff):
    for expected in (400, 400, 400, 400, 429):
        response = client.post(
            "/api/v1/auth/token/", {"username": "district-120101", "password": "wrong"}, REMOTE_ADDR="10.0.0.9"
        )
        assert response.status_code == expected
    response = client.post(
        "/api/v1/auth/token/", {"username": "district-120101", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429
    assert "token" not in response.json()
    assert "登录失败次数过多：district-120101 在这台电脑上被锁定 30 分钟" in response.json()["detail"]


def test_failed_logins_are_audited_with_address_path_and_reason(client, heping_staff):
    _fail(client, "district-120101", 4)
    _login(client, "district-120101", "wrong-password")
    _login(client, "district-120101", PASSWORD)
    entries = list(AuditEntry.objects.filter(action="login_failed").order_by("id"))
    assert len(entries) == 6
    assert {e.note for e in entries} == {"district-120101"}
    assert entries[0].changes == {
        "_ip": "10.0.0.1",
        "_path": "/accounts/login/",
        "_reason": "wrong username or password",
    }
    assert entries[-1].changes["_reason"] == "locked out"
    assert all(e.actor is None and e.source == "login" for e in entries)


def test_the_client_address_behind_a_trusted_proxy_is_the_one_the_proxy_saw(client, heping_staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        "/accounts/login/",
        {"username": "district-120101", "password": "wrong"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )
    assert AuditEntry.objects.get(action="login_failed").changes["_ip"] == "203.0.113.7"


# --- password spraying: failures per address across usernames --------------------------------------------------

SPRAYED = [f"guess-{n:02d}" for n in range(19)]
ADDRESS_LOCKED = "这个地址在 15 分钟内登录失败 20 次（不论用户名），暂时任何人都不能从这里登录。"


@pytest.fixture
def fast_passwords(settings):
    # Every failed login hashes the password it was given, even for an unknown username; the default hasher would
    # make spraying 76 of them the slowest part of the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


LOGIN_ENDPOINTS = {
    # path, status of a wrong password, how the lockout reads
    "login page": ("/accounts/login/", 200, "html"),
    "admin": ("/admin/login/?next=/admin/", 200, "html"),
    "API token": ("/api/v1/auth/token/", 400, "json"),
}


@pytest.mark.parametrize("endpoint", LOGIN_ENDPOINTS)
def test_four_tries_on_each_of_19_usernames_from_one_address_lock_that_address_out(fast_passwords, make_user, endpoint):
    """Issue 14 item 17: each username stays under its own limit, but the address reaches the limit across them; the
    20th failure and everything after it from that address, even the right password of another user, get the same
    Chinese lockout answer, while other addresses log in as usual."""
    user = make_user("district-120101", "district_staff", district="120101")
    if endpoint == "admin":
        user.is_staff = True
        user.save()
    path, wrong_status, form = LOGIN_ENDPOINTS[endpoint]
    statuses = []
    for username in SPRAYED:
        for _ in range(4):
            response = Client().post(path, {"username": username, "password": "Spring2026!"}, REMOTE_ADDR="10.0.0.5")
            statuses.append(response.status_code)
    assert statuses[:19] == [wrong_status] * 19 and set(statuses[19:]) == {429}
    assert not AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).exists()

    response = Client().post(path, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.5")
    assert response.status_code == 429
    body = response.json()["detail"] if form == "json" else response.content.decode()
    if form == "json":
        assert body.startswith("此地址登录失败次数过多：15 分钟内 20 次（不论用户名）")
    else:
        assert "登录已暂时锁定" in body and ADDRESS_LOCKED in body
    assert Client().post(
        path, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.6"
    ).status_code in (
        200,
        302,
    )


def test_the_address_may_try_again_once_its_failures_leave_the_window(fast_passwords, client, heping_staff):
    """Issue 14 item 17: the lockout page says until when, and at that time the address logs in again."""
    from axes.models import AccessFailureLog

    for username in SPRAYED[:4]:
        _fail(client, username, 4)
    _fail(client, SPRAYED[4], 3)
    assert _login(client, SPRAYED[4], "wrong-password").status_code == 429  # the 20th
    response = _login(client, "district-120101", PASSWORD)
    assert response.status_code == 429
    twentieth_newest = AccessFailureLog.objects.order_by("-attempt_time")[19].attempt_time
    until = timezone.localtime(twentieth_newest + settings.LOGIN_ADDRESS_WINDOW)
    assert f"请于 {until:%Y}年{until.month}月{until.day}日 {until:%H:%M} 后再试。" in response.content.decode()
    AccessFailureLog.objects.update(attempt_time=timezone.now() - settings.LOGIN_ADDRESS_WINDOW)
    assert _login(client, "district-120101", PASSWORD).status_code == 302


def test_the_address_limit_and_window_are_settings(fast_passwords, client, heping_staff, settings):
    """Issue 14 item 17: LOGIN_ADDRESS_FAILURE_LIMIT and LOGIN_ADDRESS_WINDOW_MINUTES are read in settings (a value
    that is not a positive whole number is refused at start) and used as set."""
    import subprocess
    import sys

    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for username in SPRAYED[:2]:
        _fail(client, username, 1)
    assert _login(client, SPRAYED[2], "wrong-password").status_code == 429
    assert "这个地址在 15 分钟内登录失败 3 次" in _login(client, "district-120101", PASSWORD).content.decode()

    code = "import django; django.setup(); from django.conf import settings as s; print(s.LOGIN_ADDRESS_FAILURE_LIMIT, s.LOGIN_ADDRESS_WINDOW)"
    env = {"DJANGO_SETTINGS_MODULE": "greencommunity.settings", "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**env, "LOGIN_ADDRESS_FAILURE_LIMIT": "50", "LOGIN_ADDRESS_WINDOW_MINUTES": "60"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.split() == ["50", "1:00:00"]
    for bad in ({"LOGIN_ADDRESS_FAILURE_LIMIT": "0"}, {"LOGIN_ADDRESS_WINDOW_MINUTES": "many"}):
        run = subprocess.run(
            [sys.executable, "-c", code], cwd=settings.BASE_DIR, env={**env, **bad}, capture_output=True, text=True
        )
        assert run.returncode != 0 and next(iter(bad)) in run.stderr


# --- session timeouts --------------------------------------------------------------------------------------------


def _set_session(client: Client, **values: int) -> None:
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()


def test_logging_in_through_the_form_starts_both_timers(client, heping_staff):
    before = int(time.time())
    _login(client, "district-120101", PASSWORD)
    assert client.session[LOGGED_IN_AT] >= before and client.session[LAST_SEEN_AT] >= before


def test_the_session_ends_12_hours_after_logging_in_however_active(client_for, heping_staff):
    client = client_for(heping_staff)
    now = int(time.time())
    _set_session(client, **{LOGGED_IN_AT: now - 12 * 3600 - 1, LAST_SEEN_AT: now - 10})
    response = client.get("/reports/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Freports%2F"
    assert TIMED_OUT in client.get(response["Location"]).content.decode()
    assert client.get("/").status_code == 302  # logged out


def test_the_session_ends_after_30_idle_minutes(client_for, heping_staff):
    client = client_for(heping_staff)
    now = int(time.time())
    _set_session(client, **{LOGGED_IN_AT: now - 3600, LAST_SEEN_AT: now - 30 * 60 - 1})
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_a_request_within_the_idle_time_keeps_the_session_and_refreshes_the_timer(client_for, heping_staff):
    client = client_for(heping_staff)
    now = int(time.time())
    _set_session(client, **{LOGGED_IN_AT: now - 3600, LAST_SEEN_AT: now - 29 * 60})
    assert client.get("/").status_code == 200
    assert client.session[LAST_SEEN_AT] >= now


def test_a_form_sent_after_the_timeout_returns_to_its_page_after_logging_in(client_for, heping_staff):
    client = client_for(heping_staff)
    now = int(time.time())
    _set_session(client, **{LOGGED_IN_AT: now - 3600, LAST_SEEN_AT: now - 31 * 60})
    response = client.post("/reports/1/narrative/", {"progress": "x"}, HTTP_REFERER="http://testserver/reports/1/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Freports%2F1%2F"


def test_an_htmx_request_after_the_timeout_moves_the_whole_page_to_the_login(client_for, heping_staff):
    client = client_for(heping_staff)
    _set_session(client, **{LOGGED_IN_AT: int(time.time()) - 13 * 3600})
    response = client.get(
        "/roster/street/120101001/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/roster/"
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Froster%2F"


def test_an_api_request_on_a_timed_out_session_is_not_logged_in(client_for, heping_staff):
    client = client_for(heping_staff)
    assert client.get("/api/v1/districts/").status_code == 200
    _set_session(client, **{LOGGED_IN_AT: int(time.time()) - 13 * 3600})
    assert client.get("/api/v1/districts/").status_code == 401


# --- Content-Security-Policy ----------------------------------------------------------------------------------


def test_every_page_carries_the_content_security_policy(client, client_for, commission_admin):
    assert _policy(client.get("/accounts/login/")["Content-Security-Policy"]) == CSP
    assert _policy(client_for(commission_admin).get("/dashboard/")["Content-Security-Policy"]) == CSP


TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    # Inside a tag: `{% if only == … %}` between tags is template logic, not a handler.
    (re.compile(r"<[^>]*\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_page_template_has_inline_script_or_style():
    # documents/ are PDF templates (WeasyPrint, no browser); 500.html and 503.html are answered without the request
    # or the database, so without the portal's style sheet: their style attribute is ignored, the text still reads.
    standalone = {"500.html", "503.html"}
    pages = [p for p in TEMPLATES.rglob("*.html") if "documents" not in p.parts and p.name not in standalone]
    assert len(pages) > 40
    found = [f"{p.relative_to(TEMPLATES)}: {what}" for p in pages for rx, what in INLINE if rx.search(p.read_text())]
    assert not found, found


# --- cookies and passwords ---------------------------------------------------------------------------------------


def test_session_cookie_is_http_only_and_same_site_lax(client, heping_staff):
    response = _login(client, "district-120101", PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 12 * 3600


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Gx7-kq2", "密码长度太短。密码必须包含至少 10 个字符。"),
        ("4839201756", "密码只包含数字。"),
        ("password123", "这个密码太常见了。"),
        ("district-120101x", "密码跟 用户名 太相似了。"),
    ],
)
def test_the_password_rules_answer_in_chinese(heping_staff, password, message):
    with translation.override(settings.LANGUAGE_CODE):
        form = SetPasswordForm(heping_staff, {"new_password1": password, "new_password2": password})
        assert not form.is_valid()
        assert message in form.errors["new_password2"]


def test_a_long_uncommon_password_passes(heping_staff):
    form = SetPasswordForm(heping_staff, {"new_password1": "绿色社区-Gx7kq2-津", "new_password2": "绿色社区-Gx7kq2-津"})
    assert form.is_valid(), form.errors


# --- the audit of refusals ----------------------------------------------------------------------------------------


def test_a_403_is_audited_with_user_address_path_and_reason(client_for, reviewer):
    community = Community.objects.filter(district__code="120101").first()
    response = client_for(reviewer).get(f"/communities/{community.code}/edit/", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 403
    entry = AuditEntry.objects.get(action="denied")
    assert entry.actor == reviewer
    assert entry.changes == {
        "_ip": "10.1.2.3",
        "_path": f"/communities/{community.code}/edit/",
        "_reason": "PermissionDenied",
        "_status": 403,
    }
    assert entry.note == f"403 GET /communities/{community.code}/edit/"


def test_a_404_from_a_scope_check_is_audited_for_a_logged_in_user(client_for, heping_staff):
    other = Community.objects.filter(district__code="120103").first()
    assert client_for(heping_staff).get(f"/communities/{other.code}/").status_code == 404
    entry = AuditEntry.objects.get(action="denied")
    assert entry.actor == heping_staff
    assert entry.changes["_status"] == 404
    assert entry.changes["_reason"].startswith("Http404")
    assert entry.changes["_path"] == f"/communities/{other.code}/"


def test_an_api_404_out_of_scope_is_audited(client_for, heping_staff):
    assert client_for(heping_staff).get("/api/v1/districts/120103/").status_code == 404
    entry = AuditEntry.objects.get(action="denied")
    assert entry.source == "api" and entry.changes["_path"] == "/api/v1/districts/120103/"


def test_an_unknown_address_is_not_audited(client_for, heping_staff):
    assert client_for(heping_staff).get("/no-such-page/").status_code == 404
    assert not AuditEntry.objects.filter(action="denied").exists()


def test_a_failed_audit_write_does_not_turn_a_403_into_a_500(client_for, reviewer):
    community = Community.objects.filter(district__code="120101").first()
    client = client_for(reviewer)
    table = AuditEntry._meta.db_table
    # A real failure of the insert: the table is gone (inside the test's transaction, so it comes back after).
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        response = client.get(f"/communities/{community.code}/edit/")
        assert response.status_code == 403
        assert "无权操作" in response.content.decode()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    assert get_user_model().objects.filter(pk=reviewer.pk).exists()  # the connection is still usable


def test_the_test_clients_login_needs_a_request_for_django_axes(client, heping_staff):
    # Tests log in with force_login; client.login works too when given a request, as django-axes asks.
    from django.http import HttpRequest

    assert client.login(request=HttpRequest(), username="district-120101", password=PASSWORD)
    assert client.get("/reports/").status_code == 200


def test_a_timed_out_session_on_the_login_page_is_sent_to_a_plain_login(client_for, heping_staff):
    client = client_for(heping_staff)
    _set_session(client, **{LOGGED_IN_AT: int(time.time()) - 13 * 3600})
    response = client.get("/accounts/login/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/accounts/login/").status_code == 200
