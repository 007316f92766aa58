"""The commission's calendar as beat schedules stored in the database, editable in the admin: the city bulletin on
the 10th for the previous month, the 1 November reminder of annual reports, and the 16 November compilation."""

import zoneinfo

from django.db import migrations
from django.utils import timezone

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
SCHEDULES = [
    (
        "每月通报",
        "reporting.tasks.make_monthly_bulletin",
        {"minute": "0", "hour": "7", "day_of_week": "*", "day_of_month": "10", "month_of_year": "*"},
        "每月10日7时生成上月全市创建工作通报（PDF）。",
    ),
    (
        "年度报告提醒（11月1日）",
        "reporting.tasks.send_annual_report_reminders",
        {"minute": "0", "hour": "8", "day_of_week": "*", "day_of_month": "1", "month_of_year": "11"},
        "每年11月1日8时提醒尚未报送本年度工作总结的各区和市级部门（11月15日前报送）。",
    ),
    (
        "年度报告汇编（11月16日）",
        "reporting.tasks.make_annual_compilation",
        {"minute": "0", "hour": "7", "day_of_week": "*", "day_of_month": "16", "month_of_year": "11"},
        "每年11月16日7时汇编各区、各部门报送的年度工作总结（PDF）。",
    ),
]


def _schedules_changed(apps):
    # The database scheduler reloads its schedule when this row's time changes; signals don't fire in migrations.
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def load(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, crontab, description in SCHEDULES:
        schedule, _ = CrontabSchedule.objects.get_or_create(**crontab, timezone=SHANGHAI)
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": schedule, "description": description, "enabled": True}
        )
    _schedules_changed(apps)


def unload(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, _task, crontab, _description in SCHEDULES:
        PeriodicTask.objects.filter(name=name).delete()
        CrontabSchedule.objects.filter(**crontab, timezone=SHANGHAI, periodictask__isnull=True).delete()
    _schedules_changed(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0007_rollup_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(load, unload)]
