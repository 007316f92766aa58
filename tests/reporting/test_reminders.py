"""Reminders before and after a report's due day, the commission's alert on returned reports, and the inbox pages."""

import datetime

import pytest
from django.test import RequestFactory
from django.utils import timezone

from districts.models import Department, District
from reporting.context_processors import notifications as unread_context
from reporting.models import Campaign, Deadline, Notification, Report
from reporting.notifications.services import notify
from reporting.reports.services import (
    report_accept,
    report_open,
    report_return,
    report_save,
    report_submit,
    report_unlock,
)
from reporting.tasks import alert_stale_returned_reports, send_report_reminders

pytestmark = pytest.mark.django_db
D = datetime.date
FIRST_FIELD = {"monthly": "progress", "annual": "progress", "implementation_plan": "overall_target"}


@pytest.fixture
def campaign():
    return Campaign.objects.current()


@pytest.fixture
def people(make_user, commission_admin, reviewer):
    """Staff of four districts and two departments, a street's staff and the commission. All but one have e-mail."""
    users = {
        "heping": make_user("district-120101", "district_staff", district="120101"),
        "hedong": make_user("district-120102", "district_staff", district="120102"),
        "hexi": make_user("district-120103", "district_staff", district="120103"),
        "hexi_colleague": make_user("district-120103-b", "district_staff", district="120103"),
        "nankai": make_user("district-120104", "district_staff", district="120104"),
        "zjw": make_user("dept-zjw", "department_staff", department="zjw"),
        "fgw": make_user("dept-fgw", "department_staff", department="fgw"),
        "street": make_user("street-120102001", "street_staff", street="120102001"),
        "commission": commission_admin,
        "reviewer": reviewer,
    }
    for name, user in users.items():
        if name != "hexi_colleague":
            user.email = f"{user.username}@example.org"
            user.save(update_fields=["email"])
    return users


def _open(campaign, kind, period, by, *, district="", department=""):
    return report_open(
        campaign=campaign,
        kind=kind,
        period=period,
        by=by,
        district=District.objects.get(code=district) if district else None,
        department=Department.objects.get(code=department) if department else None,
    )


def _submitted(campaign, kind, period, by, **filer):
    report = _open(campaign, kind, period, by, **filer)
    report = report_save(report=report, version=report.version, data={FIRST_FIELD[kind]: "已完成"}, by=by)
    return report_submit(report=report, by=by)


def _reminded(key_prefix="reminder:"):
    return set(Notification.objects.filter(key__startswith=key_prefix).values_list("user__username", flat=True))


@pytest.fixture
def march(campaign, people, reviewer):
    """和平区 submitted March, 河西区 has a draft, 南开区's was returned, 河东区 has not started."""
    _submitted(campaign, "monthly", D(2021, 3, 1), people["heping"], district="120101")
    _open(campaign, "monthly", D(2021, 3, 1), people["hexi"], district="120103")
    nankai = _submitted(campaign, "monthly", D(2021, 3, 1), people["nankai"], district="120104")
    report_return(report=nankai, comment="请补充试点社区名单", by=reviewer)


def test_three_days_before_the_due_day_only_districts_without_a_submitted_report_are_reminded(
    people, march, mailoutbox
):
    sent = send_report_reminders("2021-04-02")

    assert sent == 3
    assert _reminded() == {"district-120102", "district-120103", "district-120103-b"}
    reminder = Notification.objects.get(user=people["hexi"])
    assert reminder.key == "reminder:monthly:2021-03-01:district:120103:before3"
    assert reminder.message == "2021年3月月度创建工作进展将于2021年4月5日截止，请及时提交。"
    assert reminder.url == "/reports/"
    # The colleague without an e-mail address is told in the portal only.
    assert sorted(address for mail in mailoutbox for address in mail.to) == [
        "district-120102@example.org",
        "district-120103@example.org",
    ]
    mail = mailoutbox[0]
    assert "提醒" in mail.subject and "2021年3月月度创建工作进展" in mail.subject
    assert "将于2021年4月5日截止，请及时提交。" in mail.body and "/reports/" in mail.body
    assert Notification.objects.get(user=people["hedong"]).emailed_at is not None


def test_running_the_reminders_twice_sends_nothing_new(people, march, mailoutbox):
    assert send_report_reminders("2021-04-02") == 3
    assert send_report_reminders("2021-04-02") == 0
    assert Notification.objects.count() == 3
    assert len(mailoutbox) == 2


