"""seed_demo on the real roster: a realistic mix of report activity, consistent rows, and safe to run twice."""

import datetime
import io
import re
import zoneinfo
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef

from districts.models import AuditEntry, Community, District, DivisionChange, RosterRelease
from reporting.figures.selectors import month_end, roster_communities
from reporting.figures.timeliness import rates_total, reporting_rates
from reporting.models import Campaign, Enrolment, Report, ReportEvent
from standards.acceptance import met_communities, met_inspections
from standards.models import (
    AcceptanceRound,
    Assignment,
    Inspection,
    InspectionAnswer,
    InspectionTeam,
    Objection,
    Rectification,
    SelfAssessment,
)

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
        "rounds": AcceptanceRound.objects.count(),
        "assignments": Assignment.objects.count(),
        "inspections": Inspection.objects.count(),
        "answers": InspectionAnswer.objects.count(),
        "rectifications": Rectification.objects.count(),
        "objections": Objection.objects.count(),
        "releases": RosterRelease.objects.count(),
        "division changes": DivisionChange.objects.count(),
        "closed": Community.objects.filter(closed_on__isnull=False).count(),
    }


def _first() -> Campaign:
    """The demo's 2020-2022 campaign, whose history most of these tests look at (the second has tests of its own)."""
    campaign = Campaign.objects.order_by("starts_on").first()
    assert campaign is not None
    return campaign


def test_every_status_and_kind_is_present(seeded):
    statuses = Counter(Report.objects.filter(campaign=_first()).values_list("status", flat=True))
    assert set(statuses) == set(Report.Status.values)
    assert statuses["accepted"] > 0.9 * sum(statuses.values())
    kinds = Counter(Report.objects.filter(campaign=_first()).values_list("kind", flat=True))
    assert kinds["implementation_plan"] == 16
    assert 380 <= kinds["monthly"] < 16 * 26
    assert kinds["annual"] == 16 * 2 + 12 * 2 - 1


def test_the_reports_left_for_the_browser_tests(seeded):
    assert not Report.objects.filter(kind="monthly", district__code="120101", period=D(2022, 12, 1)).exists()
    assert Report.objects.get(kind="monthly", district__code="120103", period=D(2022, 12, 1)).status == "draft"
    assert not Report.objects.filter(kind="annual", department__code="zjw", period=D(2022, 1, 1)).exists()
    assert Report.objects.filter(kind="annual", department__code="zjw", period=D(2021, 1, 1)).exists()
    # The first rows of that 和平区 report have items left to change: the communities are still creating.
    november = SelfAssessment.objects.filter(district__code="120101", period=D(2022, 11, 1)).order_by("community__code")
    assert [row.stage for row in november[:2]] == ["creating", "creating"]


def test_returned_reports_say_why(seeded):
    returned = Report.objects.filter(status="returned")
    assert returned.filter(kind="monthly").count() >= 2
    assert returned.filter(kind="implementation_plan").count() == 1
    for report in returned:
        assert report.events.order_by("-at", "-id").first().comment  # e.g. 请补充试点社区照片


def test_implementation_plans_have_targets_and_division_of_work(seeded):
    for plan in Report.objects.filter(campaign=_first(), kind="implementation_plan").prefetch_related(
        "targets", "assignments"
    ):
        assert [t.year for t in plan.targets.all()] == [2021, 2022]
        assert plan.targets.all()[0].communities < plan.targets.all()[1].communities
        assert 3 <= plan.assignments.count() <= 5
        assert plan.district.name in plan.overall_target


