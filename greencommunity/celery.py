import logging
import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "greencommunity.settings")

app = Celery("greencommunity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The tasks of reporting's packages (their names stay those of the modules they were first defined in).
app.autodiscover_tasks(["reporting.documents"])

logger = logging.getLogger(__name__)


@worker_ready.connect
def flush_outbox_on_start(sender: Any, **kwargs: Any) -> None:
    """A worker that starts (after an outage, a deploy) first publishes the jobs the broker missed, rather than
    leaving them to beat's next minute. Queued as a task: it runs in the pool, like every database job."""
    from outbox.tasks import outbox_flush

    try:
        outbox_flush.apply_async(ignore_result=True)
    except Exception:
        logger.exception("outbox: could not queue the flush at worker start")
