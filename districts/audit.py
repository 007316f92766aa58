"""Writing the audit trail (every service that changes data calls `audit_record` inside its transaction), and
reading it back in words."""

from __future__ import annotations

import datetime
import decimal
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, models, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import AuditEntry, RosterChange

logger = logging.getLogger(__name__)


def actor(by: Any) -> Any:
    """Who to record as having taken a step: `by` when it is a signed-in user, None for a job, the command line or
    the demo seed."""
    return by if getattr(by, "is_authenticated", False) else None


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


# --- reading the trail ----------------------------------------------------------------------------------------

# What a key of `changes` is called and what its stored values mean: (label, {stored value: label}).
ChangeLabel = tuple[Any, Mapping[Any, Any]]
Labeller = Callable[[str], "ChangeLabel | None"]
_labellers: dict[str, list[Labeller]] = {}


def change_labels(model_label: str) -> Callable[[Labeller], Labeller]:
    """Register a function naming the keys a service writes for a model (`app_label.model`) that are not its fields,
    or whose stored values need their own labels. An app registers its own, so `districts` never imports it."""

    def register(labeller: Labeller) -> Labeller:
        _labellers.setdefault(model_label.lower(), []).append(labeller)
        return labeller

    return register


@change_labels("districts.community")
def _community_labels(name: str) -> ChangeLabel | None:
    if name == "roster_change":
        return _("roster change"), dict(RosterChange.Kind.choices)
    return None


def _describe(model: type[models.Model] | None, name: str) -> tuple[Any, Mapping[Any, Any], Any]:
    """(label, choices, field or None) for one key of an entry about `model`; the key itself when nothing names it."""
    if model is None:
        return name, {}, None
    for labeller in _labellers.get(model._meta.label_lower, []):
        found = labeller(name)
        if found is not None:
            return found[0], found[1], None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name, {}, None
    if field.auto_created and not field.concrete:
        # A reverse relation (a plan's targets, its division of work): named after the rows it holds.
        related_model = field.related_model
        assert isinstance(related_model, type) and issubclass(related_model, models.Model)  # a reverse relation's model
        related = related_model._meta
        return (related.verbose_name if field.one_to_one else related.verbose_name_plural), {}, None
    return getattr(field, "verbose_name", None) or name, dict(getattr(field, "flatchoices", None) or ()), field


def _when(value: str, field: Any) -> str | None:
    """A stored ISO date or time as the portal shows dates; None when `value` is not one."""
    try:
        if isinstance(field, models.DateTimeField):
            moment = datetime.datetime.fromisoformat(value)
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return formats.date_format(moment, "Y年n月j日 H:i")
        return formats.date_format(datetime.date.fromisoformat(value[:10]), "Y年n月j日")
    except ValueError:
        return None


def _readable(value: object, choices: Mapping[Any, Any], field: Any = None) -> object:
    if value is None or value == "":  # an empty text reads as nothing, like a missing value
        return None
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "、".join(str(_readable(v, choices)) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{_part(k)}：{_readable(value[k], choices)}" for k in sorted(value, key=_key_order))
    if isinstance(value, str) and isinstance(field, models.DateField):
        return _when(value, field) or value
    try:
        return choices.get(value, value)
    except TypeError:  # an unhashable value is shown as it is
        return value


def _part(key: str) -> str:
    """A key inside a stored mapping: a number is one of the standard's items."""
    return _("Item %(n)s") % {"n": key} if str(key).isdigit() else str(key)


def _key_order(key: Any) -> tuple[int, str]:
    """Numbered parts in number order (2 before 10), then the others by name."""
    key = str(key)
    return (int(key), "") if key.isdigit() else (10**6, key)


def readable_change_rows(entry: AuditEntry) -> list[tuple[str, str, object, object]]:
    """(key, label, old, new) with verbose names, choice labels and dates as people read them. A stored mapping
    (a row's items) becomes one line per part that changed. A key nothing names is shown as it is, never an error."""
    model = entry.content_type.model_class() if entry.content_type else None
    rows: list[tuple[str, str, object, object]] = []
    for name, pair in entry.changes.items():
        if name.startswith("_"):  # bookkeeping (a row's version, a request's address), not a change to data
            continue
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        label, choices, field = _describe(model, name)
        if isinstance(old, dict) and isinstance(new, dict):
            for key in sorted({**old, **new}, key=_key_order):
                if old.get(key) != new.get(key):
                    part = pgettext("audit", "%(field)s, %(part)s") % {"field": label, "part": _part(key)}
                    rows.append((name, part, _readable(old.get(key), choices), _readable(new.get(key), choices)))
            continue
        rows.append((name, str(label), _readable(old, choices, field), _readable(new, choices, field)))
    return rows


def readable_changes(entry: AuditEntry) -> list[tuple[str, object, object]]:
    """(label, old, new) of every change the entry records, in words."""
    return [(label, old, new) for _name, label, old, new in readable_change_rows(entry)]
