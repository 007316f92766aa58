"""Every write to supervision: open and edit an action, record findings with photos, set required actions, and the
required action's steps (answer, send back, close). Each guards its state in a transaction, refuses in plain
Chinese (`SupervisionError`), and writes the audit trail.

A step may be dated earlier than today (`on`; `today` for the supervision's own date check), so that a paper record is
entered afterwards as the inspection's signature may be; never later. The default is today in Asia/Shanghai.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from districts.audit import actor, audit_record, created, diff
from districts.models import AuditEntry, Community, District
from districts.scope import scope_of
from standards.evidence import EvidenceError, evidence_add
from standards.models import Evidence, StandardItem

from .access import can_answer, can_manage, can_open
from .models import Finding, RequiredAction, RequiredActionStep, Supervision

Status = RequiredAction.Status
TEXT_LIMIT = 2000


class SupervisionError(Exception):
    """The step is refused; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _day(value: datetime.date | None) -> str:
    """A date as the messages print it; a step's date that is not recorded prints as nothing."""
    return date_format(value, "Y年n月j日") if value else ""


def _require_manager(supervision: Supervision, by: Any) -> None:
    if by is not None and not can_manage(scope_of(by), supervision):
        raise SupervisionError(
            _("Only %(opener)s, which opened this supervision, may change it or decide on its actions.")
            % {"opener": supervision.opener_label}
        )


def _text(value: str, empty_message: str, limit: int = TEXT_LIMIT) -> str:
    value = (value or "").strip()
    if not value:
        raise SupervisionError(empty_message)
    if len(value) > limit:
        raise SupervisionError(_("The text may be at most %(limit)d characters.") % {"limit": limit})
    return value


def _check_header(
    *,
    kind: str,
    title: str,
    held_on: datetime.date | None,
    participants: str,
    districts: list[District],
    communities: list[Community],
    today: datetime.date,
) -> str:
    if kind not in Supervision.Kind.values:
        raise SupervisionError(_("Choose the kind: thematic survey, on-site check or directive."))
    title = _text(title, _("Give the supervision a subject."), limit=120)
    if held_on is None:
        raise SupervisionError(_("Give the date of the supervision."))
    if held_on > today:
        raise SupervisionError(
            _("The supervision is dated %(date)s, after today; record it on or after the day it takes place.")
            % {"date": _day(held_on)}
        )
    if len(participants or "") > 1000:
        raise SupervisionError(_("The list of participants may be at most 1000 characters."))
    if not districts:
        raise SupervisionError(_("Choose at least one district the supervision concerns."))
    targets = {d.pk for d in districts}
    outside = [c.name for c in communities if c.district_id not in targets]
    if outside:
        raise SupervisionError(
            _("These communities are not in the districts chosen: %(names)s.") % {"names": "、".join(outside)}
        )
    return title


def supervision_open(
    *,
    kind: str,
    title: str,
    held_on: datetime.date | None,
    districts: Iterable[District],
    by: Any,
    participants: str = "",
    summary: str = "",
    communities: Iterable[Community] = (),
    items: Iterable[StandardItem] = (),
    today: datetime.date | None = None,
) -> Supervision:
    """Open an action. The commission opens in its own name; a department's staff in their department's."""
    scope = scope_of(by)
    if not can_open(scope):
        raise SupervisionError(_("Only the commission and the municipal departments open supervision."))
    districts, communities, items = list(districts), list(communities), list(items)
    title = _check_header(
        kind=kind,
        title=title,
        held_on=held_on,
        participants=participants,
        districts=districts,
        communities=communities,
        today=today or timezone.localdate(),
    )
    assert held_on is not None  # _check_header refuses a supervision without its date
    with transaction.atomic():
        supervision = Supervision.objects.create(
            kind=kind,
            title=title,
            held_on=held_on,
            participants=(participants or "").strip(),
            summary=(summary or "").strip()[:5000],
            opened_by_department_id=scope.department_id if scope.role == "department_staff" else None,
            opened_by=actor(by),
        )
        supervision.districts.set(districts)
        supervision.communities.set(communities)
        supervision.items.set(items)
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            obj=supervision,
            district_id=districts[0].pk if len(districts) == 1 else None,
            changes=created(
                {
                    "kind": kind,
                    "title": title,
                    "held_on": held_on.isoformat(),
                    "districts": [d.name for d in districts],
                    "communities": [c.name for c in communities],
                    "items": [str(i.number) for i in items],
                }
            ),
        )
    return supervision


