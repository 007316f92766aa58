"""Two rollups at once on PostgreSQL: a run that has to wait for another one waits before it reads anything, so it
computes from what the first committed and never stores figures older than those.

`transaction=True`: the two runs need their own connections and see each other's commits. The module saves what
the session's database holds and puts it back afterwards (`seed_data_restored`).
"""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.db import connection, transaction

from districts.models import Community
from reporting.figures.rollup_sql import ADVISORY_LOCK
from reporting.figures.rollups import rollup_date
from reporting.models import Campaign, Enrolment, ProgressSnapshot
from tests.conftest import require_service

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ON = datetime.date(2021, 3, 31)
STREET = "120101001"  # 劝业场街道


def _waiting_for_the_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND NOT granted", [ADVISORY_LOCK]
        )
        return cursor.fetchone()[0]


def test_a_rollup_that_waits_computes_from_what_the_one_before_it_committed(seed_data_restored):
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    campaign = Campaign.objects.current()
    community = Community.objects.filter(street__code=STREET, kind=Community.Kind.RESIDENTS_COMMITTEE).order_by("code")[
        0
    ]
    outcome: dict[str, object] = {}

    def second_run() -> None:
        try:
            outcome["rows"] = rollup_date(campaign=campaign, on=ON)
        except Exception as error:  # noqa: BLE001 — reported by the assertion below
            outcome["error"] = error
        finally:
            connection.close()  # this thread's own connection

    # The first run, as far as the second can tell: it holds the writers' lock and, before it commits, changes what
    # the figures are computed from (a pilot enrolled).
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        thread = threading.Thread(target=second_run)
        thread.start()
        deadline = time.monotonic() + 30
        while not _waiting_for_the_lock():
            assert time.monotonic() < deadline, "the second run never asked for the lock"
            time.sleep(0.05)
        Enrolment.objects.create(
            campaign=campaign, community=community, kind=Enrolment.Kind.PILOT, joined_on=datetime.date(2021, 3, 1)
        )
    thread.join(timeout=60)

    assert not thread.is_alive() and "error" not in outcome, outcome
    assert outcome["rows"] == 1 + 16 + 299
    street = ProgressSnapshot.objects.get(campaign=campaign, on=ON, level="street", unit_code=STREET)
    assert (street.pilots, street.streets_with_pilot) == (1, 1)
