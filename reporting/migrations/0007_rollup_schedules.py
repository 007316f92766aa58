"""The nightly progress rollup as a beat schedule stored in the database, so the commission can change it in the admin."""

import zoneinfo

from django.db import migrations
from django.utils import timezone

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CRONTAB = {"minute": "0", "hour": "2", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
NAME = "每日进度汇总"
TASK = "reporting.tasks.rollup_nightly"
DESCRIPTION = "每天2时重新计算全市、各区、各街道的创建进度（每月月末及当日）。"


def _schedules_changed(apps):
    # The database scheduler reloads its schedule when this row's time changes; signals don't fire in migrations.
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def load(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(**CRONTAB, timezone=SHANGHAI)
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "crontab": crontab, "description": DESCRIPTION, "enabled": True}
    )
    _schedules_changed(apps)


def unload(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()
    CrontabSchedule.objects.filter(**CRONTAB, timezone=SHANGHAI, periodictask__isnull=True).delete()
    _schedules_changed(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0006_rollup_request"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(load, unload)]
