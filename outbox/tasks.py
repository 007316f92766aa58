"""Celery entry point of the outbox: beat runs the flush every minute and each worker runs it as it starts."""

from celery import shared_task

from .services import outbox_flush as flush


@shared_task(ignore_result=True)
def outbox_flush() -> int:
    """Publish the jobs that could not reach the broker when they were asked for."""
    return flush()