def test_histories_read_in_time_order_back_then(seeded):
    late = 0
    for report in Report.objects.filter(campaign=_first()).exclude(status="draft"):
        assert report.created_at < report.first_submitted_at <= report.submitted_at
        assert report.submitted_at < datetime.datetime(2023, 2, 1, tzinfo=SHANGHAI)
        if report.status == "accepted":
            assert report.accepted_at > report.submitted_at
        late += report.first_submitted_at.astimezone(SHANGHAI).date() > report.due_on
    assert late >= 20
    times = list(ReportEvent.objects.order_by("report_id", "id").values_list("report_id", "at"))
    assert all(a[1] <= b[1] for a, b in zip(times, times[1:], strict=False) if a[0] == b[0])
    assert not ReportEvent.objects.filter(report__campaign=_first(), at__year__gte=2024).exists()
    monthly = Report.objects.filter(kind="monthly", district__code="120104", period=D(2021, 9, 1)).first()
    if monthly is not None:
        assert "南开区" in monthly.progress and monthly.figures["enrolled"] > 0


def test_rows_exist_only_for_communities_taking_part_that_month(seeded):
    spans = {
        community_id: (joined_on, withdrawn_on)
        for community_id, joined_on, withdrawn_on in Enrolment.objects.filter(campaign=_first()).values_list(
            "community_id", "joined_on", "withdrawn_on"
        )
    }
    rows = list(SelfAssessment.objects.filter(standard=_first().standard_id).values_list("community_id", "period"))
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
    assert Enrolment.objects.get(campaign=_first(), community=first_meets.community).kind == "pilot"
    december = Counter(SelfAssessment.objects.filter(period=D(2022, 12, 1)).values_list("stage", flat=True))
    share = december["meets"] / (december.total() - december["withdrawn"])
    assert 0.75 <= share <= 0.92 and december["creating"] > 100


def test_enrolment_and_self_assessment_keep_the_campaigns_pace(seeded):
    campaign = _first()
    for on, low, high in ((D(2021, 6, 30), 0.68, 0.82), (D(2022, 6, 30), 0.84, 0.96)):
        roster = roster_communities(campaign=campaign, on=on)
        size = Counter(roster.values_list("district_id", flat=True))
        enrolled = Counter(
            Enrolment.objects.active_on(on)
            .filter(community__in=roster)
            .values_list("community__district_id", flat=True)
        )
        assert all(low <= enrolled[district_id] / n <= high for district_id, n in size.items()), on
    city = _urban_roster(D(2022, 10, 31)).total()
    assert 0.35 <= len(_self_assessed_meeting(D(2021, 10, 1))) / city <= 0.45
    assert 0.65 <= len(_self_assessed_meeting(D(2022, 10, 1))) / city <= 0.75


def test_every_subdistrict_but_one_or_two_has_a_pilot_by_may_2021(seeded):
    with_pilot = set(
        Enrolment.objects.active_on(D(2021, 5, 31))
        .filter(kind="pilot", community__street__kind="街道")
        .values_list("community__street__code", flat=True)
    )
    subdistricts = set(
        Community.objects.filter(kind=Community.Kind.RESIDENTS_COMMITTEE, street__kind="街道").values_list(
            "street__code", flat=True
        )
    )
    assert 1 <= len(subdistricts - with_pilot) <= 2


def test_reporting_rates_are_high_but_not_perfect(seeded):
    rows = reporting_rates(campaign=_first(), on=D(2023, 2, 1), districts=District.objects.all())
    total = rates_total(rows)
    assert 85 < total.rate < 100 and 60 < total.timeliness < total.rate
    assert any(row.timeliness < 100 for row in rows) and min(row.rate for row in rows) < 100


def test_every_demo_user_has_a_plausible_chinese_name(seeded):
    """Issue 14 item 14: demo users are people with names (姓 in last_name, 名 in first_name), listed with their
    logins, rather than login names on every page."""
    users = list(get_user_model().objects.all())
    assert users
    for user in users:
        assert re.fullmatch(r"[\u4e00-\u9fff]", user.last_name), user.username
        assert re.fullmatch(r"[\u4e00-\u9fff]{1,2}", user.first_name), user.username
        assert f"{user.username} " in seeded and f"{user.last_name}{user.first_name} · " in seeded
    assert len({(u.last_name, u.first_name) for u in users}) == len(users)


