"""The commission's calendar as beat schedules: the bulletin on the 10th, the 1 November reminder of annual reports
and the 16 November compilation — each schedule in the database (editable in the admin), each job doing its work
once however often it runs."""

import datetime
from pathlib import Path

import pytest
from django_celery_beat.models import PeriodicTask

from reporting.models import Campaign, GeneratedDocument, Notification
from reporting.reports.services import report_open, report_save, report_submit
from reporting.tasks import make_annual_compilation, make_monthly_bulletin, send_annual_report_reminders

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def jobs_in_process(settings, tmp_path):
    """The render job these tasks queue runs in this process, whatever broker this test run was given."""
    from greencommunity.celery import app

    settings.MEDIA_ROOT = str(tmp_path / "media")
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_the_schedules_are_in_the_database_in_tianjin_time():
    schedules = {
        task.name: (
            task.task,
            task.crontab.minute,
            task.crontab.hour,
            task.crontab.day_of_month,
            task.crontab.month_of_year,
            str(task.crontab.timezone),
            task.enabled,
        )
        for task in PeriodicTask.objects.filter(
            name__in=["每月通报", "年度报告提醒（11月1日）", "年度报告汇编（11月16日）"]
        )
    }
    assert schedules == {
        "每月通报": ("reporting.tasks.make_monthly_bulletin", "0", "7", "10", "*", "Asia/Shanghai", True),
        "年度报告提醒（11月1日）": (
            "reporting.tasks.send_annual_report_reminders",
            "0",
            "8",
            "1",
            "11",
            "Asia/Shanghai",
            True,
        ),
        "年度报告汇编（11月16日）": (
            "reporting.tasks.make_annual_compilation",
            "0",
            "7",
            "16",
            "11",
            "Asia/Shanghai",
            True,
        ),
    }


def test_the_bulletin_of_the_previous_month_is_made_once(django_capture_on_commit_callbacks, settings):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert make_monthly_bulletin(today="2022-01-10") == "全市工作情况通报 2021-12"
    document = GeneratedDocument.objects.get()
    assert (document.kind, document.period, document.scope_code, document.status) == (
        "city-bulletin",
        "2021-12",
        "",
        "done",
    )
    assert document.requested_by is None
    files = sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*.pdf"))
    campaign = Campaign.objects.current()
    assert document.campaign == campaign
    assert files == [
        Path(settings.MEDIA_ROOT) / "documents" / str(campaign.pk) / "city-bulletin" / "2021-12" / "city.pdf"
    ]
    assert files[0].read_bytes().startswith(b"%PDF")


def test_no_bulletin_for_a_month_outside_the_campaign(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert make_monthly_bulletin(today="2020-10-10") == ""
    assert not GeneratedDocument.objects.exists()


def test_the_annual_compilation_on_16_november(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert make_annual_compilation(today="2021-11-16") == "年度报告汇编 2021"
    assert GeneratedDocument.objects.get().status == "done"


def test_the_1_november_reminder_reaches_only_those_who_have_not_submitted(make_user):
    campaign = Campaign.objects.current()
    heping = make_user("district-120101", "district_staff", district="120101")
    hexi = make_user("district-120103", "district_staff", district="120103")
    zjw = make_user("dept-zjw", "department_staff", department="zjw")
    report = report_open(
        campaign=campaign, kind="annual", period=D(2021, 1, 1), district=heping.membership.district, by=heping
    )
    report = report_save(report=report, version=report.version, data={"progress": "全年工作总结"}, by=heping)
    report_submit(report=report, by=heping)

    assert send_annual_report_reminders(today="2021-11-01") == 2
    reminded = Notification.objects.filter(key__startswith="reminder:annual:2021-01-01:")
    assert {(n.user.username, n.key.rsplit(":", 1)[1]) for n in reminded} == {
        ("district-120103", "before14"),
        ("dept-zjw", "before14"),
    }
    assert "2021年11月15日" in reminded.get(user=hexi).message
    # Run again (a retried job): nobody is reminded twice.
    assert send_annual_report_reminders(today="2021-11-01") == 0
    assert not Notification.objects.filter(user=heping).exists() and zjw.notifications.count() == 1


def test_no_annual_reminder_for_a_year_without_an_annual_report(make_user):
    make_user("district-120103", "district_staff", district="120103")
    assert send_annual_report_reminders(today="2020-11-01") == 0
    assert send_annual_report_reminders(today="2023-11-01") == 0
    assert not Notification.objects.exists()
