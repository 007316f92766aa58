"""The monthly report's roster figures: one query, each figure by its definition, never a cached answer."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from districts.models import Community, District
from reporting.figures import selectors
from reporting.models import Campaign, Report
from reporting.services import enrolment_enrol, enrolment_withdraw
from standards.models import SelfAssessment
from tests.builders import filed_monthly_report, reported_assessment

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def campaign():
    return Campaign.objects.current()


@pytest.fixture
def heping_activity(campaign, heping_staff):
    heping = District.objects.get(code="120101")
    communities = list(Community.objects.filter(district=heping).order_by("code")[:12])
    enrolment_enrol(
        campaign=campaign, communities=communities[:4], kind="pilot", joined_on=D(2021, 1, 10), by=heping_staff
    )
    enrolment_enrol(
        campaign=campaign, communities=communities[4:9], kind="batch", joined_on=D(2021, 3, 15), by=heping_staff
    )
    enrolment_withdraw(enrolment=communities[5].enrolments.get(), on=D(2021, 4, 2), reason="拆迁", by=heping_staff)
    for number, community in enumerate(communities[:3]):
        reported_assessment(campaign, community, D(2021, 3, 1), "meets" if number < 2 else "creating")
    return heping


def test_the_figures_of_a_month_and_the_next(campaign, heping_activity):
    march = selectors.district_figures(campaign=campaign, district=heping_activity, period=D(2021, 3, 1))
    assert (march["enrolled"], march["pilots"], march["self_assessed"]) == (9, 4, 2)
    april = selectors.district_figures(campaign=campaign, district=heping_activity, period=D(2021, 4, 1))
    # One withdrew on 2 April; April has no report yet, so March's self-assessments carry forward.
    assert (april["enrolled"], april["self_assessed"]) == (8, 2)
    hexi = selectors.district_figures(
        campaign=campaign, district=District.objects.get(code="120103"), period=D(2021, 3, 1)
    )
    assert (hexi["enrolled"], hexi["self_assessed"]) == (0, 0)


def test_a_withdrawn_community_is_not_self_assessed_after_it_withdrew(campaign, heping_activity, heping_staff):
    first = Community.objects.filter(district=heping_activity).order_by("code")[0]
    enrolment_withdraw(enrolment=first.enrolments.get(), on=D(2021, 4, 10), reason="居民意愿不足", by=heping_staff)
    march = selectors.district_figures(campaign=campaign, district=heping_activity, period=D(2021, 3, 1))
    april = selectors.district_figures(campaign=campaign, district=heping_activity, period=D(2021, 4, 1))
    assert (march["self_assessed"], april["self_assessed"]) == (2, 1)


def test_a_draft_report_shows_its_own_self_assessments_and_others_count_once_submitted(campaign, heping_activity):
    """The figures a report shows and freezes are those it states; another report's rows count once it is filed."""
    communities = list(Community.objects.filter(district=heping_activity).order_by("code")[:9])
    draft = Report.objects.create(
        campaign=campaign,
        kind=Report.Kind.MONTHLY,
        district=heping_activity,
        period=D(2021, 4, 1),
        due_on=D(2021, 5, 5),
    )
    for community in communities[2:5]:
        SelfAssessment.objects.create(
            community=community, district=heping_activity, period=D(2021, 4, 1), stage="meets"
        )
    SelfAssessment.objects.create(
        community=communities[0], district=heping_activity, period=D(2021, 4, 1), stage="creating"
    )
    april = {"campaign": campaign, "district": heping_activity, "period": D(2021, 4, 1)}
    assert selectors.district_figures(**april)["self_assessed"] == 2  # March's, carried forward
    # As the draft states them: 2, 3, 4 meet, 0 creating, 1 carried from March.
    assert selectors.district_figures(**april, stating=draft)["self_assessed"] == 4
    assert selectors.report_figures(draft)["now"]["self_assessed"] == 4
    Report.objects.filter(pk=draft.pk).update(status=Report.Status.SUBMITTED)
    assert selectors.district_figures(**april)["self_assessed"] == 4


def test_a_change_shows_at_once_and_a_month_costs_one_query(campaign, heping_activity, heping_staff):
    before = selectors.district_figures(campaign=campaign, district=heping_activity, period=D(2021, 3, 1))
    newcomer = Community.objects.filter(district=heping_activity).order_by("code")[20]
    enrolment_enrol(campaign=campaign, communities=[newcomer], kind="pilot", joined_on=D(2021, 3, 20), by=heping_staff)
    with CaptureQueriesContext(connection) as queries:
        after = selectors.district_figures(campaign=campaign, district=heping_activity, period=D(2021, 3, 1))
    assert len(queries) == 1
    assert after["enrolled"] == before["enrolled"] + 1 and after["pilots"] == before["pilots"] + 1
    assert after["self_assessed"] == before["self_assessed"]


def test_last_months_figures_are_those_its_filed_report_stated(campaign, heping_activity, heping_staff):
    """The change column compares with what last month's report stated when it was filed; a change recorded since
    (a backdated enrolment) shows in this month's figures, not in last month's record."""
    march = filed_monthly_report(campaign, heping_activity, D(2021, 3, 1))
    stated = selectors.district_figures(
        campaign=campaign, district=heping_activity, period=D(2021, 3, 1), stating=march
    )
    Report.objects.filter(pk=march.pk).update(figures=stated)
    newcomer = Community.objects.filter(district=heping_activity).order_by("code")[20]
    enrolment_enrol(campaign=campaign, communities=[newcomer], kind="batch", joined_on=D(2021, 3, 20), by=heping_staff)
    april = Report.objects.create(
        campaign=campaign,
        kind=Report.Kind.MONTHLY,
        district=heping_activity,
        period=D(2021, 4, 1),
        due_on=D(2021, 5, 5),
    )
    figures = selectors.report_figures(april)
    assert figures["before"]["enrolled"] == stated["enrolled"] == 9
    assert figures["now"]["enrolled"] == 9  # 8 after April's withdrawal, and the newcomer
    assert {key: change for key, _now, change in figures["rows"]}["enrolled"] == 0
    # Returned for changes, March states nothing: its figures are computed again, newcomer included.
    Report.objects.filter(pk=march.pk).update(status=Report.Status.RETURNED)
    assert selectors.report_figures(april)["before"]["enrolled"] == 10