def test_overdue_reminders_follow_the_due_day_and_stop_once_submitted(campaign, people, march, mailoutbox):
    assert send_report_reminders("2021-04-03") == 0  # neither 3 or 1 days before, nor 1, 3 or 7 days after

    assert send_report_reminders("2021-04-06") == 3
    overdue = Notification.objects.get(user=people["hedong"])
    assert overdue.key == "reminder:monthly:2021-03-01:district:120102:after1"
    assert overdue.message == "2021年3月月度创建工作进展已于2021年4月5日截止，已逾期1天，请尽快提交。"

    hexi = Report.objects.get(district__code="120103", period=D(2021, 3, 1))
    hexi = report_save(report=hexi, version=hexi.version, data={"progress": "三月进展"}, by=people["hexi"])
    report_submit(report=hexi, by=people["hexi"])
    assert send_report_reminders("2021-04-08") == 1
    assert _reminded("reminder:monthly:2021-03-01:district:120102:after3") == {"district-120102"}
    assert not Notification.objects.filter(key__endswith="after3").exclude(user=people["hedong"]).exists()


def test_annual_reminders_reach_departments_and_districts_that_have_not_submitted(campaign, people):
    _submitted(campaign, "annual", D(2021, 1, 1), people["zjw"], department="zjw")
    _submitted(campaign, "annual", D(2021, 1, 1), people["heping"], district="120101")

    send_report_reminders("2021-11-12")

    assert _reminded("reminder:annual:") == {
        "dept-fgw",
        "district-120102",
        "district-120103",
        "district-120103-b",
        "district-120104",
    }
    fgw = Notification.objects.get(user=people["fgw"])
    assert fgw.key == "reminder:annual:2021-01-01:department:fgw:before3"
    assert fgw.message == "2021年年度工作报告及下一年度工作计划将于2021年11月15日截止，请及时提交。"
    # 2021-11-12 is also 7 days after October's monthly report was due: that one goes to districts only.
    assert _reminded("reminder:monthly:2021-10-01:") == {
        "district-120101",
        "district-120102",
        "district-120103",
        "district-120103-b",
        "district-120104",
    }
    assert "street-120102001" not in _reminded()


def test_the_implementation_plan_is_reminded_before_15_december_2020(campaign, people):
    _submitted(campaign, "implementation_plan", campaign.starts_on, people["heping"], district="120101")

    send_report_reminders("2020-12-14")

    assert _reminded("reminder:implementation_plan:") == {
        "district-120102",
        "district-120103",
        "district-120103-b",
        "district-120104",
    }
    plan = Notification.objects.get(key="reminder:implementation_plan:2020-11-01:district:120102:before1")
    assert plan.message == "区绿色社区创建行动实施方案将于2020年12月15日截止，请及时提交。"
    assert not Notification.objects.filter(user__in=[people["zjw"], people["fgw"], people["commission"]]).exists()


def test_reminder_days_come_from_the_deadline_and_bad_entries_are_ignored(campaign, people):
    Deadline.objects.filter(campaign=campaign, kind="monthly_report").update(
        remind_days_before=[2, "2", -1, True, 2.5], remind_days_after=[]
    )
    assert send_report_reminders("2021-04-02") == 0
    assert send_report_reminders("2021-04-03") == 5
    assert Notification.objects.filter(key="reminder:monthly:2021-03-01:district:120101:before2").exists()
    assert send_report_reminders("2021-04-06") == 0


def test_the_commission_hears_once_of_a_report_not_resubmitted_after_five_days(campaign, people, reviewer, mailoutbox):
    nankai = _submitted(campaign, "monthly", D(2021, 3, 1), people["nankai"], district="120104")
    nankai = report_return(report=nankai, comment="请补充试点社区名单", by=reviewer)
    returned = nankai.events.get(action="returned")
    returned_on = timezone.localdate(returned.at)
    hexi = _submitted(campaign, "monthly", D(2021, 3, 1), people["hexi"], district="120103")
    hexi = report_return(report=hexi, comment="数据有误", by=reviewer)
    hexi = report_save(report=hexi, version=hexi.version, data={"progress": "已更正"}, by=people["hexi"])
    report_submit(report=hexi, by=people["hexi"])

    assert alert_stale_returned_reports((returned_on + datetime.timedelta(days=4)).isoformat()) == 0
    day_five = (returned_on + datetime.timedelta(days=5)).isoformat()
    assert alert_stale_returned_reports(day_five) == 2
    assert alert_stale_returned_reports(day_five) == 0
    assert alert_stale_returned_reports((returned_on + datetime.timedelta(days=6)).isoformat()) == 0

    alerts = Notification.objects.filter(key=f"returned-stale:{returned.pk}")
    assert set(alerts.values_list("user__username", flat=True)) == {"commission", "reviewer"}
    assert Notification.objects.filter(key__startswith="returned-stale:").count() == 2  # 河西区 resubmitted
    assert set(alerts.values_list("url", flat=True)) == {f"/reports/{nankai.pk}/"}
    message = alerts.first().message
    assert "南开区" in message and "2021年3月" in message
    assert "退回" in message and "5天未重新提交" in message
    assert sorted(address for mail in mailoutbox for address in mail.to) == [
        "commission@example.org",
        "reviewer@example.org",
    ]
    assert "南开区" in mailoutbox[0].subject


