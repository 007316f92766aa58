"""PDF documents made in the background: the request (a service) and the Celery job that renders and stores it.

One row and one file per (campaign, kind, period, scope). Asking again re-queues the same row; each request stamps the row
with its own task id, so a job that was overtaken by a newer request stops instead of writing over it. A job that
runs twice (a retry, a redelivery under acks_late) replaces the file under its fixed name: never a second copy, and
never a second document number (a bulletin keeps the 发文字号 it was given the first time it was made).
"""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from districts.audit import actor, audit_record
from districts.models import AuditEntry
from outbox.services import enqueue_on_commit
from reporting.documents.build import DocumentError, DocumentSpec, document_html, document_pdf_bytes, document_spec
from reporting.models import Campaign, DocumentNumberCounter, GeneratedDocument

Status = GeneratedDocument.Status


def document_request(
    *, kind: str, period: str, scope_code: str, by: Any, campaign: Campaign | None = None
) -> GeneratedDocument:
    """Queue (or re-queue) the document of `campaign` (by default the current one); DocumentError in plain words
    when it cannot be made as asked."""
    spec = document_spec(kind=kind, period=period, scope_code=scope_code, campaign=campaign)
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        document, created = GeneratedDocument.objects.select_for_update().get_or_create(
            campaign=spec.campaign, kind=spec.kind, period=spec.period, scope_code=spec.scope_code
        )
        before = None if created else document.status
        document.status, document.progress, document.error = Status.QUEUED, 0, ""
        document.requested_by = actor(by)
        document.requested_at, document.finished_at, document.task_id = timezone.now(), None, task_id
        document.save()
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.TRANSITION,
            obj=document,
            district_id=spec.district.pk if spec.district else None,
            changes={"status": [before, Status.QUEUED], **({"campaign": [None, spec.campaign.pk]} if created else {})},
        )
        # Sent once this commits, through the outbox: a broker that is down delays the job, never loses it, and a
        # failed render (in process, without a broker) does not fail the request.
        enqueue_on_commit(document_render, args=[document.pk], task_id=task_id)
    return document


def document_number_assign(*, document_id: int, spec: DocumentSpec) -> str:
    """Give a numbered document the next number of its series and year the first time it is made. Made again, or by
    a job that runs twice, it keeps the number it has: the row's lock makes the check and the assignment one step."""
    if not spec.is_numbered:
        return ""
    with transaction.atomic():
        document = GeneratedDocument.objects.select_for_update().get(pk=document_id)
        if document.document_number:
            return document.document_number
        pattern = spec.campaign.document_number_pattern
        year = (spec.issued_on or timezone.localdate()).year
        DocumentNumberCounter.objects.get_or_create(pattern=pattern, year=year)
        counter = DocumentNumberCounter.objects.select_for_update().get(pattern=pattern, year=year)
        before = counter.last_number
        number = ""
        # A counter set back by hand, or a pattern without the year, may lead to a number already given: skip it.
        while not number or GeneratedDocument.objects.filter(document_number=number).exists():
            counter.last_number += 1
            number = pattern.format(year=year, number=counter.last_number)
        counter.save(update_fields=["last_number"])
        document.document_number = number
        document.save(update_fields=["document_number"])
        audit_record(
            actor=None,
            action=AuditEntry.Action.UPDATE,
            obj=counter,
            changes={"last_number": [before, counter.last_number]},
            source="task",
        )
        audit_record(
            actor=None,
            action=AuditEntry.Action.UPDATE,
            obj=document,
            changes={"document_number": ["", number]},
            source="task",
        )
    return number


def _claimed(document_id: int, task_id: str | None, **fields: Any) -> bool:
    """Update the row only while this job is still the one the latest request asked for."""
    rows = GeneratedDocument.objects.filter(pk=document_id)
    if task_id:
        rows = rows.filter(task_id=task_id)
    return rows.update(**fields) == 1


def _store(document_id: int, task_id: str | None, name: str, pdf: bytes) -> bool:
    """Replace the file under its fixed name and mark the document done, under the row's lock."""
    with transaction.atomic():
        document = GeneratedDocument.objects.select_for_update().get(pk=document_id)
        if task_id and document.task_id != task_id:
            return False
        storage = document.file.storage
        for old in {document.file.name, name} - {""}:
            storage.delete(old)
        document.file.name = storage.save(name, ContentFile(pdf))
        before = document.status
        document.status, document.progress, document.size, document.error = Status.DONE, 100, len(pdf), ""
        document.finished_at = timezone.now()
        document.save(update_fields=["file", "status", "progress", "size", "error", "finished_at"])
        audit_record(
            actor=None,
            action=AuditEntry.Action.TRANSITION,
            obj=document,
            changes={"status": [before, Status.DONE], "size": [None, len(pdf)]},
            source="task",
        )
    return True


def _fail(document_id: int, task_id: str | None, message: str) -> None:
    with transaction.atomic():
        document = GeneratedDocument.objects.select_for_update().filter(pk=document_id).first()
        if document is None or (task_id and document.task_id != task_id):
            return
        before = document.status
        document.status, document.error, document.finished_at = Status.FAILED, message[:500], timezone.now()
        document.save(update_fields=["status", "error", "finished_at"])
        audit_record(
            actor=None,
            action=AuditEntry.Action.TRANSITION,
            obj=document,
            changes={"status": [before, Status.FAILED]},
            source="task",
            note=message,
        )


# Named as when it lived in reporting/document_tasks.py: jobs queued or kept in the outbox under that name still run.
@shared_task(
    name="reporting.document_tasks.document_render", bind=True, acks_late=True, soft_time_limit=600, time_limit=660
)
def document_render(self: Any, document_id: int) -> str:
    """Render the document and store it; on an error mark it failed with a message, then re-raise."""
    document = GeneratedDocument.objects.select_related("campaign").filter(pk=document_id).first()
    if document is None:
        return "gone"
    # Called directly (a test, a shell) there is no task id; through Celery it is the id the request stamped.
    task_id = self.request.id if self.request.id and document.task_id else None
    if not _claimed(document_id, task_id, status=Status.RUNNING, progress=10, error=""):
        return "superseded"
    with translation.override(settings.LANGUAGE_CODE):
        try:
            spec = document_spec(
                kind=document.kind,
                period=document.period,
                scope_code=document.scope_code,
                campaign=document.campaign,
            )
            document_number_assign(document_id=document_id, spec=spec)
            html = document_html(spec)
            _claimed(document_id, task_id, progress=50)
            pdf = document_pdf_bytes(html)
            _claimed(document_id, task_id, progress=90)
            stored = _store(document_id, task_id, spec.storage_name, pdf)
        except Exception as error:
            if isinstance(error, DocumentError):
                message = str(error)
            else:
                message = _(
                    "The document could not be made (%(error)s). Ask for it again; if it fails again, tell the "
                    "portal's administrators."
                ) % {"error": type(error).__name__}
            _fail(document_id, task_id, message)
            raise
    return "done" if stored else "superseded"
