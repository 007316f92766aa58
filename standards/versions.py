"""Writes to a standard version: copying an earlier one for a new campaign, editing its items while no record was
made against it, and loading one from rows (an Excel import). A version in use is never changed: a record made
against it must keep meaning what it meant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from districts.audit import actor, audit_record, diff
from districts.models import AuditEntry, Department

from .models import StandardCategory, StandardItem, StandardVersion

NAME_MAX = 100
TEXT_MAX = 200
CATEGORY_NAME_MAX = 64
NUMBER_MAX = 99  # the report's table marks items with one- and two-digit numbers


class StandardVersionError(Exception):
    """The change is refused; the message is for the user."""


def _require_editable(version: StandardVersion) -> StandardVersion:
    locked = StandardVersion.objects.select_for_update().get(pk=version.pk)
    if locked.is_in_use():
        raise StandardVersionError(
            _("Records were made against this standard; it can no longer change. Copy it into a new version instead.")
        )
    return locked


def standard_version_copy(*, source: StandardVersion, name: str, by: Any) -> StandardVersion:
    """A new version with a copy of every category (with its departments) and item of `source`; `source` is only
    read."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise StandardVersionError(_("Give the standard a name of at most %(max)d characters.") % {"max": NAME_MAX})
    with transaction.atomic():
        version = StandardVersion.objects.create(name=name, copied_from=source, created_by=actor(by))
        items = Prefetch("items", queryset=StandardItem.objects.order_by("number"))
        for category in source.categories.prefetch_related("departments", items).order_by("number"):
            copy = StandardCategory.objects.create(version=version, number=category.number, name=category.name)
            copy.departments.set(category.departments.all())
            StandardItem.objects.bulk_create(
                StandardItem(
                    version=version,
                    category=copy,
                    number=item.number,
                    text=item.text,
                    allows_not_applicable=item.allows_not_applicable,
                )
                for item in category.items.all()
            )
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            obj=version,
            changes={"copied_from": [None, source.name]},
        )
    return version


def _check_item(number: int, text: str, category: StandardCategory, version: StandardVersion) -> str:
    text = (text or "").strip()
    if not 1 <= number <= NUMBER_MAX:
        raise StandardVersionError(_("Item numbers run from 1 to %(max)d.") % {"max": NUMBER_MAX})
    if not text or len(text) > TEXT_MAX:
        raise StandardVersionError(
            _("Item %(number)d: write the standard in at most %(max)d characters.")
            % {"number": number, "max": TEXT_MAX}
        )
    if category.version_id != version.pk:
        raise StandardVersionError(_("Choose a category of this standard."))
    return text


def standard_item_update(
    *,
    item: StandardItem,
    text: str,
    category: StandardCategory,
    allows_not_applicable: bool,
    by: Any,
) -> StandardItem:
    """Change an item's text, category or whether it may be not applicable (its number stays)."""
    with transaction.atomic():
        version = _require_editable(item.version)
        locked = StandardItem.objects.select_for_update().get(pk=item.pk, version=version)
        text = _check_item(locked.number, text, category, version)
        before = {
            "text": locked.text,
            "category": locked.category.name,
            "allows_not_applicable": locked.allows_not_applicable,
        }
        locked.text, locked.category, locked.allows_not_applicable = text, category, allows_not_applicable
        after = {"text": text, "category": category.name, "allows_not_applicable": allows_not_applicable}
        changes = diff(before, after)
        if not changes:
            return locked
        locked.save()
        audit_record(actor=by, action=AuditEntry.Action.UPDATE, obj=locked, changes=changes)
    return locked


def standard_item_add(
    *, version: StandardVersion, category: StandardCategory, text: str, allows_not_applicable: bool, by: Any
) -> StandardItem:
    """A new item, numbered after the version's last."""
    with transaction.atomic():
        version = _require_editable(version)
        number = (version.items.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        text = _check_item(number, text, category, version)
        item = StandardItem.objects.create(
            version=version, category=category, number=number, text=text, allows_not_applicable=allows_not_applicable
        )
        audit_record(actor=by, action=AuditEntry.Action.CREATE, obj=item, changes={"text": [None, text]})
    return item


def standard_item_remove(*, item: StandardItem, by: Any) -> None:
    """Remove an item; the items after it move up one number, so a self-assessment's items stay 1…n."""
    with transaction.atomic():
        version = _require_editable(item.version)
        locked = StandardItem.objects.select_for_update().get(pk=item.pk, version=version)
        if version.items.count() <= 1:
            raise StandardVersionError(_("A standard needs at least one item."))
        audit_record(actor=by, action=AuditEntry.Action.DELETE, obj=locked, changes={"text": [locked.text, None]})
        number = locked.number
        locked.delete()
        # One at a time, lowest first: each number is free when the next item takes it.
        for later in version.items.filter(number__gt=number).order_by("number"):
            later.number -= 1
            later.save(update_fields=["number"])


@dataclass
class ImportRow:
    """One row of an imported standard, as read from its sheet (`line` is the sheet's row number)."""

    line: int
    category_number: int
    category_name: str
    item_number: int
    text: str
    departments: list[str] = field(default_factory=list)
    allows_not_applicable: bool = False


def standard_version_import(*, name: str, rows: Sequence[ImportRow], by: Any) -> StandardVersion:
    """A new version from checked rows (see `standards.standard_excel`), all or nothing."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise StandardVersionError(_("Give the standard a name of at most %(max)d characters.") % {"max": NAME_MAX})
    departments = {d.name: d for d in Department.objects.all()}
    with transaction.atomic():
        version = StandardVersion.objects.create(name=name, created_by=actor(by))
        categories: dict[int, StandardCategory] = {}
        for row in rows:
            category = categories.get(row.category_number)
            if category is None:
                category = StandardCategory.objects.create(
                    version=version, number=row.category_number, name=row.category_name
                )
                categories[row.category_number] = category
            category.departments.add(*(departments[n] for n in row.departments))
            StandardItem.objects.create(
                version=version,
                category=category,
                number=row.item_number,
                text=row.text,
                allows_not_applicable=row.allows_not_applicable,
            )
        audit_record(actor=by, action=AuditEntry.Action.IMPORT, obj=version, changes={"items": [None, len(rows)]})
    return version
