"""Every write to the roster goes through here: validate, lock, change, audit."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .audit import actor, audit_record, created, diff, snapshot
from .models import AuditEntry, Community, RosterChange, Street

SURVEY_FIELDS = (
    "build_year",
    "build_era",
    "households",
    "buildings",
    "is_old_estate",
    "renovation",
    "property_management_share",
    "address",
)


class RosterError(Exception):
    """A roster change that the current state does not allow; the message is for the user."""


def community_update_survey(*, community: Community, by: Any, data: dict[str, Any], source: str = "web") -> Community:
    """Change a community's survey attributes (调查摸底). `data` holds only SURVEY_FIELDS."""
    unknown = set(data) - set(SURVEY_FIELDS)
    if unknown:
        raise ValueError(f"not survey fields: {sorted(unknown)}")
    with transaction.atomic():
        locked = Community.objects.select_for_update().get(pk=community.pk)
        before = snapshot(locked, SURVEY_FIELDS)
        for name, value in data.items():
            setattr(locked, name, value)
        locked.full_clean()
        changes = diff(before, snapshot(locked, SURVEY_FIELDS))
        if not changes:
            return locked
        locked.save()
        audit_record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            district_id=locked.district_id,
            changes=changes,
            source=source,
        )
    return locked


def community_add(
    *, street: Street, code: str, name: str, kind: str, established_on: datetime.date, by: Any, note: str = ""
) -> Community:
    with transaction.atomic():
        community = Community(
            code=code,
            name=name,
            street=street,
            district_id=street.district_id,
            kind=kind,
            established_on=established_on,
        )
        community.full_clean()
        community.save()
        RosterChange.objects.create(
            kind=RosterChange.Kind.ADDED,
            effective_on=established_on,
            community=community,
            note=note,
            recorded_by=actor(by),
        )
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            obj=community,
            district_id=community.district_id,
            changes=created(snapshot(community, ("code", "name", "kind", "established_on"))),
        )
    return community


def _close(*, community: Community, on: datetime.date, by: Any, kind: str, note: str) -> tuple[Community, RosterChange]:
    locked = Community.objects.select_for_update().get(pk=community.pk)
    if locked.closed_on is not None:
        raise RosterError(
            _("%(name)s was already closed on %(date)s.") % {"name": locked.name, "date": locked.closed_on}
        )
    if locked.established_on and on <= locked.established_on:
        raise RosterError(_("A community cannot close on or before the day it was established."))
    locked.closed_on = on
    locked.save(update_fields=["closed_on", "updated_at"])
    change = RosterChange.objects.create(
        kind=kind,
        effective_on=on,
        community=locked,
        note=note,
        recorded_by=actor(by),
    )
    audit_record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        obj=locked,
        district_id=locked.district_id,
        changes={"closed_on": [None, on.isoformat()], "roster_change": [None, kind]},
        note=note,
    )
    return locked, change


def community_close(*, community: Community, on: datetime.date, by: Any, note: str = "") -> Community:
    with transaction.atomic():
        closed, _change = _close(community=community, on=on, by=by, kind=RosterChange.Kind.CLOSED, note=note)
    return closed


def community_merge(*, community: Community, into: Community, on: datetime.date, by: Any, note: str = "") -> Community:
    if community.pk == into.pk:
        raise RosterError(_("A community cannot be merged into itself."))
    if community.district_id != into.district_id:
        raise RosterError(_("Communities can only be merged within one district."))
    with transaction.atomic():
        closed, change = _close(community=community, on=on, by=by, kind=RosterChange.Kind.MERGED, note=note)
        change.successors.add(into)
    return closed


def community_split(
    *, community: Community, parts: list[dict[str, str]], on: datetime.date, by: Any, note: str = ""
) -> list[Community]:
    """Close `community` on `on` and open the new communities in `parts` ({code, name, kind}) on the same day."""
    if len(parts) < 2:
        raise RosterError(_("A split needs at least two new communities."))
    with transaction.atomic():
        closed, change = _close(community=community, on=on, by=by, kind=RosterChange.Kind.SPLIT, note=note)
        created = [
            community_add(
                street=closed.street,
                code=part["code"],
                name=part["name"],
                kind=part.get("kind", closed.kind),
                established_on=on,
                by=by,
                note=_("split from %(name)s") % {"name": closed.name},
            )
            for part in parts
        ]
        change.successors.add(*created)
    return created


def validation_messages(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]