def _header(supervision: Supervision) -> dict[str, Any]:
    return {
        "kind": supervision.kind,
        "title": supervision.title,
        "held_on": supervision.held_on.isoformat(),
        "participants": supervision.participants,
        "summary": supervision.summary,
        "districts": sorted(d.name for d in supervision.districts.all()),
        "communities": sorted(c.name for c in supervision.communities.all()),
        "items": sorted((str(i.number) for i in supervision.items.all()), key=int),
    }


def supervision_edit(
    *,
    supervision: Supervision,
    kind: str,
    title: str,
    held_on: datetime.date | None,
    districts: Iterable[District],
    by: Any,
    participants: str = "",
    summary: str = "",
    communities: Iterable[Community] = (),
    items: Iterable[StandardItem] = (),
    today: datetime.date | None = None,
) -> Supervision:
    """Correct an action's record. A district with findings or required actions stays a target, and the date may
    not move after a required action's deadline."""
    _require_manager(supervision, by)
    districts, communities, items = list(districts), list(communities), list(items)
    title = _check_header(
        kind=kind,
        title=title,
        held_on=held_on,
        participants=participants,
        districts=districts,
        communities=communities,
        today=today or timezone.localdate(),
    )
    with transaction.atomic():
        locked = Supervision.objects.select_for_update().get(pk=supervision.pk)
        targets = {d.pk for d in districts}
        in_use = (
            set(locked.required_actions.values_list("district_id", flat=True))
            | set(locked.findings.exclude(district__isnull=True).values_list("district_id", flat=True))
        ) - targets
        if in_use:
            names = "、".join(District.objects.filter(pk__in=in_use).order_by("code").values_list("name", flat=True))
            raise SupervisionError(
                _("%(names)s cannot be removed: the supervision has findings or required actions for it.")
                % {"names": names}
            )
        earliest = locked.required_actions.order_by("due_on").values_list("due_on", flat=True).first()
        if earliest is not None and held_on > earliest:
            raise SupervisionError(
                _("The date cannot be later than the earliest deadline it set, %(date)s.") % {"date": _day(earliest)}
            )
        before = _header(locked)
        locked.kind, locked.title, locked.held_on = kind, title, held_on
        locked.participants, locked.summary = (participants or "").strip(), (summary or "").strip()[:5000]
        locked.save()
        locked.districts.set(districts)
        locked.communities.set(communities)
        locked.items.set(items)
        changes = diff(before, _header(locked))
        if changes:
            audit_record(actor=by, action=AuditEntry.Action.UPDATE, obj=locked, changes=changes)
    return locked


def _place(
    supervision: Supervision, district: District | None, community: Community | None
) -> tuple[District | None, Community | None]:
    """The district and community a finding or required action is about: one of the action's targets."""
    targets = set(supervision.districts.values_list("pk", flat=True))
    if community is not None:
        if district is not None and community.district_id != district.pk:
            raise SupervisionError(
                _("The community %(community)s is not in %(district)s.")
                % {"community": community.name, "district": district.name}
            )
        district = district or community.district
    if district is not None and district.pk not in targets:
        raise SupervisionError(
            _("%(district)s is not one of the districts this supervision concerns.") % {"district": district.name}
        )
    return district, community


