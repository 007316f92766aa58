"""Writing the audit trail. Every service that changes data calls `audit_record` inside its transaction."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import translation

from .models import AuditEntry


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
