"""The daily reminder jobs as beat schedules stored in the database, so the commission can change them in the admin."""

import zoneinfo

from django.db import migrations
from django.utils import timezone

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CRONTAB = {"minute": "0", "hour": "8", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
TASKS = [
    ("每日报告提醒", "reporting.tasks.send_report_reminders", "每天8时提醒尚未提交到期报告的区和部门。"),
    (
        "退回未重报提醒",
        "reporting.tasks.alert_stale_returned_reports",
        "每天8时向市住房城乡建设委提示退回后逾期未重新提交的报告。",
    ),
]


def _schedules_changed(apps):
    # The database scheduler reloads its schedule when this row's time changes; signals don't fire in migrations.
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def load(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(**CRONTAB, timezone=SHANGHAI)
    for name, task, description in TASKS:
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "description": description, "enabled": True}
        )
    _schedules_changed(apps)


def unload(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _task, _description in TASKS]).delete()
    CrontabSchedule.objects.filter(**CRONTAB, timezone=SHANGHAI, periodictask__isnull=True).delete()
    _schedules_changed(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_reports"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(load, unload)]
