"""A durable outbox for Celery jobs.

A service asks for follow-up work with `enqueue_on_commit` inside its transaction: the job is written as a
`PendingTask` row in that same transaction, and published once it commits. When the broker cannot take it (Redis
down or restarting), the error is logged, never raised into the request that saved the change, and the row stays
unsent; `outbox_flush` (beat, every minute, and each worker as it starts) publishes it later. Jobs are therefore
delivered at least once: every task queued this way must be safe to run twice.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from celery import Task, current_app
from celery.utils.imports import symbol_by_name
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .models import PendingTask

logger = logging.getLogger(__name__)

# One quick retry: a web request must not wait on a broker that is down; the flush tries again later.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# Sent rows are kept this long for inspection in the database, then removed by the flush.
KEEP_SENT = datetime.timedelta(days=7)
FLUSH_BATCH = 100


def enqueue_on_commit(
    task: Task,
    *,
    args: Iterable[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    task_id: str = "",
    countdown: float = 0,
) -> PendingTask:
    """Write the job in the caller's transaction and publish it once that commits (never if it rolls back)."""
    row = _pending(task, args=args, kwargs=kwargs, task_id=task_id, countdown=countdown)
    transaction.on_commit(lambda: pending_task_publish(pending_id=row.pk), robust=True)
    return row


def enqueue_now(
    task: Task,
    *,
    args: Iterable[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    task_id: str = "",
    countdown: float = 0,
) -> PendingTask:
    """For code that already runs after its change committed (an on-commit callback): write the job and publish
    it at once. Outside a transaction the row is committed before the publication is tried."""
    row = _pending(task, args=args, kwargs=kwargs, task_id=task_id, countdown=countdown)
    pending_task_publish(pending_id=row.pk)
    return row


def _pending(
    task: Task, *, args: Iterable[Any], kwargs: Mapping[str, Any] | None, task_id: str, countdown: float
) -> PendingTask:
    now = timezone.now()
    return PendingTask.objects.create(
        task=task.name,
        args=list(args),
        kwargs=dict(kwargs or {}),
        task_id=task_id,
        eta=now + datetime.timedelta(seconds=countdown) if countdown else None,
        created_at=now,
    )


def pending_task_publish(*, pending_id: int) -> bool:
    """Publish one unsent job; whether this call published it. Never raises for a broker error."""
    try:
        if current_app.conf.task_always_eager:
            return _run_in_process(pending_id)
        with transaction.atomic():
            # Whoever holds the row (a flush) publishes it; a row already sent is not sent again.
            row = PendingTask.objects.select_for_update(skip_locked=True).filter(pk=pending_id, sent_at=None).first()
            return row is not None and _send(row) == "sent"
    except Exception:
        # Robust: the change this job follows is saved; the flush publishes the job later.
        logger.exception("outbox: could not publish pending task %s", pending_id)
        return False


def outbox_flush(*, batch: int = FLUSH_BATCH) -> int:
    """Publish every unsent job, oldest first; return how many were published.

    Rows are claimed with SKIP LOCKED, so two flushes (beat's and a starting worker's) or a flush and an on-commit
    publication never publish the same row twice. Stops at the first broker error: the broker is down, the next
    flush tries again. A row that fails for another reason (an unknown task) is skipped and keeps its error.
    """
    if current_app.conf.task_always_eager:
        ids = PendingTask.objects.filter(sent_at=None).order_by("pk").values_list("pk", flat=True)
        return sum(_run_in_process(pk) for pk in list(ids))
    published, after = 0, 0
    while True:
        with transaction.atomic():
            rows = list(
                PendingTask.objects.select_for_update(skip_locked=True)
                .filter(sent_at=None, pk__gt=after)
                .order_by("pk")[:batch]
            )
            if not rows:
                break
            outcomes = []
            for row in rows:
                outcomes.append(_send(row))
                if outcomes[-1] == "broker down":
                    break
            published += outcomes.count("sent")
            after = rows[-1].pk
        if "broker down" in outcomes:
            break
    PendingTask.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT).delete()
    return published


def _send(row: PendingTask) -> str:
    """Publish a locked row and record the outcome on it: "sent", "broker down" or "failed"."""
    row.attempts += 1
    try:
        _apply_async(row)
    except (BrokerError, OSError) as error:
        outcome = "broker down"
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        logger.warning("outbox: broker unavailable, %s #%s stays queued: %s", row.task, row.pk, error)
    except Exception as error:
        outcome = "failed"
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        logger.exception("outbox: could not publish %s #%s", row.task, row.pk)
    else:
        outcome = "sent"
        row.sent_at = timezone.now()
    row.save(update_fields=["attempts", "last_error", "sent_at"])
    return outcome


def _run_in_process(pending_id: int) -> bool:
    """Without a broker (the embedded default) the job runs here: claimed first so it runs once; its own failure
    is logged and kept on the row, not retried."""
    claimed = PendingTask.objects.filter(pk=pending_id, sent_at=None).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    row = PendingTask.objects.get(pk=pending_id)
    try:
        _apply_async(row)
    except Exception as error:
        logger.exception("outbox: %s #%s failed in process", row.task, row.pk)
        PendingTask.objects.filter(pk=pending_id).update(last_error=f"{type(error).__name__}: {error}"[:500])
    return True


def _apply_async(row: PendingTask) -> None:
    task = current_app.tasks.get(row.task) or symbol_by_name(row.task)
    eta = row.eta if row.eta and row.eta > timezone.now() else None
    # Nothing waits for these jobs' results: without a result subscription, publishing needs only the broker.
    task.apply_async(
        args=row.args,
        kwargs=row.kwargs,
        task_id=row.task_id or None,
        eta=eta,
        ignore_result=True,
        retry_policy=PUBLISH_RETRY,
    )