def test_a_second_run_adds_nothing(seeded):
    before = _counts()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert _counts() == before
    assert "already present" in out.getvalue()
    assert "2021 round already present" in out.getvalue() and "2022 round already present" in out.getvalue()
    assert "roster releases already present" in out.getvalue()
    assert "re-checks already present, left as they are" in out.getvalue()


# --- year-end acceptance ----------------------------------------------------------------------------------------


def _urban_roster(on: datetime.date) -> Counter[int]:
    return Counter(
        Community.objects.on_roster(on)
        .filter(kind=Community.Kind.RESIDENTS_COMMITTEE)
        .values_list("district_id", flat=True)
    )


def _self_assessed_meeting(by: datetime.date) -> set[int]:
    """Communities whose latest monthly row up to `by` says they meet the standard."""
    latest = {}
    for community_id, stage in (
        SelfAssessment.objects.filter(period__lte=by).order_by("period").values_list("community_id", "stage")
    ):
        latest[community_id] = stage
    return {community_id for community_id, stage in latest.items() if stage == "meets"}


def test_a_finished_2021_round_and_a_2022_round_under_way(seeded):
    rounds = {r.year: r for r in AcceptanceRound.objects.filter(year__lte=2022)}
    assert set(rounds) == {2021, 2022}
    assert rounds[2021].name == "2021年度绿色社区创建验收"
    assert (rounds[2021].opens_on, rounds[2021].closes_on) == (D(2021, 10, 15), D(2021, 12, 25))
    assert (rounds[2022].opens_on, rounds[2022].closes_on) == (D(2022, 10, 10), D(2022, 12, 25))
    assert rounds[2021].notice_days == rounds[2022].notice_days == 7
    for round_ in rounds.values():
        teams = list(InspectionTeam.objects.filter(round=round_).prefetch_related("members"))
        assert len(teams) == 3
        for team in teams:
            usernames = [m.username for m in team.members.all()]
            assert sum(name.startswith("inspector-") for name in usernames) == 1
            assert 1 <= sum(name.startswith("dept-") for name in usernames) <= 2
        signed = Inspection.objects.filter(round=round_, status="signed")
        assert not signed.exclude(signed_on__range=(round_.opens_on, round_.closes_on)).exists()
    assert "acceptance: 2021 round:" in seeded and "2022 round:" in seeded


def test_the_2021_round_has_every_outcome(seeded):
    round_ = AcceptanceRound.objects.get(year=2021)
    first = Inspection.objects.filter(round=round_, status="signed", assignment__kind="first")
    passed = first.filter(passed=True).count()
    assert 0.75 <= passed / first.count() <= 0.92
    statuses = Counter(Rectification.objects.filter(inspection__round=round_).values_list("status", flat=True))
    assert statuses["open"] and statuses["requested"] and statuses["closed"]
    open_communities = Rectification.objects.filter(inspection__round=round_, status="open").values("community")
    assert 2 <= open_communities.distinct().count() <= 3
    reinspections = Inspection.objects.filter(round=round_, assignment__kind="reinspection")
    assert reinspections.exists()
    for reinspection in reinspections:
        assert reinspection.passed and reinspection.signed_on <= D(2021, 12, 31)
        assert reinspection.closed_rectifications.exists()
    failed_notes = InspectionAnswer.objects.filter(result="fails").values_list("note", flat=True)
    assert "垃圾分类投放点未设置分类标识" in failed_notes and all(failed_notes)

    objections = {o.decision: o for o in Objection.objects.filter(inspection__round=round_)}
    assert set(objections) == {"dismissed", "upheld"}
    met = set(met_communities(D(2021, 12, 31)))
    assert objections["dismissed"].inspection.community in met
    assert objections["upheld"].inspection.community not in met
    for objection in objections.values():
        inspection = objection.inspection
        assert inspection.signed_on <= objection.received_on <= inspection.notice_ends_on
        assert objection.decision_note and inspection.notice_ends_on < objection.decided_at.astimezone(SHANGHAI).date()


