"""seed_demo on the real roster: a realistic mix of report activity, consistent rows, and safe to run twice."""

import datetime
import io
import zoneinfo
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from districts.models import AuditEntry, District
from reporting.models import Campaign, Enrolment, Report, ReportEvent
from reporting.selectors import month_end
from reporting.timeliness import rates_total, reporting_rates
from standards.models import SelfAssessment

D = datetime.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Run seed_demo once for the whole module, and undo it afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "enrolments": Enrolment.objects.count(),
        "reports": Report.objects.count(),
        "events": ReportEvent.objects.count(),
        "rows": SelfAssessment.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def test_every_status_and_kind_is_present(seeded):
    statuses = Counter(Report.objects.values_list("status", flat=True))
    assert set(statuses) == set(Report.Status.values)
    assert statuses["accepted"] > 0.9 * sum(statuses.values())
    kinds = Counter(Report.objects.values_list("kind", flat=True))
    assert kinds["implementation_plan"] == 16
    assert 380 <= kinds["monthly"] < 16 * 26
    assert kinds["annual"] == 16 * 2 + 12 * 2 - 1


def test_the_reports_left_for_the_browser_tests(seeded):
    assert not Report.objects.filter(kind="monthly", district__code="120101", period=D(2022, 12, 1)).exists()
    assert Report.objects.get(kind="monthly", district__code="120103", period=D(2022, 12, 1)).status == "draft"
    assert not Report.objects.filter(kind="annual", department__code="zjw", period=D(2022, 1, 1)).exists()
    assert Report.objects.filter(kind="annual", department__code="zjw", period=D(2021, 1, 1)).exists()


def test_returned_reports_say_why(seeded):
    returned = Report.objects.filter(status="returned")
    assert returned.filter(kind="monthly").count() >= 2
    assert returned.filter(kind="implementation_plan").count() == 1
    for report in returned:
        assert report.events.order_by("-at", "-id").first().comment  # e.g. 请补充试点社区照片


def test_implementation_plans_have_targets_and_division_of_work(seeded):
    for plan in Report.objects.filter(kind="implementation_plan").prefetch_related("targets", "assignments"):
        assert [t.year for t in plan.targets.all()] == [2021, 2022]
        assert plan.targets.all()[0].communities < plan.targets.all()[1].communities
        assert 3 <= plan.assignments.count() <= 5
        assert plan.district.name in plan.overall_target


def test_histories_read_in_time_order_back_then(seeded):
    late = 0
    for report in Report.objects.exclude(status="draft"):
        assert report.created_at < report.first_submitted_at <= report.submitted_at
        assert report.submitted_at < datetime.datetime(2023, 2, 1, tzinfo=SHANGHAI)
        if report.status == "accepted":
            assert report.accepted_at > report.submitted_at
        late += report.first_submitted_at.astimezone(SHANGHAI).date() > report.due_on
    assert late >= 20
    times = list(ReportEvent.objects.order_by("report_id", "id").values_list("report_id", "at"))
    assert all(a[1] <= b[1] for a, b in zip(times, times[1:], strict=False) if a[0] == b[0])
    assert not ReportEvent.objects.filter(at__year__gte=2024).exists()
    monthly = Report.objects.filter(kind="monthly", district__code="120104", period=D(2021, 9, 1)).first()
    if monthly is not None:
        assert "南开区" in monthly.progress and monthly.figures["enrolled"] > 0


def test_rows_exist_only_for_communities_taking_part_that_month(seeded):
    spans = {
        community_id: (joined_on, withdrawn_on)
        for community_id, joined_on, withdrawn_on in Enrolment.objects.values_list(
            "community_id", "joined_on", "withdrawn_on"
        )
    }
    rows = list(SelfAssessment.objects.values_list("community_id", "period"))
    assert len(rows) > 10000
    for community_id, period in rows:
        joined_on, withdrawn_on = spans[community_id]
        assert joined_on <= month_end(period) and (withdrawn_on is None or withdrawn_on >= period)
    assert not SelfAssessment.objects.filter(period=D(2022, 12, 1), district__code="120101").exists()


def test_stages_and_items_agree(seeded):
    open_items = 0
    for stage, items in SelfAssessment.objects.values_list("stage", "items"):
        states = [items.get(str(n), "not_started") for n in range(1, 17)]
        if stage == "meets":
            assert all(s in ("meets", "not_applicable") for s in states), items
        elif stage == "creating":
            assert not all(s in ("meets", "not_applicable") for s in states), items
            open_items += 1
        elif stage == "not_started":
            assert items == {}
        assert all(s != "not_applicable" or n in (10, 16) for n, s in enumerate(states, start=1))
    assert open_items > 1000


def test_pilots_meet_the_standard_first_and_most_communities_by_the_end(seeded):
    first_meets = SelfAssessment.objects.filter(stage="meets").order_by("period").first()
    assert Enrolment.objects.get(community=first_meets.community).kind == "pilot"
    december = SelfAssessment.objects.filter(period=D(2022, 12, 1))
    enrolled = Enrolment.objects.active_on(D(2022, 12, 31)).exclude(community__district__code="120101").count()
    share = december.filter(stage="meets").count() / enrolled
    assert 0.6 <= share <= 0.7


def test_reporting_rates_are_high_but_not_perfect(seeded):
    rows = reporting_rates(campaign=Campaign.objects.current(), on=D(2023, 2, 1), districts=District.objects.all())
    total = rates_total(rows)
    assert 85 < total.rate < 100 and 60 < total.timeliness < total.rate
    assert any(row.timeliness < 100 for row in rows) and min(row.rate for row in rows) < 100


def test_a_second_run_adds_nothing(seeded):
    before = _counts()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert _counts() == before
    assert "already present" in out.getvalue()