def finding_add(
    *,
    supervision: Supervision,
    item: StandardItem | None,
    text: str,
    by: Any,
    district: District | None = None,
    community: Community | None = None,
    upload: Any = None,
    caption: str = "",
) -> Finding:
    """Record what was found on one item, with a photo if one is given (kept together or not at all)."""
    _require_manager(supervision, by)
    if item is None:
        raise SupervisionError(_("Choose the standard item the finding is about."))
    text = _text(text, _("Write down what was found."))
    listed = set(supervision.items.values_list("pk", flat=True))
    if listed and item.pk not in listed:
        raise SupervisionError(
            _("Item %(number)d is not among the items this supervision concerns; add it to the supervision first.")
            % {"number": item.number}
        )
    district, community = _place(supervision, district, community)
    if district is None and supervision.districts.count() == 1:
        district = supervision.districts.get()
    try:
        with transaction.atomic():
            finding = Finding.objects.create(
                supervision=supervision,
                item=item,
                district=district,
                community=community,
                text=text,
                recorded_by=actor(by),
            )
            audit_record(
                actor=by,
                action=AuditEntry.Action.CREATE,
                obj=finding,
                district_id=district.pk if district else None,
                changes=created({"item": str(item.number), "text": text, "community": str(community or "") or None}),
            )
            if upload is not None:
                _photo(finding, upload, by, caption)
    except EvidenceError as exc:
        raise SupervisionError(exc.message) from exc
    return finding


def _photo(finding: Finding, upload: Any, by: Any, caption: str) -> Evidence:
    return evidence_add(
        upload=upload,
        by=by,
        district=finding.district,
        community=finding.community,
        item=finding.item,
        owner=finding,
        caption=caption,
    )


def required_action_set(
    *,
    supervision: Supervision,
    district: District | None,
    text: str,
    due_on: datetime.date | None,
    by: Any,
    community: Community | None = None,
    item: StandardItem | None = None,
    on: datetime.date | None = None,
) -> RequiredAction:
    """Ask one district to do something by a deadline, set on `on` (default today)."""
    _require_manager(supervision, by)
    text = _text(text, _("Say what the district must do."))
    if district is None and community is None:
        raise SupervisionError(_("Choose the district that must act."))
    district, community = _place(supervision, district, community)
    assert district is not None  # the one given, or the community's
    set_on = _step_day(on)
    if set_on < supervision.held_on:
        raise SupervisionError(
            _("A required action cannot be set before the supervision's date, %(date)s.")
            % {"date": _day(supervision.held_on)}
        )
    if due_on is None:
        raise SupervisionError(_("Give the deadline."))
    if due_on < supervision.held_on:
        raise SupervisionError(
            _("The deadline %(due)s is before the supervision's date, %(date)s.")
            % {"due": _day(due_on), "date": _day(supervision.held_on)}
        )
    if due_on < set_on:
        raise SupervisionError(
            _("The deadline %(due)s is before the day it is set, %(date)s.")
            % {"due": _day(due_on), "date": _day(set_on)}
        )
    with transaction.atomic():
        required = RequiredAction.objects.create(
            supervision=supervision,
            district=district,
            community=community,
            item=item,
            text=text,
            set_on=set_on,
            due_on=due_on,
        )
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            obj=required,
            district_id=district.pk,
            changes=created(
                {"text": text, "due_on": due_on.isoformat(), "set_on": set_on.isoformat(), "status": Status.OPEN}
            ),
        )
    return required


def _step_day(on: datetime.date | None) -> datetime.date:
    today = timezone.localdate()
    if on is not None and on > today:
        raise SupervisionError(_("The date %(date)s is after today.") % {"date": _day(on)})
    return on or today


def _locked(required: RequiredAction) -> RequiredAction:
    return (
        RequiredAction.objects.select_for_update(of=("self",))
        .select_related("supervision__opened_by_department", "district", "community", "item")
        .get(pk=required.pk)
    )


def _step(
    locked: RequiredAction, kind: str, text: str, on: datetime.date, by: Any, before: str, note: str = ""
) -> None:
    RequiredActionStep.objects.create(required_action=locked, kind=kind, text=text, on=on, by=actor(by))
    audit_record(
        actor=by,
        action=AuditEntry.Action.TRANSITION,
        obj=locked,
        district_id=locked.district_id,
        changes={"status": [before, locked.status]},
        note=(note or text)[:500],
    )


