"""A Celery worker (prefork pool) killed with its pool child in the middle of the nightly rollup: the next worker
runs the rollup again and the snapshot rows are exactly those of a clean run.

This test holds a lock on one month-end's city row, so the run stops part-way through writing the campaign's
snapshots, waiting on it; the worker is killed there. Redis then gives the unacknowledged job to the next worker
once the (shortened) visibility timeout has passed since the first delivery."""

from __future__ import annotations

import datetime
import time

import pytest
from celery import Celery

from districts.models import Community
from reporting.figures.rollups import rollup_all
from reporting.models import Campaign, Enrolment, ProgressSnapshot
from reporting.services import enrolment_enrol

from .conftest import VISIBILITY_TIMEOUT, Worker, lock_held, wait_for, waiting_on

pytestmark = [
    pytest.mark.faults,
    pytest.mark.usefixtures("postgresql_and_redis_server"),
    pytest.mark.django_db(transaction=True),
]

UNITS = 316  # the city, its 16 districts and 299 street-level units
LAST = datetime.date(2021, 7, 31)
HELD = datetime.date(2021, 4, 30)


def _snapshots() -> dict[tuple, tuple]:
    fields = [f.name for f in ProgressSnapshot._meta.fields if f.name not in {"id", "computed_at"}]
    return {
        (row["on"], row["level"], row["unit_code"]): tuple(row[name] for name in fields)
        for row in ProgressSnapshot.objects.values(*fields)
    }


def test_a_rollup_killed_half_way_is_run_again_and_leaves_the_rows_of_a_clean_run(
    seed_data_restored, worker_env, workers, make_user, tmp_path, private_redis
):
    env, _media = worker_env
    admin = make_user("commission", "commission_admin")
    campaign = Campaign.objects.current()
    pilots = list(Community.objects.filter(street__code="120101001", kind="居委会").order_by("code")[:3])
    enrolment_enrol(
        campaign=campaign, communities=pilots, kind=Enrolment.Kind.PILOT, joined_on=datetime.date(2021, 1, 4), by=admin
    )

    rollup_all(campaign=campaign, today=LAST)
    clean = _snapshots()
    dates = sorted({on for on, _level, _code in clean})
    assert len(clean) == len(dates) * UNITS and HELD in dates
    # Keep only the city's row of one month-end, and hold a lock on it: the rerun stops there.
    ProgressSnapshot.objects.exclude(on=HELD, level="city").delete()

    publisher = Celery(broker=private_redis.url, set_as_current=False)
    held_row = f'SELECT 1 FROM "{ProgressSnapshot._meta.db_table}" WHERE "on" = %s AND level = %s FOR UPDATE'  # noqa: S608
    with lock_held(held_row, [HELD, "city"]) as blocker:
        first = Worker(app="tests.faults.short_visibility", env=env, log=tmp_path / "worker-1.log", pool="prefork")
        workers.append(first)
        first.wait_ready()
        publisher.send_task("reporting.tasks.rollup_nightly", args=[LAST.isoformat()])
        wait_for(lambda: waiting_on(blocker), timeout=120, what="the rollup to reach the held month", every=0.1)
        committed = _snapshots()
        # Part-way: the run waits to write the held month; whatever it committed before is already final.
        assert len(committed) < len(clean)
        assert all(clean[key] == values for key, values in committed.items())
        first.kill()
        killed = time.monotonic()

    second = Worker(app="tests.faults.short_visibility", env=env, log=tmp_path / "worker-2.log", pool="prefork")
    workers.append(second)
    second.wait_ready()
    wait_for(
        lambda: second.succeeded("reporting.tasks.rollup_nightly"),
        timeout=VISIBILITY_TIMEOUT + 90,
        what="the redelivered rollup to finish",
        every=0.2,
    )
    print(
        f"\nfaults: rollup run again {time.monotonic() - killed:.1f} s after SIGKILL (visibility timeout {VISIBILITY_TIMEOUT} s)"
    )

    assert _snapshots() == clean
    assert ProgressSnapshot.objects.count() == len(dates) * UNITS
