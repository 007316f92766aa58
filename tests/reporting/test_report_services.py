"""The report workflow, the per-community rows and the edit race, through the services."""

import datetime

import pytest

from districts.models import AuditEntry, Community, Department, District
from reporting.figures.selectors import report_figures
from reporting.models import Campaign, Report, ReportEvent
from reporting.reports.services import (
    ReportConflict,
    ReportError,
    assessment_save,
    assessments_bulk_set,
    report_accept,
    report_open,
    report_return,
    report_save,
    report_submit,
    report_unlock,
)
from reporting.services import enrolment_enrol, enrolment_withdraw
from standards.models import SelfAssessment

pytestmark = pytest.mark.django_db
D = datetime.date
ALL_MEET = {str(n): "meets" for n in range(1, 17)}


@pytest.fixture
def campaign():
    return Campaign.objects.current()


@pytest.fixture
def heping():
    return District.objects.get(code="120101")


@pytest.fixture
def enrolled(campaign, heping_staff):
    communities = list(Community.objects.filter(street__code="120101001").order_by("code")[:3])
    enrolment_enrol(campaign=campaign, communities=communities, kind="pilot", joined_on=D(2021, 1, 10), by=heping_staff)
    return communities


MARCH = D(2021, 3, 1)


def _open(campaign, district, by, period=MARCH):
    return report_open(campaign=campaign, kind="monthly", period=period, district=district, by=by)


def test_opening_a_month_gives_every_participating_community_a_row_once(campaign, heping, enrolled, heping_staff):
    report = _open(campaign, heping, heping_staff)
    again = _open(campaign, heping, heping_staff)
    assert again.pk == report.pk
    rows = SelfAssessment.objects.filter(district=heping, period=D(2021, 3, 1))
    assert sorted(rows.values_list("community_id", flat=True)) == sorted(c.pk for c in enrolled)
    assert report.due_on == D(2021, 4, 5)
    assert list(report.events.values_list("action", flat=True)) == ["created"]


def test_periods_outside_the_campaign_or_in_the_future_are_refused(campaign, heping, heping_staff):
    for period in (D(2020, 10, 1), D(2023, 1, 1), D(2021, 3, 2)):
        with pytest.raises(ReportError):
            _open(campaign, heping, heping_staff, period)
    with pytest.raises(ReportError):
        report_open(
            campaign=campaign,
            kind="monthly",
            period=D(2021, 3, 1),
            district=heping,
            by=heping_staff,
            today=D(2021, 2, 20),
        )
    with pytest.raises(ReportError):  # departments file annual reports only
        report_open(
            campaign=campaign,
            kind="monthly",
            period=D(2021, 3, 1),
            department=Department.objects.get(code="zjw"),
            by=heping_staff,
        )
    assert not Report.objects.exists()


def test_the_whole_workflow_is_recorded_and_locks(campaign, heping, enrolled, heping_staff, reviewer):
    report = _open(campaign, heping, heping_staff)
    with pytest.raises(ReportError, match="本月工作进展|Progress this month"):
        report_submit(report=report, by=heping_staff)
    report = report_save(report=report, version=report.version, data={"progress": "完成摸底"}, by=heping_staff)
    report = report_submit(report=report, by=heping_staff)
    assert report.status == "submitted" and report.figures["enrolled"] == 3
    with pytest.raises(ReportError):
        report_save(report=report, version=report.version, data={"progress": "x"}, by=heping_staff)
    with pytest.raises(ReportError):
        report_return(report=report, comment="  ", by=reviewer)
    report = report_return(report=report, comment="请补充照片", by=reviewer)
    report = report_save(report=report, version=report.version, data={"progress": "已补充"}, by=heping_staff)
    report = report_submit(report=report, by=heping_staff)
    assert report.status == "resubmitted"
    report = report_accept(report=report, by=reviewer)
    with pytest.raises(ReportError, match="锁定|locked"):
        report_save(report=report, version=report.version, data={"progress": "改"}, by=heping_staff)
    row = SelfAssessment.objects.filter(period=report.period, district=heping).first()
    with pytest.raises(ReportError):
        assessment_save(
            report=report, assessment=row, version=row.version, stage="creating", items={}, notes={}, by=heping_staff
        )
    with pytest.raises(ReportError):
        report_unlock(report=report, reason="", by=reviewer)
    report = report_unlock(report=report, reason="数据有误", by=reviewer)
    assert report.status == "returned"
    history = list(report.events.values_list("action", "to_status", "comment"))
    assert history == [
        ("created", "draft", ""),
        ("submitted", "submitted", ""),
        ("returned", "returned", "请补充照片"),
        ("resubmitted", "resubmitted", ""),
        ("accepted", "accepted", ""),
        ("unlocked", "returned", "数据有误"),
    ]
    transitions = AuditEntry.objects.filter(action="transition", object_id=str(report.pk))
    assert transitions.count() == 5


