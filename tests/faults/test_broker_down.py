"""Redis stopped while a district submits its report: the submission is saved, the page answers as usual, and
the follow-up jobs (the commission's notification, the progress recalculation) run once Redis is back.

The portal runs under gunicorn and a Celery worker, both on a private Redis this test stops and starts again.
The jobs wait in the outbox (PendingTask rows written with the submission); the worker that starts after the
outage publishes them (its start-up flush), each exactly once, even when two flushes run at the same time.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
import time
import uuid

import pytest
import redis
from django_celery_beat.models import PeriodicTask

from districts.models import District
from outbox.models import PendingTask
from reporting.models import Campaign, Notification, ProgressSnapshot, Report, RollupRequest
from reporting.reports.services import report_open, report_save

from .conftest import ROOT, Browser, Server, Worker, postgresql_test_database, subprocess_env, wait_for

pytestmark = [
    pytest.mark.faults,
    pytest.mark.usefixtures("postgresql_and_redis_server"),
    pytest.mark.django_db(transaction=True),
]
NOTIFY = "reporting.tasks.report_transition_notify"
ROLLUP = "reporting.tasks.rollup_today"


def test_a_report_submitted_while_redis_is_down_is_saved_and_its_jobs_run_when_it_returns(
    seed_data_restored, private_redis, workers, servers, make_user, tmp_path
):
    heping = make_user("district-120101", "district_staff", district="120101")
    reviewer = make_user("reviewer", "commission_reviewer")
    report = report_open(
        campaign=Campaign.objects.current(),
        kind="monthly",
        period=datetime.date(2021, 3, 1),
        district=District.objects.get(code="120101"),
        by=heping,
    )
    report = report_save(report=report, version=report.version, data={"progress": "三月进展"}, by=heping)
    env = subprocess_env(
        DATABASE_URL=postgresql_test_database(),
        REDIS_URL=private_redis.url,
        MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_DEBUG="false",
    )
    server = Server(env=env, log=tmp_path / "web.log")
    servers.append(server)
    browser = Browser(server.base)
    browser.login("district-120101", "test-password-123")
    page = browser.get(f"/reports/{report.pk}/")
    assert page.status == 200 and "三月进展" in page.text

    private_redis.stop()
    page = browser.post(f"/reports/{report.pk}/submit/", {})
    print(f"\nfaults: submission answered in {page.seconds:.2f} s with Redis down")
    assert page.status == 200
    assert "已提交，已通知市住房城乡建设委。" in page.text
    assert page.headers["X-Final-Url"].endswith(f"/reports/{report.pk}/")
    assert page.seconds < 5
    report.refresh_from_db()
    assert report.status == "submitted" and report.submitted_at is not None
    # The jobs are kept, not lost: written with the submission, not yet sent, with the broker's error.
    pending = {row.task: row for row in PendingTask.objects.all()}
    assert set(pending) == {NOTIFY, ROLLUP}
    assert pending[NOTIFY].args == [report.pk, "submitted"]
    assert all(row.sent_at is None and row.attempts == 1 for row in pending.values())
    assert all("Connection refused" in row.last_error for row in pending.values())
    assert pending[ROLLUP].eta is not None
    assert not Notification.objects.exists()
    health = browser.get("/healthz")
    assert (health.status, health.json()["broker"], health.json()["database"]) == (503, "down", "ok")

    private_redis.start()
    back = time.monotonic()
    worker = Worker(app="greencommunity", env=env, log=tmp_path / "worker.log")
    workers.append(worker)
    worker.wait_ready()
    wait_for(
        lambda: worker.succeeded(NOTIFY), timeout=60, what="the notification job to run after the outage", every=0.1
    )
    print(f"faults: the notification went out {time.monotonic() - back:.1f} s after Redis came back")
    notified = Notification.objects.get()
    assert (notified.user, notified.key) == (reviewer, f"report-event:{report.events.get(action='submitted').pk}")
    assert notified.message.endswith("待审核。")

    # The recalculation keeps its countdown from the submission (about a minute), then runs once.
    wait_for(lambda: worker.succeeded(ROLLUP), timeout=120, what="the recalculation after the outage", every=0.5)
    assert RollupRequest.objects.get().pending is False
    assert ProgressSnapshot.objects.filter(level="city").count() == 1
    assert len(worker.succeeded(NOTIFY)) == len(worker.succeeded(ROLLUP)) == 1
    sent = PendingTask.objects.all()
    assert sent.count() == 2 and all(row.sent_at is not None and row.attempts == 2 for row in sent)
    assert Notification.objects.count() == 1
    assert Report.objects.get().status == "submitted"

    # Beat repeats the flush every minute, from a schedule the migrations store.
    flush = PeriodicTask.objects.get(task="outbox.tasks.outbox_flush")
    assert flush.enabled and (flush.interval.every, flush.interval.period) == (1, "minutes")


FLUSH_AT_ONCE = """
import pathlib, sys, time
from outbox.services import outbox_flush
print("ready", flush=True)
while not pathlib.Path(sys.argv[-1]).exists():
    time.sleep(0.005)
print("published", outbox_flush())
"""


def test_two_flushes_at_once_publish_each_waiting_job_exactly_once(private_redis, tmp_path):
    # As when beat's flush and a starting worker's run together after an outage: 1,000 jobs waiting.
    waiting = [PendingTask(task=NOTIFY, args=[n, "submitted"], task_id=str(uuid.uuid4())) for n in range(1000)]
    PendingTask.objects.bulk_create(waiting)
    env = subprocess_env(DATABASE_URL=postgresql_test_database(), REDIS_URL=private_redis.url)
    go = tmp_path / "go"
    flushes = [
        subprocess.Popen(
            [sys.executable, "-c", "import sys, django; django.setup(); exec(sys.argv[1])", FLUSH_AT_ONCE, str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    # Both processes have set Django up; they start flushing at the same moment.
    assert [flush.stdout.readline().strip() for flush in flushes] == ["ready", "ready"]
    go.touch()
    outputs = [flush.communicate(timeout=120) for flush in flushes]
    counts = [int(re.search(r"published (\d+)", out).group(1)) for out, _err in outputs]
    print(f"\nfaults: two simultaneous flushes published {counts[0]} + {counts[1]} of 1000 jobs")

    messages = redis.Redis.from_url(private_redis.url).lrange("celery", 0, -1)
    ids = [json.loads(message)["headers"]["id"] for message in messages]
    assert sum(counts) == len(ids) == len(set(ids)) == 1000
    assert set(ids) == {job.task_id for job in waiting}
    assert all(counts), "both flushes took part"
    assert not PendingTask.objects.filter(sent_at=None).exists()
    assert set(PendingTask.objects.values_list("attempts", flat=True)) == {1}
