"""The daily reminder job through a real Celery worker on the Redis broker, the way beat starts it in production.

A `transaction=True` test ends by emptying every table. The module therefore puts back, once its tests are done,
what the rest of the session relies on: Tianjin's divisions and the rows the data migrations load.
"""

import datetime
import uuid

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail

from districts.models import District
from greencommunity.celery import app as celery_app
from reporting.models import Campaign, Notification
from reporting.report_services import report_open, report_save, report_submit
from reporting.tasks import send_report_reminders
from tests.conftest import require_service

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
PROJECT_APPS = {"districts", "standards", "reporting"}


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def redis_app():
    # Module scope: checked before the database is set up for the test, so a skip costs no flush.
    require_service(bool(settings.REDIS_URL) and _redis_answers(settings.REDIS_URL), "Redis at REDIS_URL")
    assert celery_app.conf.broker_url.startswith("redis://")
    assert not celery_app.conf.task_always_eager
    return celery_app


@pytest.fixture
def own_queue(redis_app):
    """A queue for this test alone, so a worker of another run on the same Redis never takes these tasks."""
    name = f"test-reminders-{uuid.uuid4().hex}"
    previous = redis_app.conf.task_default_queue
    redis_app.conf.task_default_queue = name
    yield name
    redis_app.conf.task_default_queue = previous
    # Declaring on this connection first tells kombu the queue's bindings, so deleting removes them as well.
    with redis_app.connection_for_write() as connection:
        queue = redis_app.amqp.queues[name](connection.default_channel)
        queue.declare()
        queue.delete()


def _submit_march(user, district):
    report = report_open(
        campaign=Campaign.objects.current(),
        kind="monthly",
        period=datetime.date(2021, 3, 1),
        district=district,
        by=user,
    )
    report = report_save(report=report, version=report.version, data={"progress": "三月进展"}, by=user)
    return report_submit(report=report, by=user)


def test_the_worker_reminds_only_districts_that_have_not_submitted(redis_app, seed_data_restored, own_queue, make_user):
    heping = make_user("district-120101", "district_staff", district="120101")
    hedong = make_user("district-120102", "district_staff", district="120102")
    hexi = make_user("district-120103", "district_staff", district="120103")
    for user in (heping, hedong, hexi):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    _submit_march(heping, District.objects.get(code="120101"))
    report_open(
        campaign=Campaign.objects.current(),
        kind="monthly",
        period=datetime.date(2021, 3, 1),
        district=District.objects.get(code="120103"),
        by=hexi,
    )

    with start_worker(redis_app, pool="solo", perform_ping_check=False, queues=[own_queue]):
        first = send_report_reminders.delay("2021-04-02")
        assert first.get(timeout=30) == 2
        again = send_report_reminders.delay("2021-04-02")
        assert again.get(timeout=30) == 0

    reminded = Notification.objects.filter(key__startswith="reminder:")
    assert set(reminded.values_list("user__username", flat=True)) == {"district-120102", "district-120103"}
    assert set(reminded.values_list("key", flat=True)) == {
        "reminder:monthly:2021-03-01:district:120102:before3",
        "reminder:monthly:2021-03-01:district:120103:before3",
    }
    assert not Notification.objects.filter(user=heping).exists()
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "district-120102@example.org",
        "district-120103@example.org",
    ]
    assert all("将于2021年4月5日截止" in message.body for message in mail.outbox)
