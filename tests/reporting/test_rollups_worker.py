"""The nightly rollup through a real Celery worker on the Redis broker, the way beat starts it in production.

A `transaction=True` test ends by emptying every table. The module therefore saves what the session's database
holds before its tests (Tianjin's divisions, the rows the data migrations load) and puts it back afterwards.
"""

import datetime

import pytest
from celery.contrib.testing.worker import start_worker

from districts.models import Community
from reporting.models import Campaign, Enrolment, ProgressSnapshot
from reporting.services import enrolment_enrol
from reporting.tasks import rollup_nightly

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
UNITS = 1 + 16 + 299  # the city, its districts and its street-level units


def _stored() -> dict[int, tuple]:
    return {
        row[0]: row[1:]
        for row in ProgressSnapshot.objects.values_list("id", "on", "level", "unit_code", "roster", "pilots", "met")
    }


def test_the_worker_computes_every_months_snapshots_and_a_rerun_keeps_them(
    redis_app, seed_data_restored, own_queue, make_user
):
    admin = make_user("commission", "commission_admin")
    campaign = Campaign.objects.current()
    pilots = list(Community.objects.filter(street__code="120101001", kind="居委会").order_by("code")[:2])
    # Committed at once (transaction=True): the request for a recalculation goes to this test's queue.
    enrolment_enrol(
        campaign=campaign, communities=pilots, kind=Enrolment.Kind.PILOT, joined_on=datetime.date(2021, 3, 1), by=admin
    )

    with start_worker(redis_app, pool="solo", perform_ping_check=False, queues=[own_queue]):
        written = rollup_nightly.delay("2021-12-31").get(timeout=60)
        first = _stored()
        again = rollup_nightly.delay("2021-12-31").get(timeout=60)

    assert written == again == 14 * UNITS
    assert len(first) == 14 * UNITS
    assert _stored() == first
    on = datetime.date(2021, 12, 31)
    street = ProgressSnapshot.objects.get(on=on, level="street", unit_code="120101001")
    assert (street.pilots, street.streets_with_pilot) == (2, 1)
    city = ProgressSnapshot.objects.get(on=on, level="city")
    assert (city.unit_code, city.pilots, city.roster) == ("12", 2, 1934)
    assert city.target_share is not None and city.status == "behind"