def test_not_applicable_only_where_the_community_said_so(seeded):
    not_applicable = InspectionAnswer.objects.filter(result="not_applicable")
    assert set(not_applicable.values_list("item__number", flat=True)) == {10, 16}
    for community_id, number in not_applicable.values_list("inspection__community_id", "item__number")[:200]:
        row = (
            SelfAssessment.objects.filter(community_id=community_id, period__lt=D(2023, 1, 1))
            .order_by("-period")
            .first()
        )
        assert row.items[str(number)] == "not_applicable"


def test_every_signed_inspection_answers_every_item(seeded):
    assert Inspection.objects.filter(status="signed").count() > 500
    counts = Inspection.objects.filter(status="signed").annotate(n=Count("answers")).values_list("n", flat=True)
    assert set(counts) == {16}
    assert not Inspection.objects.filter(status="signed", passed=True, answers__result="fails").exists()
    assert not Inspection.objects.filter(status="signed", passed=False).exclude(answers__result="fails").exists()


def test_who_is_inspected_follows_the_self_assessments(seeded):
    for year in (2021, 2022):
        applied = _self_assessed_meeting(D(year, 10, 1))
        inspected = set(
            Assignment.objects.filter(round__year=year, kind="first").values_list("community_id", flat=True)
        )
        assert inspected <= applied
        met = set(met_communities(D(year, 12, 31)).values_list("pk", flat=True))
        assert met <= _self_assessed_meeting(D(year, 10, 1)) | _self_assessed_meeting(D(year - 1, 10, 1))
        # Most who applied are accepted by the year's end; some are still rectifying.
        assert 0.8 * len(applied) <= len(met) < len(applied)


def _met_shares(on: datetime.date) -> tuple[dict[int, float], float]:
    """Each district's share of its urban roster accepted as meeting the standard on `on`, and the city's."""
    campaign = _first()
    assert campaign is not None
    roster = roster_communities(campaign=campaign, on=on)
    size = Counter(roster.values_list("district_id", flat=True))
    met = Counter(met_inspections(on).filter(community__in=roster).values_list("district_id", flat=True))
    return {district_id: met[district_id] / n for district_id, n in size.items()}, met.total() / size.total()


def test_most_districts_reach_the_years_target_and_a_few_fall_behind(seeded):
    shares_2021, city_2021 = _met_shares(D(2021, 12, 31))
    shares_2022, city_2022 = _met_shares(D(2022, 12, 31))
    assert len(shares_2021) == len(shares_2022) == 16
    assert sum(share >= 0.30 for share in shares_2021.values()) >= 10
    assert sum(share < 0.30 for share in shares_2021.values()) >= 2
    assert sum(share >= 0.60 for share in shares_2022.values()) >= 10
    assert sum(share < 0.60 for share in shares_2022.values()) >= 2
    assert 0.33 <= city_2021 <= 0.40 and 0.62 <= city_2022 <= 0.70
    assert all(shares_2022[district_id] >= shares_2021[district_id] for district_id in shares_2021)


def test_the_reports_say_whether_a_district_is_on_target_as_the_acceptance_found(seeded):
    for year, target in ((2021, 0.30), (2022, 0.60)):
        shares, _city = _met_shares(D(year, 12, 31))
        annual = Report.objects.filter(kind="annual", period=D(year, 1, 1), district__isnull=False)
        assert annual.count() == 16
        for report in annual:
            reached = shares[report.district_id] >= target
            assert ("完成年度目标" in report.progress) == reached, (report.district_id, report.progress)
            assert (f"距{round(target * 100)}%的年度目标尚有差距" in report.progress) != reached
        monthly = Report.objects.filter(kind="monthly", period__year=year)
        for district_id, progress in monthly.values_list("district_id", "progress"):
            if "符合年度计划" in progress or "按计划推进" in progress:
                assert shares[district_id] >= target, (district_id, progress)
            if "滞后于年度计划" in progress or "距年度目标尚有差距" in progress:
                assert shares[district_id] < target, (district_id, progress)
    said = Report.objects.filter(kind="monthly").values_list("progress", flat=True)
    assert any("符合年度计划" in p for p in said) and any("滞后于年度计划" in p for p in said)


