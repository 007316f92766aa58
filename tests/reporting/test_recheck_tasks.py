"""The daily revocation job, its schedule, and the district told of a revocation."""

from __future__ import annotations

import datetime

import pytest
from django_celery_beat.models import PeriodicTask

from districts.models import District
from reporting.models import Notification
from reporting.tasks import revocation_notify, revocations_daily
from standards.models import Rectification, Revocation
from standards.recheck import Quota
from tests.standards.test_recheck import HEPING, accept_world, inspect, open_recheck

pytestmark = pytest.mark.django_db
D = datetime.date


def test_the_daily_job_revokes_a_missed_deadline_once_and_tells_the_district(
    commission_admin, inspector, heping_staff, hexi_staff, django_capture_on_commit_callbacks
):
    accept_world(commission_admin, inspector)
    round_, team = open_recheck(
        commission_admin, inspector, quotas={District.objects.get(code=HEPING): Quota(number=1)}
    )
    community = round_.selections.get().community
    inspect(round_, team, community, D(2023, 3, 10), by_admin=commission_admin, inspector=inspector, fail=[5])
    assert Rectification.objects.get(community=community).due_on == D(2023, 4, 9)
    with django_capture_on_commit_callbacks() as callbacks:
        assert revocations_daily("2023-04-09") == 0
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        assert revocations_daily("2023-04-10") == 1
    # The district's notification is queued on commit (sent here in process, below).
    assert any("_revocation_notify" in c.__qualname__ for c in callbacks)
    assert revocations_daily("2023-04-11") == 0
    revocation = Revocation.objects.get()
    assert revocation.revoked_on == D(2023, 4, 10)
    assert revocation_notify(revocation.pk) == 1
    assert revocation_notify(revocation.pk) == 0
    (note,) = Notification.objects.filter(user=heping_staff)
    assert community.name in note.message and "2023年4月10日" in note.message and "摘牌" in note.message
    assert not Notification.objects.filter(user=hexi_staff).exists()
    task = PeriodicTask.objects.get(task="reporting.tasks.revocations_daily")
    assert task.enabled and task.crontab.hour == "1"