def test_an_unlocked_report_left_unchanged_is_flagged_and_the_wait_is_set_per_campaign(campaign, people, reviewer):
    Campaign.objects.filter(pk=campaign.pk).update(returned_alert_days=2)
    report = _submitted(campaign, "monthly", D(2021, 3, 1), people["heping"], district="120101")
    report = report_unlock(report=report_accept(report=report, by=reviewer), reason="数字需核对", by=reviewer)
    unlocked = report.events.get(action="unlocked")
    day_two = timezone.localdate(unlocked.at) + datetime.timedelta(days=2)

    assert alert_stale_returned_reports((day_two - datetime.timedelta(days=1)).isoformat()) == 0
    assert alert_stale_returned_reports(day_two.isoformat()) == 2
    assert set(Notification.objects.values_list("key", flat=True)) == {f"returned-stale:{unlocked.pk}"}


# --- the inbox ------------------------------------------------------------------------------------------------


def test_the_inbox_shows_only_the_users_own_notifications_newest_first(client_for, hexi_staff, heping_staff):
    notify([hexi_staff], key="a", message="第一条提醒", url="/reports/")
    notify([hexi_staff], key="b", message="第二条提醒", url="/reports/")
    notify([heping_staff], key="a", message="和平区的提醒", url="/reports/")
    Notification.objects.filter(key="a", user=hexi_staff).update(read_at=timezone.now())

    page = client_for(hexi_staff).get("/notifications/").content.decode()

    assert page.index("第二条提醒") < page.index("第一条提醒")
    assert "和平区的提醒" not in page
    assert "通知 (1)" in page
    second = Notification.objects.get(key="b", user=hexi_staff)
    row = page[page.index(f'id="notification-{second.pk}"') :].split("</tr>")[0]
    assert 'class="unread"' in row and "未读" in row and f"/notifications/{second.pk}/read/" in row


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client_for, hexi_staff):
    notify([hexi_staff], key="a", message="提醒", url="/reports/")
    notification = Notification.objects.get(user=hexi_staff)
    client = client_for(hexi_staff)

    assert client.get(f"/notifications/{notification.pk}/read/").status_code == 405
    response = client.post(f"/notifications/{notification.pk}/read/")

    assert response.status_code == 302 and response["Location"] == "/reports/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "通知 (0)" in client.get("/notifications/").content.decode()


def test_nobody_can_mark_another_users_notification(client_for, hexi_staff, heping_staff):
    notify([heping_staff], key="a", message="提醒", url="/reports/")
    theirs = Notification.objects.get(user=heping_staff)

    response = client_for(hexi_staff).post(f"/notifications/{theirs.pk}/read/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("url", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:x", ""])
def test_a_notification_never_redirects_off_the_portal(client_for, hexi_staff, url):
    notify([hexi_staff], key="a", message="提醒", url=url)
    notification = Notification.objects.get(user=hexi_staff)

    response = client_for(hexi_staff).post(f"/notifications/{notification.pk}/read/")

    assert response.status_code == 302 and response["Location"] == "/notifications/"


def test_mark_all_read_touches_only_the_users_own(client_for, hexi_staff, heping_staff):
    for key in ("a", "b", "c"):
        notify([hexi_staff, heping_staff], key=key, message=f"提醒{key}", url="/reports/")
    client = client_for(hexi_staff)

    response = client.post("/notifications/read-all/", follow=True)

    assert "已全部标为已读" in response.content.decode()
    assert "通知 (0)" in response.content.decode()
    assert not Notification.objects.filter(user=hexi_staff, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=heping_staff, read_at__isnull=True).count() == 3


def test_the_inbox_pages_by_fifty(client_for, hexi_staff):
    for n in range(51):
        notify([hexi_staff], key=f"k{n}", message=f"提醒编号{n:02d}", url="/reports/")
    client = client_for(hexi_staff)

    first = client.get("/notifications/").content.decode()
    second = client.get("/notifications/?page=2").content.decode()
    garbage = client.get("/notifications/?page=abc")

    assert "提醒编号50" in first and "提醒编号00" not in first
    assert "提醒编号00" in second and "提醒编号50" not in second
    assert garbage.status_code == 200 and "提醒编号50" in garbage.content.decode()
    assert "通知 (51)" in first


def test_the_inbox_needs_a_login(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/notifications/read-all/").status_code == 302


def test_the_unread_count_is_one_query_and_zero_for_visitors(hexi_staff, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    notify([hexi_staff], key="a", message="提醒", url="/reports/")
    request = RequestFactory().get("/")
    request.user = hexi_staff
    with django_assert_num_queries(1):
        assert unread_context(request) == {"unread_notifications": 1}
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert unread_context(request) == {"unread_notifications": 0}