def test_the_2022_round_leaves_work_for_the_browser_tests(seeded):
    inspector = get_user_model().objects.get(username="inspector-1")
    mine = Assignment.objects.for_member(inspector).filter(round__year=2022)
    not_started = mine.filter(district__code="120101", inspections__isnull=True)
    assert not_started.count() >= 3
    assert (
        not Assignment.objects.filter(round__year=2022, inspections__isnull=True).exclude(pk__in=not_started).exists()
    )
    (half_done,) = Inspection.objects.filter(status="open", round__year=2022)
    assert half_done.assignment in mine
    assert sorted(half_done.answers.values_list("item__number", flat=True)) == list(range(1, 9))
    statuses = Counter(Rectification.objects.filter(inspection__round__year=2022).values_list("status", flat=True))
    assert set(statuses) == {"open", "done", "requested", "closed"}
    assert Objection.objects.filter(inspection__round__year=2022, decision="pending").exists()


def test_a_hexi_pass_is_still_under_notice_on_20_december_2022(seeded):
    later = set(met_communities(D(2022, 12, 31))) - set(met_communities(D(2022, 12, 20)))
    hexi = [c for c in later if c.district.code == "120103"]
    assert hexi
    inspection = (
        Inspection.objects.filter(community=hexi[0], status="signed", round__year=2022).order_by("-signed_at").first()
    )
    assert inspection.passed and inspection.signed_on <= D(2022, 12, 20) < inspection.notice_ends_on


def test_the_acceptance_history_is_dated_back_then(seeded):
    """The campaign's two rounds (2021, 2022) are dated in their years; the later standing management in its own."""
    signed = Inspection.objects.filter(status="signed")
    assert not signed.filter(started_at__gte=F("signed_at")).exists()
    assert not signed.filter(assignment__assigned_at__gte=F("started_at")).exists()
    assert not InspectionAnswer.objects.filter(
        inspection__status="signed", answered_at__gt=F("inspection__signed_at")
    ).exists()
    assert not Inspection.objects.filter(round__year__lte=2022, started_at__year__gte=2023).exists()
    assert not Inspection.objects.filter(started_at__year__lt=F("round__year")).exists()
    rectifications = Rectification.objects.exclude(status="open")
    assert not rectifications.filter(done_at__lte=F("inspection__signed_at")).exists()
    assert not rectifications.exclude(status="done").filter(requested_at__lt=F("done_at")).exists()
    assert not Rectification.objects.filter(closed_by_inspection__signed_at__lte=F("requested_at")).exists()
    models = (AcceptanceRound, InspectionTeam, Assignment, Inspection, Rectification, Objection)
    entries = AuditEntry.objects.filter(content_type__in=ContentType.objects.get_for_models(*models).values())
    assert entries.count() > 2000
    assert not entries.filter(at__gte=datetime.datetime(2026, 12, 8, tzinfo=SHANGHAI)).exists()
    campaign_rounds = AcceptanceRound.objects.filter(year__lte=2022).values_list("pk", flat=True)
    campaign_entries = entries.filter(
        content_type=ContentType.objects.get_for_model(Inspection),
        object_id__in=[
            str(pk) for pk in Inspection.objects.filter(round__in=campaign_rounds).values_list("pk", flat=True)
        ],
    )
    assert not campaign_entries.filter(at__gte=datetime.datetime(2023, 1, 1, tzinfo=SHANGHAI)).exists()
    inspection = signed.filter(passed=False, round__year=2021).first()
    trail = entries.filter(object_id=str(inspection.pk), content_type=ContentType.objects.get_for_model(Inspection))
    assert list(trail.order_by("id").values_list("at", flat=True)) == [inspection.started_at, inspection.signed_at]


