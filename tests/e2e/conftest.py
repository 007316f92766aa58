"""Browser tests against the real portal, run the way a user runs it (`make run`), driven by Debian's Chromium.

One server and one browser serve every e2e test. The server is a separate process on a fresh database: an SQLite
file in a pytest tmp dir, or, when DATABASE_URL is set, a throwaway PostgreSQL database next to the one it names.
It is set up with migrate, load_divisions and seed_demo, so the tests see the demo users (password demo12345) and
the real Tianjin roster. The tests never touch the Django test database: they only speak HTTP to the server.

The server and the browser are session-scoped (started on first use, stopped at the end of the session); each test
gets a fresh browser context, so no cookies or language choice leak from one test to the next.

Helpers for flows: `login(page, username)`, `logout(page)` and `shoot(page, name)`, which writes
test-artifacts/screenshots/<name>.png (git-ignored).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEMO_PASSWORD = "demo12345"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SERVER_START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Portal:
    url: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)  # the server's environment, for `portal_manage`
    campaign: str = ""  # the campaign `login` picks for the session: the demo's 2020-2022 campaign, or none

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


# What `login` picks in the campaign picker, by the portal's address.
_PICKED: dict[str, str] = {}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _maintenance_url(base_url: str) -> str:
    # DATABASE_URL's own database may not exist yet (pytest-django creates test_<name>); "postgres" always does.
    return urlsplit(base_url)._replace(path="/postgres").geturl()


def _postgres_database(base_url: str, name: str) -> str:
    """Create `name` on the server DATABASE_URL points at and return that database's URL."""
    import psycopg

    with psycopg.connect(_maintenance_url(base_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlsplit(base_url)._replace(path=f"/{name}").geturl()


def _drop_postgres_database(base_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_maintenance_url(base_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(env: dict[str, str], log: Path, *args: str) -> None:
    with log.open("a") as out:
        out.write(f"\n$ manage.py {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(  # noqa: S603 — our own interpreter and manage.py
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        pytest.fail(f"manage.py {' '.join(args)} failed ({done.returncode}):\n{tail}", pytrace=False)


def _wait_until_healthy(url: str, server: subprocess.Popen, portal: Portal) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"the portal exited ({server.returncode}) before answering:\n{portal.log_tail()}", pytrace=False
            )
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 — our own http URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"the portal did not answer /healthz within {SERVER_START_TIMEOUT:.0f} s:\n{portal.log_tail()}")


@pytest.fixture(scope="session")
def live_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The real portal on a fresh, seeded database, served by runserver in its own process, shared by the e2e tests
    (none of them changes what the others start from).

    The demo's current campaign is its second (2025-2027); the tests were written for the flows of the first
    (2020-2022), whose reports, targets and pilots they exercise, so `login` picks that one in the campaign picker,
    as a user looking back would."""
    yield from _portal(tmp_path_factory, "shared", pick_first_campaign=True)


@pytest.fixture(scope="module")
def own_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """A portal of the module's own, for tests that change what every page starts from (such as which campaign is
    current), so that the shared portal stays as seeded. It is seeded without the demo's second campaign, so that a
    test can open a campaign over today."""
    yield from _portal(tmp_path_factory, "own", seed=("--without-second-campaign",))


def _first_campaign(env: dict[str, str]) -> str:
    code = "from reporting.models import Campaign; print(Campaign.objects.order_by('starts_on').first().pk)"
    done = subprocess.run(  # noqa: S603 — our own interpreter and manage.py
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _portal(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    *,
    seed: tuple[str, ...] = (),
    pick_first_campaign: bool = False,
) -> Iterator[Portal]:
    workdir = tmp_path_factory.mktemp(f"e2e-portal-{name}")
    log = workdir / "server.log"
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_ENV", "SQLITE_NAME", "DATABASE_URL"}}
    env.update(DJANGO_ENV="development", MEDIA_ROOT=str(workdir / "media"), PYTHONUNBUFFERED="1")
    base_database_url = os.environ.get("DATABASE_URL", "").strip()
    pg_name = f"gc_e2e_{name}_{os.getpid()}"
    if base_database_url:
        try:
            env["DATABASE_URL"] = _postgres_database(base_database_url, pg_name)
        except Exception as exc:  # noqa: BLE001 — any failure means the PostgreSQL path cannot run
            pytest.fail(f"could not create the e2e database {pg_name} from DATABASE_URL: {exc}", pytrace=False)
        database = f"PostgreSQL database {pg_name}"
    else:
        env["SQLITE_NAME"] = str(workdir / "db.sqlite3")
        database = f"SQLite {env['SQLITE_NAME']}"

    server = None
    started = time.monotonic()
    try:
        _manage(env, log, "migrate", "--noinput")
        _manage(env, log, "load_divisions", "districts/data/tianjin-divisions.csv")
        _manage(env, log, "seed_demo", *seed)
        _manage(env, log, "rollup")
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        portal = Portal(url=url, log=log, env=env, campaign=_first_campaign(env) if pick_first_campaign else "")
        if portal.campaign:
            _PICKED[urlsplit(url).netloc] = portal.campaign
        with log.open("a") as out:
            out.write(f"\n$ manage.py runserver 127.0.0.1:{port} --noreload\n")
            out.flush()
            server = subprocess.Popen(  # noqa: S603 — our own interpreter and manage.py
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_until_healthy(url, server, portal)
        sys.stderr.write(
            f"\n[e2e] portal ready at {url} on {database} in {time.monotonic() - started:.1f} s (log: {log})\n"
        )
        yield portal
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if base_database_url:
            _drop_postgres_database(base_database_url, pg_name)


def portal_manage(portal: Portal, *args: str) -> None:
    """Run a management command on the server's database: for what a test cannot do over HTTP, such as letting
    time pass."""
    _manage(portal.env, portal.log, *args)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium (Playwright must not download browsers here). Missing → skip locally, fail under CI."""
    require_service(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, live_portal: Portal) -> Iterator[object]:
    """A fresh browser context (no cookies) at desktop size, as a browser in Tianjin: zh-CN, Asia/Shanghai.

    Relative URLs work: `page.goto("/roster/")`. Resize with `page.set_viewport_size(PHONE)`.
    """
    yield from browser_page(browser, live_portal)


def browser_page(browser: Any, portal: Portal) -> Iterator[object]:
    context = browser.new_context(base_url=portal.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login form and wait for the page it leads to."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form:has(#id_username) button[type=submit]")
    if "/accounts/login/" in page.url:
        raise AssertionError(f"logging in as {username} failed: still on {page.url}")
    pick = _PICKED.get(urlsplit(page.url).netloc)
    if pick:
        # The picker keeps its choice in the session: choose through a request of the same browser context, then
        # show the page logging in led to as it reads for that campaign.
        page.context.request.get(f"/?campaign={pick}")
        page.reload()


def open_menu(page) -> None:
    """At phone width the header's links and buttons sit behind the menu button: open it (nothing to do on a desktop)."""
    toggle = page.locator("header button.menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


def logout(page) -> None:
    open_menu(page)
    with page.expect_navigation():
        page.click("header form[action$='/accounts/logout/'] button[type=submit]")


def shoot(page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def html_lang(page) -> str:
    return page.evaluate("document.documentElement.lang")


def has_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")


def png(color: str = "seagreen", size: tuple[int, int] = (120, 90)) -> bytes:
    """A small photo to upload."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def _save_admin_form(page) -> None:
    with page.expect_navigation():
        page.click("input[name=_save]")
    errors = page.locator(".errornote, .errorlist")
    assert errors.count() == 0, errors.all_inner_texts()


def acceptance_set_up(page, round_name: str, team: str, *, row: int = 0) -> tuple[str, str]:
    """As the commission, through the admin (the tests reach the server's database only over HTTP): a round opening
    today with a 7-day notice, a team with inspector-1, and one community of 劝业场街道 (和平区) assigned to it — the
    `row`-th from the last by code, so tests that each take a different row never share a community. Returns the
    community's (code, name) and leaves the page logged out."""
    import datetime
    import re
    from zoneinfo import ZoneInfo

    login(page, "commission")
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    page.goto("/admin/standards/acceptanceround/add/")
    page.fill("#id_name", round_name)
    page.fill("#id_year", str(today.year))
    page.fill("#id_opens_on", today.isoformat())
    page.fill("#id_closes_on", (today + datetime.timedelta(days=60)).isoformat())
    page.fill("#id_notice_days", "7")
    _save_admin_form(page)
    page.goto("/admin/standards/inspectionteam/add/")
    page.select_option("#id_round", label=round_name)
    page.fill("#id_name", team)
    page.select_option("#id_members", label="inspector-1")
    _save_admin_form(page)
    page.goto("/admin/districts/community/?q=120101001&o=-1")
    link = page.locator("#result_list tbody tr").nth(row).locator("th a").first
    code = link.inner_text().strip()
    assert re.fullmatch(r"120101001\d{3}", code), code
    found = re.search(r"/community/(\d+)/change/", link.get_attribute("href") or "")
    assert found, link.get_attribute("href")
    pk = found.group(1)
    page.goto(f"/admin/districts/community/{pk}/change/")
    name = page.input_value("#id_name")
    page.goto("/admin/standards/assignment/add/")
    page.select_option("#id_round", label=round_name)
    page.select_option("#id_team", label=f"{round_name} · {team}")
    page.fill("#id_community", pk)
    page.select_option("#id_kind", "first")
    _save_admin_form(page)
    page.context.clear_cookies()
    return code, name
