"""Production mode and the embedded default, checked in fresh interpreters (settings are read once)."""

import os
import secrets
import subprocess
import sys

from django.conf import settings

SECRET = secrets.token_urlsafe(64)


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=60
    )


SETUP = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'greencommunity.settings'); django.setup(); "
)


def test_the_embedded_default_uses_sqlite_and_runs_tasks_in_process():
    out = _run(
        SETUP
        + "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.LANGUAGE_CODE, s.TIME_ZONE)"
    )
    assert out.stdout.split() == ["django.db.backends.sqlite3", "True", "zh-hans", "Asia/Shanghai"]


def test_production_refuses_a_missing_or_short_secret():
    out = _run(SETUP, DJANGO_ENV="production", DJANGO_SECRET_KEY="short", DJANGO_ALLOWED_HOSTS="portal.example.cn")
    assert out.returncode != 0 and "DJANGO_SECRET_KEY" in out.stderr


def test_production_refuses_missing_hosts_and_bad_values():
    out = _run(SETUP, DJANGO_ENV="production", DJANGO_SECRET_KEY=SECRET)
    assert out.returncode != 0 and "DJANGO_ALLOWED_HOSTS" in out.stderr
    out = _run(SETUP, DJANGO_ENV="staging")
    assert out.returncode != 0 and "DJANGO_ENV" in out.stderr


def _manage_in_production(*args: str) -> subprocess.CompletedProcess:
    production = {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": SECRET, "DJANGO_ALLOWED_HOSTS": "portal.example.cn"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, **production},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_passes_the_deploy_check():
    out = _manage_in_production("check", "--deploy", "--fail-level", "WARNING")
    assert out.returncode == 0, out.stderr


def test_seed_demo_refuses_in_production():
    out = _manage_in_production("seed_demo")
    assert out.returncode != 0 and "refuses to run in production" in out.stderr


def test_a_management_command_prints_no_django_axes_banner():
    """Issue 14 item 18: `make run` runs five commands; none of them announces django-axes."""
    out = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env={k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "AXES" not in out.stdout + out.stderr


def test_a_job_run_in_process_leaves_no_broker_or_task_lines_in_the_output():
    """Issue 14 item 18: without a broker a job runs in process (as seed_demo's do); kombu's "No hostname was
    supplied" warning and Celery's line per finished task stayed in the output of `make run`."""
    out = _run(
        SETUP
        + "from greencommunity.celery import app\n"
        + "@app.task(name='quiet.ping')\ndef ping():\n    return 'pong'\n"
        + "print(ping.apply_async(ignore_result=True).get())"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["pong"]
    assert out.stderr == ""