def test_monthly_reports_show_the_communities_met_by_the_months_end(seeded):
    reports = Report.objects.filter(kind="monthly", period__gte=D(2021, 11, 1)).exclude(figures={})
    assert reports.count() > 100
    shown = 0
    for report in reports.select_related("district"):
        met = met_inspections(month_end(report.period)).filter(district=report.district).count()
        assert report.figures["met"] == met, (report.district.code, report.period)
        shown += met
    assert shown > 1000


# --- the rollup, recomputed independently -----------------------------------------------------------------------


def _orm_street_figures(campaign, on):
    """Each street-level unit's (roster, participating, pilots, self-assessed, met) as of `on`, counted through the
    ORM selectors the pages use — not through the rollup's SQL."""
    from reporting.figures.selectors import active_enrolments, self_assessed_communities

    roster = roster_communities(campaign=campaign, on=on)
    counts = {}

    def add(index, rows):
        for street_id, n in rows:
            counts.setdefault(street_id, [0] * 5)[index] = n

    def by_street(queryset):
        return queryset.order_by().values("street_on").annotate(n=Count("pk")).values_list("street_on", "n")

    enrolled = active_enrolments(campaign=campaign, on=on)
    add(0, by_street(roster))
    add(1, by_street(roster.filter(Exists(enrolled.filter(community=OuterRef("pk"))))))
    add(2, by_street(roster.filter(Exists(enrolled.filter(kind="pilot", community=OuterRef("pk"))))))
    add(3, by_street(self_assessed_communities(campaign=campaign, on=on)))
    add(4, by_street(roster.filter(Exists(met_inspections(on).filter(community=OuterRef("pk"))))))
    return counts


def test_the_stored_snapshots_agree_with_an_independent_recomputation(seeded):
    """Every stored figure of every unit and month-end, recomputed through the ORM selectors and the tests' own statement of the status rule (`oracle.judge`): the
    rollup's SQL and the pages' definitions must not drift apart."""
    from decimal import Decimal

    from districts.models import Street
    from reporting.figures.rollups import PACE_MONTHS, _months_back, rollup_all, rollup_dates, target_for
    from reporting.models import ProgressSnapshot
    from tests.reporting.oracle import Earlier, judge, share_of

    campaign = _first()
    end = D(2022, 12, 31)
    rollup_all(campaign=campaign, today=end)
    streets = {s.pk: s for s in Street.objects.select_related("district")}
    milestones = list(campaign.milestones.all())
    shares = {}
    checked = 0
    for on in rollup_dates(campaign, end):
        stored = {(row.level, row.unit_code): row for row in ProgressSnapshot.objects.filter(campaign=campaign, on=on)}
        figures = _orm_street_figures(campaign, on)
        expected = {}
        for street_id, street in streets.items():
            roster, participating, pilots, assessed, met = figures.get(street_id, [0] * 5)
            subdistrict = street.kind == "街道"
            row = [roster, participating, pilots, int(subdistrict), int(subdistrict and pilots > 0), assessed, met]
            expected[("street", street.code)] = row
            district = expected.setdefault(("district", street.district.code), [0] * 7)
            expected[("district", street.district.code)] = [a + b for a, b in zip(district, row, strict=True)]
        for code in District.objects.values_list("code", flat=True):
            expected.setdefault(("district", code), [0] * 7)
        expected[("city", "12")] = [
            sum(values) for values in zip(*(v for k, v in expected.items() if k[0] == "district"), strict=True)
        ]
        assert set(stored) == set(expected), on
        rates = {
            r.district.code: (r.expected, r.submitted, r.timely)
            for r in reporting_rates(campaign=campaign, on=on, districts=District.objects.all())
        }
        target = target_for(milestones, on)
        then = _months_back(on, PACE_MONTHS)
        for key, row in expected.items():
            snapshot = stored[key]
            got = [
                snapshot.roster,
                snapshot.participating,
                snapshot.pilots,
                snapshot.streets,
                snapshot.streets_with_pilot,
                snapshot.self_assessed,
                snapshot.met,
            ]
            assert got == row, (on, key)
            if key[0] == "district":
                assert (snapshot.reports_expected, snapshot.reports_submitted, snapshot.reports_timely) == rates[
                    key[1]
                ], (on, key)
            roster, assessed, met = row[0], row[5], row[6]
            share = share_of(met, roster)
            earlier = shares.get((then, key))
            earlier = (
                Earlier(on=then, share=earlier[0], self_assessed=earlier[1])
                if earlier
                else Earlier(on=campaign.starts_on - datetime.timedelta(days=1), share=Decimal(0))
            )
            projected, status = judge(
                share=share,
                roster=roster,
                on=on,
                target=target,
                earlier=earlier,
                self_assessed=share_of(assessed, roster),
            )
            assert (snapshot.met_share, snapshot.projected_share, snapshot.status) == (share, projected, status), (
                on,
                key,
            )
            shares[(on, key)] = (share, share_of(assessed, roster))
            checked += 1
    assert checked == 26 * (1 + 16 + 299)
    # The demo campaign exercises the status rule: every status occurs somewhere.
    assert set(ProgressSnapshot.objects.values_list("status", flat=True)) == {"on_track", "at_risk", "behind", "none"}


