"""The demo experience library and commendations: on the 2021–2022 timeline, dated back, and safe to run twice."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType

from districts.models import AuditEntry, Role
from reporting.commendations.demo import seed_commendations
from reporting.commendations.models import Commendation
from reporting.experience.demo import RETURN_COMMENT, seed_experience
from reporting.experience.models import ExchangeEvent, ExperienceCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_users(make_user):
    make_user("reviewer", Role.COMMISSION_REVIEWER)
    for code in ("120101", "120103", "120104", "120105", "120111", "120116"):
        make_user(f"district-{code}", Role.DISTRICT_STAFF, district=code)
    for code in ("zjw", "cgw"):
        make_user(f"dept-{code}", Role.DEPARTMENT_STAFF, department=code)


def test_the_demo_library_follows_the_campaign_and_runs_once(demo_users):
    assert "5 published cases, 1 returned" in seed_experience()
    published = ExperienceCase.objects.filter(status="published")
    assert published.count() == 5
    assert {c.published_at.year for c in published} == {2021, 2022}
    onsite = ExchangeEvent.objects.get(kind="onsite")
    assert onsite.held_on == datetime.date(2021, 9, 16) and onsite.cases.count() == 2
    assert all(c.replicable for c in onsite.cases.all())
    returned = ExperienceCase.objects.get(status="returned")
    assert returned.steps.get(action="returned").comment == RETURN_COMMENT
    # Every step is dated when it happened, in order, and so is the trail.
    for case in ExperienceCase.objects.all():
        times = [s.at for s in case.steps.all()]
        assert times == sorted(times) and times[-1].year in (2021, 2022)
    trail = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(ExperienceCase))
    assert trail.exists() and all(e.at.year in (2021, 2022) for e in trail)
    assert seed_experience() == "experience library already present, left as it is"
    assert ExperienceCase.objects.count() == 6


def test_the_demo_commendations_cover_2021_and_2022(demo_users):
    assert "6 approved, 1 declined, 1 waiting" in seed_commendations()
    approved = Commendation.objects.approved()
    assert set(approved.values_list("year", flat=True)) == {2021, 2022}
    assert set(approved.values_list("kind", flat=True)) == {"unit", "individual", "practice"}
    declined = Commendation.objects.get(status="declined")
    assert declined.decision_reason and declined.decided_at.date() == datetime.date(declined.year, 12, 10)
    assert approved.filter(department__code="zjw").exists()
    assert seed_commendations() == "commendations already present, left as they are"
    assert Commendation.objects.count() == 8


def test_the_demo_steps_notifications_are_dated_by_their_step(demo_users):
    from reporting.experience.demo import _date_notifications
    from reporting.experience.models import ExperienceCaseStep
    from reporting.experience.tasks import case_step_notify
    from reporting.models import Notification

    seed_experience()
    # What a worker (or the in-process run without a broker) sends for each step.
    for step in ExperienceCaseStep.objects.all():
        case_step_notify(step.pk)
    _date_notifications()
    sent = Notification.objects.filter(key__startswith="experience-step:")
    assert sent.exists() and all(n.created_at.year in (2021, 2022) for n in sent)
    unread = sent.filter(read_at__isnull=True)
    assert [n.message for n in unread] == [f"经验做法“绿色生活公约进万家”已退回：{RETURN_COMMENT}"]
