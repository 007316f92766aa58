"""PostgreSQL restarted and stopped under a running portal: while the database is away every page answers 503 with
a Chinese message (and /healthz 503 JSON), never a traceback or a bare 500; once it is back the same pages work
again with the same login, and the application is never restarted.

The database is a private cluster this test creates, migrates and stops; gunicorn serves the portal from it.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from .conftest import ROOT, Browser, Server, subprocess_env

pytestmark = pytest.mark.faults
UNAVAILABLE = "系统暂时无法连接数据库，请稍后再试"
PAGE = "/notifications/"

CREATE_USER = """
from django.contrib.auth import get_user_model
from districts.models import Membership
user = get_user_model().objects.create_user(username="commission", password="test-password-123")
Membership.objects.create(user=user, role="commission_admin")
"""


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
    )


def test_pages_answer_503_in_chinese_while_postgresql_is_down_and_recover_without_a_restart(
    private_cluster, servers, tmp_path
):
    env = subprocess_env(DATABASE_URL=private_cluster.url, MEDIA_ROOT=str(tmp_path / "media"), DJANGO_DEBUG="false")
    started = time.monotonic()
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "shell", "-c", CREATE_USER)
    print(f"\nfaults: private cluster created and migrated in {time.monotonic() - started:.1f} s")
    server = Server(env=env, log=tmp_path / "web.log", workers=2)
    servers.append(server)
    browser = Browser(server.base)
    browser.login("commission", "test-password-123")
    for _ in range(4):  # both gunicorn workers hold a connection (CONN_MAX_AGE)
        page = browser.get(PAGE)
        assert page.status == 200 and "通知" in page.text

    # A restart while nobody asks: the broken connections are replaced on the next request, which never fails.
    private_cluster.restart()
    after_restart = [browser.get(PAGE) for _ in range(4)]
    assert [page.status for page in after_restart] == [200] * 4
    print(f"faults: first request after a PostgreSQL restart: 200 in {after_restart[0].seconds:.2f} s")

    private_cluster.stop()
    down = [browser.get(PAGE) for _ in range(4)]
    for page in down:
        assert page.status == 503, page.text[:500]
        assert UNAVAILABLE in page.text
        assert page.headers["Retry-After"] == "30"
        assert "Traceback" not in page.text and "OperationalError" not in page.text
    print(f"faults: with PostgreSQL down a page answers 503 in {max(page.seconds for page in down):.2f} s at most")
    # A probe carries no session cookie.
    health = Browser(server.base).get("/healthz")
    assert health.status == 503 and health.json()["database"] == "down"

    private_cluster.start()
    back = time.monotonic()
    again = [browser.get(PAGE) for _ in range(4)]
    assert [page.status for page in again] == [200] * 4
    # Still logged in: the session cookie from before the outage still opens the page.
    assert all("/accounts/login/" not in page.headers["X-Final-Url"] and "通知" in page.text for page in again)
    print(f"faults: pages answer 200 again {time.monotonic() - back:.2f} s after PostgreSQL started (4 requests)")
    health = Browser(server.base).get("/healthz")
    assert health.status == 200 and health.json()["database"] == "ok"
    assert server.process.poll() is None