def test_the_roster_moves_on_after_the_campaign(seeded):
    """Two yearly releases after 2022 (河西区 2024, 西青区 2026): the roster has history to show on today's date, and
    the changes take effect from their dates only."""
    from districts.releases.history import values_as_of

    releases = {r.filename: r for r in RosterRelease.objects.all()}
    hexi, xiqing = releases["河西区区划代码2024.csv"], releases["西青区区划代码2026.csv"]
    assert (hexi.effective_on, hexi.status) == (D(2024, 1, 1), "applied")
    assert {k: hexi.counts[k] for k in ("renamed", "moved", "closed", "added")} == {
        "renamed": 1,
        "moved": 1,
        "closed": 1,
        "added": 0,
    }
    assert {k: xiqing.counts[k] for k in ("renamed", "kind_changed", "added", "closed")} == {
        "renamed": 1,
        "kind_changed": 1,
        "added": 1,
        "closed": 0,
    }
    closed = Community.objects.get(district__code="120103", closed_on=D(2024, 1, 1))
    assert not Enrolment.objects.filter(community=closed).exists()
    renamed = DivisionChange.objects.get(release=hexi, field="name")
    assert values_as_of(level="community", field="name", codes=[renamed.code], on=D(2023, 12, 31)) == {
        renamed.code: renamed.old_value
    }
    assert values_as_of(level="community", field="name", codes=[renamed.code], on=D(2024, 1, 1)) == {}
    assert Community.objects.get(code=renamed.code).name == renamed.new_value
    assert renamed.new_value.endswith("新苑社区居委会")
    founded = Community.objects.get(name="水上新园社区居委会")
    assert (founded.district.code, founded.established_on) == ("120111", D(2026, 1, 1))
    assert "roster releases: 河西区 2024-01-01" in seeded


# --- standing management (复查/摘牌) ----------------------------------------------------------------------------


def test_standing_management_has_something_current(seeded):
    """Yearly re-check rounds 2023-2026 from fixed seeds, one revocation in 2024 whose community is accepted again in
    2025, and the 2026 round under way on today's date."""
    from standards.models import Revocation
    from standards.recheck import recheck_redraw, standing_figures

    rounds = {r.year: r for r in AcceptanceRound.objects.filter(kind="recheck")}
    assert sorted(rounds) == [2023, 2024, 2025, 2026]
    for round_ in rounds.values():
        assert round_.draw_seed == f"demo-{round_.year}"
        drawn = {code for codes in recheck_redraw(round_).values() for code in codes}
        assert drawn == set(round_.selections.values_list("community__code", flat=True))
        assert 16 <= len(drawn) <= 120
    (revocation,) = Revocation.objects.all()
    assert revocation.revoked_on.year == 2024 and revocation.cause == "deadline"
    assert not met_communities(revocation.revoked_on).filter(pk=revocation.community_id).exists()
    assert met_communities(D(2026, 12, 1)).filter(pk=revocation.community_id).exists()
    current = rounds[2026]
    assert Inspection.objects.filter(round=current, status="open").exists()
    assert Assignment.objects.filter(round=current, inspections__isnull=True).exists()
    assert Rectification.objects.filter(inspection__round=current, status="open", due_on__gt=D(2026, 12, 8)).exists()
    figures = standing_figures(on=D(2026, 12, 8))
    assert figures.rechecked > 0 and figures.failed >= 1 and figures.rectifying >= 1
    assert standing_figures(on=D(2024, 12, 31)).revoked == 1
    assert "re-checks: 2023:" in seeded