def test_a_later_save_on_an_old_version_is_refused_with_the_other_persons_changes(
    campaign, heping, enrolled, heping_staff, make_user
):
    colleague = make_user("district-120101-b", "district_staff", district="120101")
    report = _open(campaign, heping, heping_staff)
    seen = report.version
    report_save(report=report, version=seen, data={"progress": "甲写的进展", "problems": "甲的问题"}, by=colleague)
    with pytest.raises(ReportConflict) as conflict:
        report_save(report=report, version=seen, data={"progress": "乙写的进展"}, by=heping_staff)
    assert conflict.value.changed_by == "district-120101-b"
    # JSON keys have no order on PostgreSQL (jsonb): compare the labels as a set.
    assert {label for label, _old, _new in conflict.value.changes} == {"本月工作进展", "存在问题"}
    assert "甲写的进展" in str(conflict.value.changes)
    report.refresh_from_db()
    assert report.progress == "甲写的进展"  # the first save stands, the second is not half-applied


def test_row_race_is_refused_and_rules_are_checked(campaign, heping, enrolled, heping_staff, make_user):
    colleague = make_user("district-120101-b", "district_staff", district="120101")
    report = _open(campaign, heping, heping_staff)
    row = SelfAssessment.objects.get(period=report.period, community=enrolled[0])
    with pytest.raises(ReportError, match="1、2|1, 2"):
        assessment_save(
            report=report, assessment=row, version=row.version, stage="meets", items={}, notes={}, by=heping_staff
        )
    with pytest.raises(ReportError):  # item 1 does not allow not applicable
        assessment_save(
            report=report,
            assessment=row,
            version=row.version,
            stage="creating",
            items={"1": "not_applicable"},
            notes={},
            by=heping_staff,
        )
    assessment_save(
        report=report,
        assessment=row,
        version=row.version,
        stage="creating",
        items={"3": "in_progress"},
        notes={"3": "正在制定"},
        by=colleague,
    )
    with pytest.raises(ReportConflict) as conflict:
        assessment_save(
            report=report, assessment=row, version=1, stage="meets", items=ALL_MEET, notes={}, by=heping_staff
        )
    assert "正在制定" in str(conflict.value.changes)
    row.refresh_from_db()
    assert row.stage == "creating" and row.items == {"3": "in_progress"} and row.version == 2


def test_bulk_set_is_all_or_nothing(campaign, heping, enrolled, heping_staff):
    report = _open(campaign, heping, heping_staff)
    rows = list(SelfAssessment.objects.filter(period=report.period, district=heping))
    ids = [r.pk for r in rows]
    assert assessments_bulk_set(report=report, ids=ids, stage="creating", by=heping_staff) == 3
    with pytest.raises(ReportError):
        assessments_bulk_set(report=report, ids=ids, stage="meets", by=heping_staff)
    assert set(SelfAssessment.objects.filter(pk__in=ids).values_list("stage", flat=True)) == {"creating"}
    for number in range(1, 17):
        assessments_bulk_set(report=report, ids=ids, item=number, item_status="meets", by=heping_staff)
    assert assessments_bulk_set(report=report, ids=ids, stage="meets", by=heping_staff) == 3
    other = Community.objects.filter(district__code="120103").first()
    with pytest.raises(ReportError):
        assessments_bulk_set(report=report, ids=[*ids, other.pk], stage="creating", by=heping_staff)


