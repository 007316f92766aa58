"""The daily reminder job through a real Celery worker on the Redis broker, the way beat starts it in production.

A `transaction=True` test ends by emptying every table. The module therefore puts back, once its tests are done,
what the rest of the session relies on: Tianjin's divisions and the rows the data migrations load.
"""

import datetime

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from districts.models import District
from reporting.models import Campaign, Notification
from reporting.reports.services import report_open, report_save, report_submit
from reporting.tasks import send_report_reminders

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


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
