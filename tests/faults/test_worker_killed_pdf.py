"""A Celery worker killed (SIGKILL, its whole process group) in the middle of a PDF job: the next worker makes the
document again, and there is one document with one file, no orphan.

The job is held at a known point by a lock this test takes on the test database (a real lock, no patched code):
after it has written the PDF to storage and before that write commits, the nastiest moment for an orphan file.
The test sees the worker waiting on the lock, kills it, releases the lock and starts another worker. Redis gives
the unacknowledged job (acks_late) to the new worker once its visibility timeout, shortened here to
VISIBILITY_TIMEOUT seconds, has passed since the first delivery.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from districts.models import AuditEntry
from outbox.models import PendingTask
from reporting.documents.build import document_spec
from reporting.documents.tasks import document_number_assign
from reporting.models import GeneratedDocument

from .conftest import VISIBILITY_TIMEOUT, Browser, Server, Worker, lock_held, wait_for, waiting_on

pytestmark = [
    pytest.mark.faults,
    pytest.mark.usefixtures("postgresql_and_redis_server"),
    pytest.mark.django_db(transaction=True),
]
BULLETIN = Path("city-bulletin") / "2021-12" / "city.pdf"  # under documents/<campaign id>/


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_a_pdf_killed_after_writing_its_file_is_made_again_as_one_document_with_one_file(
    seed_data_restored, worker_env, workers, servers, make_user, tmp_path
):
    env, media = worker_env
    make_user("commission", "commission_admin")
    server = Server(env=env, log=tmp_path / "web.log")
    servers.append(server)
    browser = Browser(server.base)
    browser.login("commission", "test-password-123")
    page = browser.post("/documents/request/", {"kind": "city-bulletin", "period": "2021-12"})
    assert page.status == 200 and "正在生成" in page.text
    document = GeneratedDocument.objects.get()
    assert document.status == "queued" and document.task_id
    bulletin = Path("documents") / str(document.campaign_id) / BULLETIN
    assert (
        PendingTask.objects.filter(task="reporting.document_tasks.document_render", sent_at__isnull=False).count() == 1
    )

    # The bulletin was given its 发文字号 when it was first made; the job keeps it and writes nothing for it. So the
    # only audit entry the job writes is the one with its "done" status, in the same transaction as the file: the
    # lock below holds the job exactly there.
    number = document_number_assign(
        document_id=document.pk,
        spec=document_spec(
            kind=document.kind, period=document.period, scope_code=document.scope_code, campaign=document.campaign
        ),
    )
    assert number
    # Holds back the audit entry that the job writes with its "done" status, in the same transaction as the file.
    with lock_held(f'LOCK TABLE "{AuditEntry._meta.db_table}" IN EXCLUSIVE MODE') as blocker:
        first = Worker(app="tests.faults.short_visibility", env=env, log=tmp_path / "worker-1.log")
        workers.append(first)
        first.wait_ready()
        wait_for(lambda: waiting_on(blocker), timeout=120, what="the PDF job to reach its commit", every=0.1)
        document.refresh_from_db()
        # The middle of the job: the file is on disk, the database still says it is being made.
        assert (document.status, document.progress, document.file.name) == ("running", 90, "")
        assert _files(media) == [bulletin]
        first.kill()
        killed = time.monotonic()

    second = Worker(app="tests.faults.short_visibility", env=env, log=tmp_path / "worker-2.log")
    workers.append(second)
    second.wait_ready()
    wait_for(
        lambda: second.succeeded("reporting.document_tasks.document_render"),
        timeout=VISIBILITY_TIMEOUT + 60,
        what="the redelivered PDF job to finish",
        every=0.1,
    )
    redone = time.monotonic() - killed
    print(f"\nfaults: PDF job made again {redone:.1f} s after SIGKILL (visibility timeout {VISIBILITY_TIMEOUT} s)")

    document = GeneratedDocument.objects.get()
    assert (document.status, document.progress, document.error) == ("done", 100, "")
    assert document.document_number == number
    assert document.file.name == str(bulletin)
    assert _files(media) == [bulletin]
    assert document.size == (media / bulletin).stat().st_size > 1000
    assert (media / bulletin).read_bytes().startswith(b"%PDF")
    # The killed run's transaction never committed: one "done" step in the audit trail, written by the second run.
    done = AuditEntry.objects.filter(object_id=str(document.pk), changes__status__1="done")
    assert done.count() == 1
    assert second.succeeded("reporting.document_tasks.document_render") == [document.task_id]
    assert f"document_render[{document.task_id}] received" in first.text()
