"""The project's Celery app with a visibility timeout of a few seconds, for the tests that kill a worker.

Redis hands an unacknowledged job to another worker only once its visibility timeout has passed since delivery
(production keeps 4 hours, longer than any job or countdown); a sweep every second finds it as soon as it has.
"""

import os

from greencommunity.celery import app

app.conf.broker_transport_options = {
    **app.conf.broker_transport_options,
    "visibility_timeout": int(os.environ["FAULTS_VISIBILITY_TIMEOUT"]),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
