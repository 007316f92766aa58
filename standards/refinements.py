"""Every write to a district's refinements of the standard (细化指标), and the reads the other pages share.

A district's staff write a sub-indicator under one item as a draft, change it while it is a draft or returned, and
submit it; the commission approves it or returns it with a reason. An approved refinement is read-only: a change is
a new refinement, and the district withdraws one it no longer wants. Each service checks who asks and the state,
writes and audits in one transaction; a refusal is a `RefinementError` whose message is for the user.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from districts.audit import actor, audit_record, created, diff
from districts.models import AuditEntry, District
from districts.scope import scope_of
from greencommunity.fields import max_length

from .models import Refinement, StandardItem

Status = Refinement.Status


class RefinementError(Exception):
    """A refusal, with a message to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def can_write(user: Any, district_id: int) -> bool:
    scope = scope_of(user)
    return scope.is_district_staff and scope.district_id == district_id


def _require_own_staff(by: Any, district: District) -> None:
    if not can_write(by, district.pk):
        raise RefinementError(
            _("Only the staff of %(district)s may write or change its refinements.") % {"district": district.name}
        )


def _require_commission(by: Any) -> None:
    if not scope_of(by).is_commission:
        raise RefinementError(_("Only the commission approves or returns refinements."))


def _values(refinement: Refinement) -> dict[str, Any]:
    return {
        "item": refinement.item.number,
        "text": refinement.text,
        "guidance": refinement.guidance,
        "evidence_required": refinement.evidence_required,
        "order": refinement.order,
    }


def _clean(*, text: str, guidance: str, order: int) -> tuple[str, str, int]:
    text, guidance = (text or "").strip(), (guidance or "").strip()
    if not text:
        raise RefinementError(_("Write the sub-indicator."))
    if len(text) > max_length(Refinement, "text"):
        raise RefinementError(_("The sub-indicator may be at most 200 characters."))
    if len(guidance) > max_length(Refinement, "guidance"):
        raise RefinementError(_("The guidance may be at most 2000 characters."))
    if not 0 <= order <= 999:
        raise RefinementError(_("The order is a number from 0 to 999."))
    return text, guidance, order


def _locked(refinement: Refinement) -> Refinement:
    return Refinement.objects.select_for_update().select_related("district", "item").get(pk=refinement.pk)


def _wrong_state(refinement: Refinement) -> RefinementError:
    return RefinementError(
        _("This refinement is %(status)s; that step is not possible now.") % {"status": refinement.get_status_display()}
    )


def refinement_create(
    *,
    district: District,
    item: StandardItem,
    text: str,
    guidance: str = "",
    evidence_required: bool = False,
    order: int = 0,
    by: Any,
) -> Refinement:
    """A district's new sub-indicator under `item`, as a draft."""
    _require_own_staff(by, district)
    text, guidance, order = _clean(text=text, guidance=guidance, order=order)
    with transaction.atomic():
        refinement = Refinement.objects.create(
            district=district,
            item=item,
            text=text,
            guidance=guidance,
            evidence_required=evidence_required,
            order=order,
            created_by=actor(by),
        )
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            obj=refinement,
            district_id=district.pk,
            changes=created({**_values(refinement), "status": refinement.status}),
        )
    return refinement


def refinement_update(
    *, refinement: Refinement, text: str, guidance: str = "", evidence_required: bool = False, order: int = 0, by: Any
) -> Refinement:
    """Change a draft or a returned refinement (the item it refines stays: another item is another refinement)."""
    _require_own_staff(by, refinement.district)
    text, guidance, order = _clean(text=text, guidance=guidance, order=order)
    with transaction.atomic():
        locked = _locked(refinement)
        if not locked.is_editable:
            raise RefinementError(
                _(
                    "This refinement is %(status)s and can no longer be changed; write a new one instead, "
                    "or withdraw it."
                )
                % {"status": locked.get_status_display()}
            )
        before = _values(locked)
        locked.text, locked.guidance, locked.evidence_required, locked.order = text, guidance, evidence_required, order
        locked.save(update_fields=["text", "guidance", "evidence_required", "order"])
        changes = diff(before, _values(locked))
        if changes:
            audit_record(
                actor=by, action=AuditEntry.Action.UPDATE, obj=locked, district_id=locked.district_id, changes=changes
            )
    return locked


