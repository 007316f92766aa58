"""The outbox flush as a beat schedule stored in the database (every minute), like the project's other schedules."""

from django.db import migrations
from django.utils import timezone

NAME = "补发未送出的后台任务"
TASK = "outbox.tasks.outbox_flush"
DESCRIPTION = "每分钟把消息队列暂时不可用时未能送出的后台任务（通知、进度汇总、文件生成）重新送出。"
EVERY = {"every": 1, "period": "minutes"}


def _schedules_changed(apps):
    # The database scheduler reloads its schedule when this row's time changes; signals don't fire in migrations.
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def load(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(**EVERY)
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": interval, "description": DESCRIPTION, "enabled": True}
    )
    _schedules_changed(apps)


def unload(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()
    IntervalSchedule.objects.filter(**EVERY, periodictask__isnull=True).delete()
    _schedules_changed(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(load, unload)]
