"""The campaign's side of a roster release: what closing units means for it (enrolments, open reports,
inspections), the figures computed again from the release's effective date, and the background apply."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from districts.audit import audit_record
from districts.models import AuditEntry, RosterRelease
from districts.releases.reading import ReleaseError
from districts.releases.services import release_apply, release_failed
from outbox.services import enqueue_on_commit
from reporting.models import Campaign, Enrolment, Report
from standards.models import Inspection, SelfAssessment

Status = RosterRelease.Status
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Consequences:
    enrolments: int
    open_reports: int
    assessments_in_open_reports: int
    inspections: int
    open_inspections: int


def closure_consequences(codes: list[str]) -> Consequences:
    """For the communities a release would close: their enrolments in progress, the reports not yet accepted that
    hold their self-assessments, and their inspections (open ones apart). A few counting queries."""
    if not codes:
        return Consequences(0, 0, 0, 0, 0)
    open_report = Report.objects.filter(
        district_id=OuterRef("district_id"), period=OuterRef("period"), kind=Report.Kind.MONTHLY
    ).exclude(status=Report.Status.ACCEPTED)
    assessments = SelfAssessment.objects.filter(community__code__in=codes).filter(Exists(open_report))
    reports = (
        Report.objects.filter(kind=Report.Kind.MONTHLY)
        .exclude(status=Report.Status.ACCEPTED)
        .filter(
            Exists(
                SelfAssessment.objects.filter(
                    community__code__in=codes, district_id=OuterRef("district_id"), period=OuterRef("period")
                )
            )
        )
    )
    inspections = Inspection.objects.filter(community__code__in=codes)
    return Consequences(
        enrolments=Enrolment.objects.filter(community__code__in=codes, withdrawn_on__isnull=True).count(),
        open_reports=reports.count(),
        assessments_in_open_reports=assessments.count(),
        inspections=inspections.count(),
        open_inspections=inspections.exclude(status=Inspection.Status.SIGNED).count(),
    )


# --- the figures of the dates a release touches -----------------------------------------------------------------


def rollups_from(effective_on: datetime.date, today: datetime.date | None = None) -> int:
    """Compute again every stored date of every campaign from `effective_on` on (and only those)."""
    from reporting.figures.rollups import rollup_dates, rollup_days

    rows = 0
    for campaign in Campaign.objects.all():
        days = [day for day in rollup_dates(campaign, today or timezone.localdate()) if day >= effective_on]
        if days:
            rows += rollup_days(campaign=campaign, days=days, force=True)
    return rows


def on_release_applied(sender: Any, release: RosterRelease, effective_on: datetime.date, **kwargs: Any) -> None:
    rollups_from(effective_on)


# --- applying in the background ---------------------------------------------------------------------------------


def release_apply_request(*, release: RosterRelease, by: Any) -> RosterRelease:
    """Mark the release as being applied and queue the job; ReleaseError when it is no longer awaiting confirmation."""
    with transaction.atomic():
        locked = RosterRelease.objects.select_for_update().get(pk=release.pk)
        if locked.status != Status.PREVIEW:
            raise ReleaseError([_("This release has already been applied or discarded.")])
        locked.status, locked.progress, locked.message = Status.APPLYING, 5, ""
        locked.save(update_fields=["status", "progress", "message"])
        audit_record(
            actor=by,
            action=AuditEntry.Action.TRANSITION,
            obj=locked,
            changes={"status": [Status.PREVIEW, Status.APPLYING]},
        )
        enqueue_on_commit(release_apply_job, args=[locked.pk, by.pk])
    return locked


class _ProgressWriter:
    """Progress written on a connection of its own, so the page sees it while the apply's transaction is open
    (PostgreSQL only; SQLite holds one writer at a time, so there the page sees the steps around the transaction)."""

    def __init__(self, release_id: int) -> None:
        self.release_id = release_id
        self.own = connections.create_connection("default") if connection.vendor == "postgresql" else None

    def __call__(self, percent: int) -> None:
        if self.own is None:
            return
        with self.own.cursor() as cursor:
            cursor.execute(
                f"UPDATE {RosterRelease._meta.db_table} SET progress = %s WHERE id = %s",  # noqa: S608
                [percent, self.release_id],
            )

    def close(self) -> None:
        if self.own is not None:
            self.own.close()


# Named as when it lived in reporting/roster_releases.py: jobs queued or kept in the outbox under that name still run.
@shared_task(name="reporting.roster_releases.release_apply_job", acks_late=True)
def release_apply_job(release_id: int, user_id: int) -> str:
    release = RosterRelease.objects.filter(pk=release_id, status=Status.APPLYING).first()
    if release is None:
        return "not waiting"
    by = get_user_model().objects.get(pk=user_id)
    progress = _ProgressWriter(release_id)
    try:
        release_apply(release=release, by=by, progress=progress)
    except ReleaseError as exc:
        release_failed(release_id=release_id, message="\n".join(exc.problems[:5]))
        return "refused"
    except Exception:
        # Rolled back: nothing was written. The page stops polling and says so; the release can be confirmed again.
        logger.exception("roster release %s could not be applied", release_id)
        with translation.override(settings.LANGUAGE_CODE):
            release_failed(release_id=release_id, message=_("An unexpected error stopped the apply."))
        return "failed"
    finally:
        progress.close()
    return "applied"
