"""Real processes for the fault tests: a private Redis and a private PostgreSQL cluster that the tests start and
stop themselves, Celery workers and a gunicorn server in subprocesses, and a small cookie-keeping HTTP client.

The machine's shared Redis and PostgreSQL are never stopped: a fault is made only on a private instance on a free
port. Binaries that are missing skip the tests, except under CI (CI=true), where that fails them.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import require_service

ROOT = Path(settings.BASE_DIR)
# Debian's PostgreSQL server binaries (initdb, pg_ctl) are not on PATH; the newest installed version is used.
PG_BIN = max(
    (path for path in Path("/usr/lib/postgresql").glob("*/bin") if path.parent.name.isdigit()),
    key=lambda path: int(path.parent.name),
    default=Path("/usr/lib/postgresql/bin"),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], object], *, timeout: float, what: str, every: float = 0.05) -> object:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


@pytest.fixture(autouse=True)
def production_password_hashing():
    """The users these tests make log in to a real server process, which checks passwords with the portal's own
    hashers (Django's defaults): the fast test hasher (tests/conftest.py) would leave them unable to log in there."""
    from django.conf import global_settings
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=global_settings.PASSWORD_HASHERS):
        yield


@pytest.fixture(autouse=True)
def jobs_in_process():
    """Jobs that this test process's own service calls queue (setting up data) run here, as on the embedded
    default: the test process never publishes to a broker. The web server and workers under test are subprocesses
    with their own broker."""
    from greencommunity.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


# --- Redis ------------------------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of this test's own, in the foreground of a subprocess, keeping nothing on disk."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--daemonize", "no", "--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, timeout=10, what="the private Redis to answer")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    require_service(bool(shutil.which("redis-server")), "redis-server")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def postgresql_and_redis_server() -> None:
    """Checked before the module's data is saved (seed_data_restored), so a skip costs nothing: the worker and web
    subprocesses share the test's PostgreSQL database, and a private redis-server is their broker."""
    from django.db import connection

    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    require_service(bool(shutil.which("redis-server")), "redis-server")


def postgresql_test_database() -> str:
    """The URL of the test database, for subprocesses that must see this test's committed rows."""
    from django.db import connection

    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def subprocess_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    env.update(PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="greencommunity.settings", PYTHONUNBUFFERED="1")
    env.update(values)
    return env


# --- Celery workers ----------------------------------------------------------------------------------------------

# Seconds after its delivery that Redis hands an unacknowledged job to another worker, in the worker-kill tests
# (tests.faults.short_visibility; production keeps 4 hours).
VISIBILITY_TIMEOUT = 8


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the process's whole group, SIGKILL if it has not gone within 20 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class Worker:
    """`celery worker` in a process group of its own, so SIGKILL takes the pool's children as well."""

    def __init__(self, *, app: str, env: dict[str, str], log: Path, pool: str = "solo") -> None:
        self.log = log
        with log.open("w") as output:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", app, "worker", f"--pool={pool}", "--concurrency=1"]
                + [
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-l",
                    "info",
                    "-n",
                    f"fault-{log.stem}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def succeeded(self, task: str) -> list[str]:
        """The ids of the runs of `task` this worker finished, from its log."""
        return re.findall(rf"Task {re.escape(task)}\[([0-9a-f-]+)\] succeeded", self.text())

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited:\n{self.text()[-3000:]}")
            return " ready." in self.text()

        wait_for(ready, timeout=timeout, what="the worker to be ready", every=0.1)

    def kill(self) -> None:
        """SIGKILL to the whole group: nothing of the worker gets to clean up, as when a machine or the OOM killer
        takes it."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        stop_group(self.process)


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    """Every worker a test starts is stopped at its end, whatever happened."""
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


# --- the web server ----------------------------------------------------------------------------------------------


class Server:
    """gunicorn serving the portal, as in production."""

    def __init__(self, *, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("w") as output:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "greencommunity.wsgi", "-b", f"127.0.0.1:{self.port}"]
                + ["-w", str(workers), "--timeout", "60", "--graceful-timeout", "5"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def listening() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{log.read_text(errors='replace')[-3000:]}")
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(listening, timeout=60, what="gunicorn to listen", every=0.1)

    def stop(self) -> None:
        stop_group(self.process)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


@dataclass
class Page:
    status: int
    text: str
    headers: dict[str, str]
    seconds: float

    def json(self) -> dict:
        return json.loads(self.text)


class Browser:
    """Cookies kept between requests, redirects followed, the CSRF token sent with every form."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base + path))  # noqa: S310 — the test's own server

    def post(self, path: str, data: dict[str, str]) -> Page:
        token = next((c.value for c in self.cookies if c.name == "csrftoken"), "")
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})  # noqa: S310
        return self._open(request)

    def login(self, username: str, password: str) -> Page:
        self.get("/accounts/login/")
        page = self.post("/accounts/login/", {"username": username, "password": password})
        assert page.status == 200 and "/accounts/login/" not in page.headers.get("X-Final-Url", ""), page.text[:500]
        return page

    def _open(self, request: urllib.request.Request) -> Page:
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=60) as response:
                headers = dict(response.headers.items())
                headers["X-Final-Url"] = response.geturl()
                return Page(response.status, response.read().decode(), headers, time.monotonic() - started)
        except urllib.error.HTTPError as error:
            body = error.read().decode(errors="replace")
            headers = dict(error.headers.items())
            headers["X-Final-Url"] = error.geturl()
            return Page(error.code, body, headers, time.monotonic() - started)


# --- a private PostgreSQL cluster ---------------------------------------------------------------------------------


class PrivateCluster:
    """initdb'd into a temporary folder, run as the postgres user (initdb refuses root), on a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        # Outside pytest's temporary folders, which only root may enter.
        self.dir = Path(tempfile.mkdtemp(prefix="gc-faults-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/portal"

    def _run(self, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "log"),
            "-w",
            *extra,
            "-o",
            options,
            action,
        )

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "portal")

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    available = all((PG_BIN / name).exists() for name in ("initdb", "pg_ctl", "createdb"))
    require_service(
        available and (os.geteuid() != 0 or bool(shutil.which("runuser"))),
        "PostgreSQL server binaries (initdb, pg_ctl)",
    )
    cluster = PrivateCluster()
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.remove()


# --- holding a job at a known point ------------------------------------------------------------------------------


@contextmanager
def lock_held(sql: str, params: list | None = None) -> Iterator[int]:
    """Run `sql` in a transaction of a connection of its own and keep it open; yields that backend's pid."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    ) as holder:
        holder.execute(sql, params)
        yield holder.info.backend_pid
        holder.rollback()


def waiting_on(blocker: int) -> list[str]:
    """The queries of the backends that wait for a lock `blocker` holds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [blocker])
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def worker_env(private_redis, tmp_path) -> tuple[dict[str, str], Path]:
    """The environment of a worker with a short visibility timeout on the private Redis, and its media folder."""
    media = tmp_path / "media"
    media.mkdir()
    env = subprocess_env(
        DATABASE_URL=postgresql_test_database(),
        REDIS_URL=private_redis.url,
        MEDIA_ROOT=str(media),
        FAULTS_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        DJANGO_DEBUG="false",
    )
    return env, media