def _not_closed(locked: RequiredAction) -> None:
    if locked.status == Status.CLOSED:
        raise SupervisionError(
            _("This required action was closed on %(date)s; nothing more can be done on it.")
            % {"date": _day(locked.closed_on)}
        )


def required_action_answer(
    *,
    required: RequiredAction,
    text: str,
    by: Any,
    upload: Any = None,
    caption: str = "",
    on: datetime.date | None = None,
) -> RequiredAction:
    """The district says what it did, with a photo or document if it has one; the opener then closes or sends back."""
    if by is not None and not can_answer(scope_of(by), required):
        raise SupervisionError(_("Only the staff of %(district)s answer this.") % {"district": required.district.name})
    text = _text(text, _("Say what was done before answering."))
    day = _step_day(on)
    try:
        with transaction.atomic():
            locked = _locked(required)
            _not_closed(locked)
            if locked.status == Status.ANSWERED:
                raise SupervisionError(
                    _("This was answered on %(date)s and waits for %(opener)s to close it or send it back.")
                    % {"date": _day(locked.answered_on), "opener": locked.supervision.opener_label}
                )
            if day < locked.set_on:
                raise SupervisionError(
                    _("An answer cannot be dated before the action was set, %(date)s.") % {"date": _day(locked.set_on)}
                )
            before = locked.status
            locked.status, locked.answer, locked.answered_on = Status.ANSWERED, text, day
            locked.save(update_fields=["status", "answer", "answered_on"])
            _step(locked, RequiredActionStep.Kind.ANSWERED, text, day, by, before)
            if upload is not None:
                evidence_add(
                    upload=upload,
                    by=by,
                    district=locked.district,
                    community=locked.community,
                    item=locked.item,
                    owner=locked,
                    caption=caption,
                )
    except EvidenceError as exc:
        raise SupervisionError(exc.message) from exc
    return locked


def _require_answered(locked: RequiredAction, *, closing: bool) -> None:
    _not_closed(locked)
    if locked.status != Status.ANSWERED:
        if closing:
            message = _("%(district)s has not answered yet; it can be closed only after its answer.")
        else:
            message = _("%(district)s has not answered yet; it can be sent back only after its answer.")
        raise SupervisionError(message % {"district": locked.district.name})


def required_action_close(
    *, required: RequiredAction, by: Any, note: str = "", on: datetime.date | None = None
) -> RequiredAction:
    """The opener accepts the answer: the action is closed for good on that day."""
    _require_manager(required.supervision, by)
    day = _step_day(on)
    with transaction.atomic():
        locked = _locked(required)
        _require_answered(locked, closing=True)
        assert locked.answered_on is not None  # answered, as just checked
        if day < locked.answered_on:
            raise SupervisionError(
                _("It cannot be closed before it was answered, %(date)s.") % {"date": _day(locked.answered_on)}
            )
        before = locked.status
        locked.status, locked.closed_on, locked.closed_by = Status.CLOSED, day, actor(by)
        locked.save(update_fields=["status", "closed_on", "closed_by"])
        _step(locked, RequiredActionStep.Kind.CLOSED, (note or "").strip()[:TEXT_LIMIT], day, by, before)
    return locked


def required_action_return(
    *, required: RequiredAction, reason: str, by: Any, on: datetime.date | None = None
) -> RequiredAction:
    """The opener sends the answer back with the reason; the district answers again (the deadline stays)."""
    _require_manager(required.supervision, by)
    reason = _text(reason, _("Give the reason for sending it back."))
    day = _step_day(on)
    with transaction.atomic():
        locked = _locked(required)
        _require_answered(locked, closing=False)
        before = locked.status
        locked.status, locked.return_reason = Status.RETURNED, reason
        locked.save(update_fields=["status", "return_reason"])
        _step(locked, RequiredActionStep.Kind.RETURNED, reason, day, by, before)
    return locked
