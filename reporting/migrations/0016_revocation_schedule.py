"""The daily job that revokes the titles whose re-check rectification missed its deadline, as a beat schedule
stored in the database (editable in the admin)."""

import zoneinfo

from django.db import migrations
from django.utils import timezone

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NAME = "复查整改逾期摘牌（每日）"
TASK = "reporting.tasks.revocations_daily"
CRONTAB = {"minute": "0", "hour": "1", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
DESCRIPTION = "每日1时对复查整改逾期未完成的社区摘牌，自整改期限次日起生效，并通知所在区。"


def _schedules_changed(apps):
    # The database scheduler reloads its schedule when this row's time changes; signals don't fire in migrations.
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def load(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(**CRONTAB, timezone=SHANGHAI)
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "crontab": schedule, "description": DESCRIPTION, "enabled": True}
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
        ("reporting", "0015_report_campaign_period_index"),
        ("standards", "0012_recheck_and_revocation"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(load, unload)]
