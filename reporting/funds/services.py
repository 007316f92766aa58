"""Every write to the funds: validate, lock, change, audit. Refusals are FundsError with a message for the user."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from districts.audit import actor, audit_record, created, diff, snapshot
from districts.models import AuditEntry, Community
from districts.scope import Scope, scope_of

from .models import AMOUNT_PLACES, MAX_AMOUNT, FundEntry, FundingSource

FIELDS = ("community", "year", "source", "committed", "spent", "note")
FIRST_YEAR = 2000


class FundsError(Exception):
    """A change the data or the user's scope does not allow; the message is for the user."""


def can_read_funds(scope: Scope) -> bool:
    """The commission and the departments read the whole city's funds; district and street staff their district's."""
    return scope.sees_whole_city or bool(scope.district_id)


def can_edit_funds(scope: Scope, district_id: int) -> bool:
    """The district keeps its own funds (and the commission administrator may correct them)."""
    return scope.can_edit_district(district_id)


def check_year(year: Any) -> int:
    """A year from 2000 up to next year (committed funds may be for the coming year)."""
    last = timezone.localdate().year + 1
    if not isinstance(year, int) or not FIRST_YEAR <= year <= last:
        raise FundsError(_("The year must be a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": last})
    return year


def check_amount(value: Any, *, label: str) -> Decimal:
    """A non-negative amount in yuan with at most two decimal places; None counts as zero."""
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise FundsError(_("%(label)s must be a number of yuan.") % {"label": label})
    if value < 0:
        raise FundsError(_("%(label)s cannot be negative.") % {"label": label})
    exponent = value.as_tuple().exponent  # an int for a finite number
    if isinstance(exponent, int) and -exponent > AMOUNT_PLACES and value != value.quantize(Decimal("0.01")):
        raise FundsError(_("%(label)s may have at most two decimal places (fen).") % {"label": label})
    if value > MAX_AMOUNT:
        raise FundsError(_("%(label)s is larger than any community's funds can be.") % {"label": label})
    return value.quantize(Decimal("0.01"))


def check_amounts(committed: Any, spent: Any) -> tuple[Decimal, Decimal]:
    committed = check_amount(committed, label=_("The amount committed"))
    spent = check_amount(spent, label=_("The amount spent"))
    if not committed and not spent:
        raise FundsError(_("Enter the amount committed, the amount spent or both; a line of zeros records nothing."))
    return committed, spent


def _require_editor(by: Any, district_id: int) -> None:
    if not can_edit_funds(scope_of(by), district_id):
        raise FundsError(_("Only the district's own staff may record its funds."))


def fund_entry_create(
    *,
    community: Community,
    year: int,
    source: FundingSource,
    committed: Decimal | None,
    spent: Decimal | None,
    note: str = "",
    by: Any,
) -> FundEntry:
    """Record a community's funds from one source for one year (a second line for the same ones is refused)."""
    _require_editor(by, community.district_id)
    year = check_year(year)
    committed, spent = check_amounts(committed, spent)
    if not source.is_active:
        raise FundsError(_("The funding source “%(source)s” is no longer in use.") % {"source": source.name})
    entry = FundEntry(
        community=community,
        district_id=community.district_id,
        year=year,
        source=source,
        committed=committed,
        spent=spent,
        note=(note or "").strip(),
        recorded_by=actor(by),
    )
    try:
        with transaction.atomic():
            entry.save()
            audit_record(
                actor=by,
                action=AuditEntry.Action.CREATE,
                obj=entry,
                district_id=entry.district_id,
                changes=created(snapshot(entry, FIELDS)),
            )
    except IntegrityError as exc:
        raise FundsError(
            _("%(community)s already has a line for %(source)s in %(year)s; change that line instead.")
            % {"community": community.name, "source": source.name, "year": year}
        ) from exc
    return entry


def fund_entry_update(
    *, entry: FundEntry, committed: Decimal | None, spent: Decimal | None, note: str = "", by: Any
) -> FundEntry:
    """Change a line's amounts and note (its community, year and source stay: delete it and add another instead)."""
    _require_editor(by, entry.district_id)
    committed, spent = check_amounts(committed, spent)
    with transaction.atomic():
        locked = (
            FundEntry.objects.select_for_update(of=("self",)).select_related("community", "source").get(pk=entry.pk)
        )
        before = snapshot(locked, FIELDS)
        locked.committed, locked.spent, locked.note = committed, spent, (note or "").strip()
        changes = diff(before, snapshot(locked, FIELDS))
        if not changes:
            return locked
        locked.recorded_by = actor(by)
        locked.save()
        audit_record(
            actor=by, action=AuditEntry.Action.UPDATE, obj=locked, district_id=locked.district_id, changes=changes
        )
    return locked


def fund_entry_delete(*, entry: FundEntry, by: Any) -> None:
    """Remove a line recorded by mistake; the trail keeps what it said."""
    _require_editor(by, entry.district_id)
    with transaction.atomic():
        locked = (
            FundEntry.objects.select_for_update(of=("self",))
            .select_related("community", "source")
            .filter(pk=entry.pk)
            .first()
        )
        if locked is None:
            raise FundsError(_("This line has already been deleted."))
        audit_record(
            actor=by,
            action=AuditEntry.Action.DELETE,
            obj=locked,
            district_id=locked.district_id,
            changes={name: [value, None] for name, value in snapshot(locked, FIELDS).items()},
        )
        locked.delete()
