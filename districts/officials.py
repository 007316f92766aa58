"""Responsible officials (责任人): each district and department names one 局级 and one 处级 official answerable for
the campaign. The commission reads every unit's; each unit keeps its own. Every change is audited."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from greencommunity.fields import max_length

from .audit import audit_record, created, diff, snapshot
from .models import AuditEntry, Department, District, ResponsibleOfficial
from .scope import Scope

FIELDS = ("level", "name", "title", "phone")
# Digits with the separators people write: 022-23456789, (022) 2345 6789, 138 0000 0000, +86 …, ext. "转123".
PHONE = re.compile(r"\+?[0-9()（）\- ]{7,24}(转[0-9]{1,6})?")


class OfficialError(Exception):
    """Details the portal cannot keep; the message is for the user."""


def can_read_officials(scope: Scope) -> bool:
    return scope.is_commission or can_keep_own_officials(scope)


def can_keep_own_officials(scope: Scope) -> bool:
    return scope.is_district_staff or scope.role == "department_staff"


def can_edit_officials(scope: Scope, *, district: District | None = None, department: Department | None = None) -> bool:
    """Only the unit itself: a district's staff for their district, a department's staff for their department."""
    if district is not None:
        return scope.is_district_staff and scope.district_id == district.pk
    if department is not None:
        return scope.role == "department_staff" and scope.department_id == department.pk
    return False


def _clean(name: str, title: str, phone: str, level_label: str) -> tuple[str, str, str]:
    name, title, phone = (name or "").strip(), (title or "").strip(), (phone or "").strip()
    missing = [
        label for label, value in ((_("full name"), name), (_("job title"), title), (_("phone"), phone)) if not value
    ]
    if missing:
        raise OfficialError(
            _("%(level)s: fill in the %(missing)s as well, or leave all three empty.")
            % {"level": level_label, "missing": "、".join(str(m) for m in missing)}
        )
    limits = {f: max_length(ResponsibleOfficial, f) for f in ("name", "title", "phone")}
    for label, value, field in (
        (_("full name"), name, "name"),
        (_("job title"), title, "title"),
        (_("phone"), phone, "phone"),
    ):
        if len(value) > limits[field]:
            raise OfficialError(
                _("%(level)s: the %(field)s may have at most %(max)s characters.")
                % {"level": level_label, "field": label, "max": limits[field]}
            )
    if not PHONE.fullmatch(phone):
        raise OfficialError(
            _("%(level)s: write the phone number in digits, e.g. 022-23456789 or 13800000000.") % {"level": level_label}
        )
    return name, title, phone


def official_save(
    *,
    district: District | None = None,
    department: Department | None = None,
    level: str,
    name: str,
    title: str,
    phone: str,
    by: Any,
    scope: Scope,
) -> ResponsibleOfficial | None:
    """Name a unit's official of one level, change their details, or (all three empty) remove them."""
    if (district is None) == (department is None):
        raise ValueError("an official belongs to exactly one district or department")
    if level not in ResponsibleOfficial.Level.values:
        raise ValueError(f"unknown level {level!r}")
    if not can_edit_officials(scope, district=district, department=department):
        raise OfficialError(_("Only the unit's own staff may change its responsible officials."))
    level_label = str(ResponsibleOfficial.Level(level).label)
    unit: dict[str, District | Department | None] = (
        {"district": district} if district is not None else {"department": department}
    )
    district_id = district.pk if district is not None else None
    with transaction.atomic():
        current = ResponsibleOfficial.objects.select_for_update().filter(level=level, **unit).order_by().first()
        if not any(((name or "").strip(), (title or "").strip(), (phone or "").strip())):
            if current is not None:
                audit_record(
                    actor=by,
                    action=AuditEntry.Action.DELETE,
                    obj=current,
                    district_id=district_id,
                    changes={k: [v, None] for k, v in snapshot(current, FIELDS).items()},
                )
                current.delete()
            return None
        name, title, phone = _clean(name, title, phone, level_label)
        if current is None:
            official = ResponsibleOfficial.objects.create(level=level, name=name, title=title, phone=phone, **unit)
            audit_record(
                actor=by,
                action=AuditEntry.Action.CREATE,
                obj=official,
                district_id=district_id,
                changes=created(snapshot(official, FIELDS)),
            )
            return official
        before = snapshot(current, FIELDS)
        current.name, current.title, current.phone = name, title, phone
        changes = diff(before, snapshot(current, FIELDS))
        if changes:
            current.save()
            audit_record(
                actor=by, action=AuditEntry.Action.UPDATE, obj=current, district_id=district_id, changes=changes
            )
        return current


def officials_by_unit(*, districts: Any, departments: Any) -> tuple[list[dict], list[dict]]:
    """Each unit with its officials per level (None where none is named): one query for all of them."""
    districts, departments = list(districts), list(departments)
    officials = ResponsibleOfficial.objects.filter(district__in=districts) | ResponsibleOfficial.objects.filter(
        department__in=departments
    )
    found = {(o.district_id, o.department_id, o.level): o for o in officials}
    levels = ResponsibleOfficial.Level.values

    def row(unit: Any, key: tuple) -> dict:
        return {"unit": unit, "officials": [found.get((*key, level)) for level in levels]}

    return (
        [row(d, (d.pk, None)) for d in districts],
        [row(d, (None, d.pk)) for d in departments],
    )
