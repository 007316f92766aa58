import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "greencommunity.settings")

app = Celery("greencommunity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(related_name="document_tasks")
