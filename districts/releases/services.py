"""The roster-release service, for `manage.py load_divisions` and the commission's page.

`release_preview` reads, checks and compares without writing; `release_store` keeps an uploaded release awaiting
confirmation; `release_apply` writes it (all or nothing) and `release_load` does both for the command line.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import hashlib
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from districts.audit import actor

from ..audit import audit_record
from ..models import AuditEntry, RosterRelease
from .applying import release_write
from .checks import release_check, scope_parse
from .diff import ReleaseDiff, release_diff
from .reading import ReleaseError, release_read
from .signals import release_applied

Status = RosterRelease.Status
RELEASE_LOCK = 0x6C65_7365  # the advisory lock key that serialises roster releases


def release_preview(
    *, content: bytes, filename: str, effective_on: datetime.date, scope: str | list[str] | None = None
) -> ReleaseDiff:
    """The release compared with the roster as of `effective_on`; ReleaseError naming every problem. Writes nothing."""
    with _no_cycle_collection():
        rows = release_read(content=content, filename=filename)
        rows, scope_codes = release_check(rows=rows, scope=scope_parse(scope), effective_on=effective_on)
        return release_diff(rows=rows, scope=scope_codes, effective_on=effective_on)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A national file makes half a million small lists and tuples, none in a cycle; the cycle collector would walk
    every live object again and again as they pile up (a third of the time of reading). Freed by reference
    counting as usual; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def release_store(
    *,
    content: bytes,
    filename: str,
    effective_on: datetime.date,
    scope: str | list[str] | None,
    by: Any,
    audited: bool = True,
) -> tuple[RosterRelease, ReleaseDiff]:
    """Check the release and keep it, awaiting confirmation; ReleaseError (and nothing kept) when it has problems.
    The command line, which applies at once, leaves the audit to the apply (`audited=False`): one entry a release."""
    diff = release_preview(content=content, filename=filename, effective_on=effective_on, scope=scope)
    with transaction.atomic():
        release = RosterRelease(
            filename=filename[:200],
            sha256=hashlib.sha256(content).hexdigest(),
            effective_on=effective_on,
            scope=diff.scope,
            counts=diff.counts,
            uploaded_by=actor(by),
        )
        release.file.save(f"{timezone.now():%Y%m%d%H%M%S}.{_extension(filename)}", ContentFile(content), save=False)
        release.save()
        if audited:
            audit_record(
                actor=by,
                action=AuditEntry.Action.CREATE,
                obj=release,
                changes={"effective_on": [None, effective_on.isoformat()], "counts": [None, diff.counts]},
            )
    return release, diff


def _extension(filename: str) -> str:
    return "xlsx" if filename.lower().endswith(".xlsx") else "csv"


def release_content(release: RosterRelease) -> bytes:
    with release.file.open("rb") as handle:
        return handle.read()


def release_stored_preview(release: RosterRelease) -> ReleaseDiff:
    return release_preview(
        content=release_content(release),
        filename=release.filename,
        effective_on=release.effective_on,
        scope=release.scope,
    )


def release_apply(
    *,
    release: RosterRelease,
    by: Any,
    source: str = "web",
    progress: Callable[[int], None] | None = None,
    content: bytes | None = None,
) -> ReleaseDiff:
    """Apply a kept release: checked and compared again (the roster may have changed since the preview), then
    written all or nothing with one audit entry holding its counts and SHA-256. ReleaseError: nothing written."""
    content = release_content(release) if content is None else content
    report = progress or (lambda _percent: None)
    by_id = by.pk if actor(by) else None
    # The write goes through the rows again: the collector stays off until the transaction has committed.
    with _no_cycle_collection(), transaction.atomic():
        # One release at a time, roster-wide. Not a row lock on the release: the background job writes its progress
        # to that row from a connection of its own while this transaction is open.
        _one_at_a_time()
        locked = RosterRelease.objects.get(pk=release.pk)
        if locked.status not in (Status.PREVIEW, Status.APPLYING):
            raise ReleaseError([_("This release has already been applied or discarded.")])
        diff = release_preview(
            content=content, filename=locked.filename, effective_on=locked.effective_on, scope=locked.scope
        )
        report(20)
        with translation.override(settings.LANGUAGE_CODE):
            note = _("Roster release %(file)s effective %(date)s") % {
                "file": locked.filename,
                "date": locked.effective_on.isoformat(),
            }
        if not diff.is_empty:
            release_write(diff=diff, release_id=locked.pk, by_id=by_id, note=note, progress=report)
        before = locked.status
        locked.status = Status.UNCHANGED if diff.is_empty else Status.APPLIED
        locked.counts = {**diff.counts, "first_load": diff.first_load}
        locked.scope = diff.scope
        locked.progress = 100
        locked.applied_by_id = by_id
        locked.applied_at = timezone.now()
        locked.message = ""
        locked.save()
        with translation.override(settings.LANGUAGE_CODE):
            if diff.is_empty:
                summary = _("The release was applied again: nothing changed on the roster.")
            else:
                summary = (
                    _(
                        "Release applied: %(added)d added, %(closed)d closed, %(renamed)d renamed, %(moved)d moved, "
                        "%(kind_changed)d changed kind, %(unchanged)d unchanged."
                    )
                    % diff.counts
                )
        audit_record(
            actor=by,
            action=AuditEntry.Action.IMPORT,
            obj=locked,
            source=source,
            changes={
                "status": [before, locked.status],
                "counts": [None, diff.counts],
                "sha256": [None, locked.sha256],
                "effective_on": [None, locked.effective_on.isoformat()],
            },
            note=summary,
        )
        if not diff.is_empty:
            effective_on = locked.effective_on
            transaction.on_commit(
                lambda: release_applied.send(sender=RosterRelease, release=locked, effective_on=effective_on),
                robust=True,
            )
    release.refresh_from_db()
    return diff


def _one_at_a_time() -> None:
    """Serialise releases for the rest of the transaction (PostgreSQL; SQLite runs one writer at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RELEASE_LOCK])


