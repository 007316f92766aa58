"""Writing the audit trail. Every service that changes data calls `audit_record` inside its transaction."""

from __future__ import annotations

import datetime
import decimal
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, models, transaction
from django.utils import translation

from .models import AuditEntry

logger = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(instance, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def created(values: dict[str, Any]) -> dict[str, list[Any]]:
    """A new object's values in the same {field: [old, new]} shape as `diff`."""
    return {k: [None, v] for k, v in values.items()}


def audit_entry(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    district_id: int | None = None,
    changes: dict[str, Any] | None = None,
    source: str = "web",
    note: str = "",
) -> AuditEntry:
    """An unsaved entry, for bulk writers (imports) that save many at once."""
    # The trail reads the same whoever wrote it: object names in the portal's own language.
    with translation.override(settings.LANGUAGE_CODE):
        object_repr = str(obj)[:200] if obj is not None else ""
    return AuditEntry(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=object_repr,
        district_id=district_id,
        changes=changes or {},
        source=source,
        note=note[:500],
    )


def audit_record(**kwargs: Any) -> AuditEntry:
    entry = audit_entry(**kwargs)
    entry.save()
    return entry


def _request_facts(request: Any, reason: str) -> dict[str, str]:
    """Who asked from where, for entries about access rather than data (keys start with "_": not field changes)."""
    from greencommunity.security import client_ip

    return {"_ip": client_ip(request) or "", "_path": request.path[:500], "_reason": reason[:300]}


def _record_quietly(entry: AuditEntry) -> None:
    # The trail must never turn a refusal into an error page: a failed insert is logged and rolled back to a
    # savepoint, so the request (and any transaction around it) carries on.
    try:
        with transaction.atomic():
            entry.save()
    except DatabaseError:
        logger.exception("could not write the audit entry for %s", entry.changes.get("_path", ""))


def audit_denied(*, request: Any, status: int, reason: str) -> None:
    """A refused request: a 403, or a 404 for a logged-in user (out of their scope or not there)."""
    user = getattr(request, "user", None)
    entry = audit_entry(
        actor=user,
        action=AuditEntry.Action.DENIED,
        changes={**_request_facts(request, reason), "_status": status},
        source="web" if not request.path.startswith("/api/") else "api",
        note=f"{status} {request.method} {request.path}",
    )
    _record_quietly(entry)


def audit_login_failed(*, request: Any, username: str) -> None:
    """A failed login (wrong password, unknown user, or refused while locked out). The username tried is kept so
    repeated guessing shows in the trail; the password never is."""
    locked = bool(getattr(request, "axes_locked_out", False)) if request is not None else False
    reason = "locked out" if locked else "wrong username or password"
    changes = _request_facts(request, reason) if request is not None else {"_reason": reason}
    entry = audit_entry(
        actor=None, action=AuditEntry.Action.LOGIN_FAILED, changes=changes, source="login", note=username[:150]
    )
    _record_quietly(entry)