def test_next_month_starts_from_the_last_accepted_one_and_marks_withdrawals(
    campaign, heping, enrolled, heping_staff, reviewer
):
    march = _open(campaign, heping, heping_staff)
    row = SelfAssessment.objects.get(period=march.period, community=enrolled[0])
    assessment_save(
        report=march,
        assessment=row,
        version=row.version,
        stage="creating",
        items={"5": "meets"},
        notes={"5": "已建立"},
        by=heping_staff,
    )
    march = report_save(report=march, version=march.version, data={"progress": "三月"}, by=heping_staff)
    report_accept(report=report_submit(report=march, by=heping_staff), by=reviewer)
    enrolment = enrolled[1].enrolments.get()
    enrolment_withdraw(enrolment=enrolment, on=D(2021, 4, 20), reason="拆迁", by=heping_staff)
    april = _open(campaign, heping, heping_staff, D(2021, 4, 1))
    carried = SelfAssessment.objects.get(period=april.period, community=enrolled[0])
    assert carried.stage == "creating" and carried.items == {"5": "meets"} and carried.notes == {"5": "已建立"}
    assert SelfAssessment.objects.get(period=april.period, community=enrolled[1]).stage == "withdrawn"
    figures = report_figures(april)
    assert figures["now"]["enrolled"] == 2 and figures["before"]["enrolled"] == 3
    assert {k: change for k, _v, change in figures["rows"]}["enrolled"] == -1


def test_a_department_files_its_annual_report(campaign, department_staff, reviewer):
    zjw = Department.objects.get(code="zjw")
    report = report_open(campaign=campaign, kind="annual", period=D(2021, 1, 1), department=zjw, by=department_staff)
    assert report.due_on == D(2021, 11, 15)
    report = report_save(report=report, version=report.version, data={"progress": "年度总结"}, by=department_staff)
    report = report_accept(report=report_submit(report=report, by=department_staff), by=reviewer)
    assert report.status == "accepted"
    assert ReportEvent.objects.filter(report=report).count() == 3


def test_the_monthly_figures_count_communities_accepted_by_month_end(
    campaign, heping, enrolled, heping_staff, inspector
):
    from django.utils import timezone

    from standards.acceptance import (
        answer_save,
        assignments_create,
        inspection_sign,
        inspection_start,
        round_create,
        team_create,
    )

    round_ = round_create(name="2021年度", year=2021, opens_on=D(2021, 3, 1), closes_on=D(2021, 12, 31), by=None)
    day = D(2021, 3, 31)  # the round ended in 2021: the services are told the day each step happened
    team = team_create(round=round_, name="一组", members=[inspector], by=None, today=day)
    (assignment,) = assignments_create(round=round_, communities=[enrolled[0]], team=team, by=None, today=day)
    inspection = inspection_start(assignment=assignment, by=inspector, today=day)
    for n in range(1, 17):
        answer_save(inspection=inspection, item_number=n, result="meets", note="", by=inspector, today=day)
    signed_at = timezone.make_aware(datetime.datetime(2021, 3, 31, 23, 30))  # Shanghai: still March
    inspection_sign(inspection=inspection, by=inspector, signed_at=signed_at)
    march = _open(campaign, heping, heping_staff)
    february = _open(campaign, heping, heping_staff, D(2021, 2, 1))
    assert report_figures(march)["now"]["met"] == 1
    assert report_figures(february)["now"]["met"] == 0
    assert {k: c for k, _v, c in report_figures(march)["rows"]}["met"] == 1