# --- the second campaign ------------------------------------------------------------------------------------------


def test_a_second_campaign_is_under_way_with_its_revised_standard(seeded):
    """天津市绿色社区巩固提升行动（2025—2027年）: current, its standard a copy of the first with items 5 and 12
    revised, its districts' communities that had not met enrolled in 2025, reports filed to November 2026 with the
    last months still being filed and reviewed, and its re-check rounds and refinements against its standard."""
    from standards.models import Refinement, StandardItem

    first, second = list(Campaign.objects.order_by("starts_on"))
    assert Campaign.objects.current() == second and (second.starts_on, second.ends_on) == (
        D(2025, 1, 1),
        D(2027, 12, 31),
    )
    old = dict(StandardItem.objects.filter(version=first.standard).values_list("number", "text"))
    new = dict(StandardItem.objects.filter(version=second.standard).values_list("number", "text"))
    assert sorted(n for n in old if old[n] != new[n]) == [5, 12] and old.keys() == new.keys()
    assert not second.asks_for_pilots and first.asks_for_pilots

    enrolled = Enrolment.objects.filter(campaign=second)
    assert 400 < enrolled.count() < 900
    assert not enrolled.filter(community__in=met_communities(D(2024, 12, 31))).exists()
    assert not enrolled.exclude(joined_on__range=(D(2025, 1, 1), D(2025, 6, 30))).exists()

    reports = Report.objects.filter(campaign=second)
    assert reports.filter(kind="implementation_plan", status="accepted").count() == 16
    monthly = reports.filter(kind="monthly")
    assert set(monthly.values_list("period", flat=True)) == {D(y, m, 1) for y in (2025, 2026) for m in range(1, 13)} - {
        D(2026, 12, 1)
    }
    last = Counter(monthly.filter(period=D(2026, 11, 1)).values_list("status", flat=True))
    assert last["draft"] and last["submitted"] and last["accepted"] < 16
    assert reports.filter(kind="annual", period=D(2026, 1, 1)).count() >= 16
    rows = SelfAssessment.objects.filter(period__gte=D(2025, 1, 1))
    assert rows.count() > 5000 and not rows.exclude(standard=second.standard).exists()
    # Dated back: nothing of it stamped on the day the demo was made.
    for report in reports.exclude(status="draft"):
        assert D(2025, 1, 1) <= report.created_at.astimezone(SHANGHAI).date() < D(2026, 12, 8)
        assert report.first_submitted_at <= report.submitted_at < datetime.datetime(2026, 12, 8, tzinfo=SHANGHAI)
    assert not AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Enrolment),
        object_id__in=[str(pk) for pk in enrolled.values_list("pk", flat=True)],
        at__gte=datetime.datetime(2025, 7, 1, tzinfo=SHANGHAI),
    ).exists()

    # The rounds of the years it runs inspect against its standard, and districts refine that standard.
    rounds = AcceptanceRound.objects.filter(year__gte=2025)
    assert rounds.exists() and not rounds.exclude(standard=second.standard).exists()
    assert not AcceptanceRound.objects.filter(year__lte=2024).exclude(standard=first.standard).exists()
    assert not Refinement.objects.exclude(item__version=second.standard).exists()
    assert "second campaign: 天津市绿色社区巩固提升行动（2025—2027年） opened" in seeded
