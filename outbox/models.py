from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PendingTask(models.Model):
    """A Celery job a transaction asked for, written in that transaction and published after it commits.

    A row without `sent_at` has not reached the broker yet (it was down, or the process died right after the
    commit); `outbox_flush` publishes it later, so a job asked for by a saved change is never lost.
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    # The message's id when the caller needs to know it (a document's job checks it is still the latest).
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    # Not to run before this time (a countdown, counted from the request rather than from a late publication).
    eta = models.DateTimeField(_("not before"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending task")
        verbose_name_plural = _("pending tasks")
        indexes = [models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_unsent")]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"