def _transition(
    refinement: Refinement, *, allowed: set[str], to: str, by: Any, stamp: dict[str, Any], note: str = ""
) -> Refinement:
    with transaction.atomic():
        locked = _locked(refinement)
        if locked.status not in allowed:
            raise _wrong_state(locked)
        before = locked.status
        locked.status = to
        for name, value in stamp.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *stamp])
        audit_record(
            actor=by,
            action=AuditEntry.Action.TRANSITION,
            obj=locked,
            district_id=locked.district_id,
            changes={"status": [before, to]},
            note=note,
        )
    return locked


def refinement_submit(*, refinement: Refinement, by: Any) -> Refinement:
    """Put a draft or a returned refinement to the commission."""
    _require_own_staff(by, refinement.district)
    return _transition(
        refinement,
        allowed={Status.DRAFT, Status.RETURNED},
        to=Status.SUBMITTED,
        by=by,
        stamp={"submitted_at": timezone.now(), "submitted_by": actor(by)},
    )


def refinement_approve(*, refinement: Refinement, by: Any) -> Refinement:
    """The commission approves: from now on the refinement guides the district's self-assessment and inspection."""
    _require_commission(by)
    return _transition(
        refinement,
        allowed={Status.SUBMITTED},
        to=Status.APPROVED,
        by=by,
        stamp={"decided_at": timezone.now(), "decided_by": actor(by), "return_reason": ""},
    )


def refinement_return(*, refinement: Refinement, reason: str, by: Any) -> Refinement:
    """The commission returns a submitted refinement with the reason; the district may change and resubmit it."""
    _require_commission(by)
    reason = (reason or "").strip()
    if not reason:
        raise RefinementError(_("Say why the refinement is returned."))
    if len(reason) > max_length(Refinement, "return_reason"):
        raise RefinementError(_("The reason may be at most 2000 characters."))
    return _transition(
        refinement,
        allowed={Status.SUBMITTED},
        to=Status.RETURNED,
        by=by,
        stamp={"decided_at": timezone.now(), "decided_by": actor(by), "return_reason": reason},
        note=reason,
    )


def refinement_withdraw(*, refinement: Refinement, by: Any) -> Refinement:
    """The district withdraws a refinement: it no longer guides anything and stays on record as withdrawn."""
    _require_own_staff(by, refinement.district)
    return _transition(
        refinement,
        allowed={Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED},
        to=Status.WITHDRAWN,
        by=by,
        stamp={"withdrawn_at": timezone.now(), "withdrawn_by": actor(by)},
    )


def approved_by_item(district_id: int | None) -> dict[int, list[Refinement]]:
    """The district's approved refinements keyed by the id of the item they refine, in their order (one query;
    none for a record of no district)."""
    grouped: dict[int, list[Refinement]] = defaultdict(list)
    if district_id is None:
        return {}
    for refinement in Refinement.objects.approved().filter(district_id=district_id).order_by("item_id", "order", "pk"):
        grouped[refinement.item_id].append(refinement)
    return dict(grouped)


def comparison(*, user: Any) -> list[dict[str, Any]]:
    """Per item of the standard, each district's approved refinements side by side (items without any are left
    out). Two queries, whatever the number of districts."""
    refinements = (
        Refinement.objects.visible_to(user)
        .approved()
        .select_related("district")
        .order_by("item_id", "district__code", "order", "pk")
    )
    by_item: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for refinement in refinements:
        districts = by_item[refinement.item_id]
        entry = districts.setdefault(refinement.district_id, {"district": refinement.district, "refinements": []})
        entry["refinements"].append(refinement)
    items = StandardItem.objects.filter(pk__in=list(by_item)).select_related("category").order_by("number")
    return [{"item": item, "districts": list(by_item[item.pk].values())} for item in items]