def release_discard(*, release: RosterRelease, by: Any) -> None:
    with transaction.atomic():
        locked = RosterRelease.objects.select_for_update().get(pk=release.pk)
        if locked.status != Status.PREVIEW:
            raise ReleaseError([_("This release has already been applied or discarded.")])
        locked.status = Status.DISCARDED
        locked.save(update_fields=["status"])
        audit_record(
            actor=by,
            action=AuditEntry.Action.TRANSITION,
            obj=locked,
            changes={"status": [Status.PREVIEW, locked.status]},
        )


def release_failed(*, release_id: int, message: str) -> None:
    RosterRelease.objects.filter(pk=release_id, status=Status.APPLYING).update(
        status=Status.PREVIEW, progress=0, message=message[:500]
    )


def release_load(
    *,
    content: bytes,
    filename: str,
    effective_on: datetime.date,
    scope: str | list[str] | None = None,
    by: Any = None,
    dry_run: bool = False,
) -> ReleaseDiff:
    """The command line's path: check and compare, then (unless a dry run) keep and apply in one go."""
    if dry_run:
        return release_preview(content=content, filename=filename, effective_on=effective_on, scope=scope)
    # Kept and applied in one transaction, checked and compared once (inside the apply); a refusal keeps nothing.
    with transaction.atomic():
        release = RosterRelease(
            filename=filename[:200],
            sha256=hashlib.sha256(content).hexdigest(),
            effective_on=effective_on,
            scope=scope_parse(scope),
            uploaded_by=actor(by),
        )
        release.file.save(f"{timezone.now():%Y%m%d%H%M%S}.{_extension(filename)}", ContentFile(content), save=False)
        try:
            release.save()
            return release_apply(release=release, by=by, source="command", content=content)
        except BaseException:
            release.file.delete(save=False)
            raise
