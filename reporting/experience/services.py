"""Every write to the experience library: a district's case from draft to submission, the commission's review
(return with comments, publish, mark 可复制可推广, link to a meeting), the case's files, and the meetings.

Each service checks who is asking and the case's state, writes, records the step and the audit entry in one
transaction; a refusal is an `ExperienceError` whose message is for the user.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from districts.audit import actor, audit_record, created, diff
from districts.models import AuditEntry, Community, District
from districts.scope import scope_of
from greencommunity.fields import max_length
from outbox.services import enqueue_on_commit
from standards import evidence as evidence_service
from standards.models import Evidence, StandardItem

from .models import ExchangeEvent, ExperienceCase, ExperienceCaseStep
from .tasks import case_step_notify

Status = ExperienceCase.Status


class ExperienceError(Exception):
    """A refusal, with a message to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _require_own_staff(by: Any, district: District) -> None:
    scope = scope_of(by)
    if not (scope.is_district_staff and scope.district_id == district.pk):
        raise ExperienceError(
            _("Only the staff of %(district)s may write or change its cases.") % {"district": district.name}
        )


def _require_commission(by: Any) -> None:
    if not scope_of(by).is_commission:
        raise ExperienceError(_("Only the commission reviews and publishes cases."))


def _values(case: ExperienceCase) -> dict[str, Any]:
    """What the trail records of a case's content."""
    return {
        "title": case.title,
        "communities": sorted(c.name for c in case.communities.all()),
        "items": sorted(i.number for i in case.items.all()),
        "measures": case.measures,
        "results": case.results,
        "cost": str(case.cost) if case.cost is not None else None,
    }


def _clean(
    *,
    district: District,
    title: str,
    communities: Iterable[Community],
    items: Iterable[StandardItem],
    measures: str,
    results: str,
    cost: Decimal | None,
) -> dict[str, Any]:
    title, measures, results = (title or "").strip(), (measures or "").strip(), (results or "").strip()
    communities, items = list(communities), list(items)
    if not title:
        raise ExperienceError(_("Give the case a title."))
    if len(title) > max_length(ExperienceCase, "title"):
        raise ExperienceError(_("The title may be at most 200 characters."))
    if not communities:
        raise ExperienceError(_("Choose at least one community where the case took place."))
    outside = [c.name for c in communities if c.district_id != district.pk]
    if outside:
        raise ExperienceError(
            _("%(communities)s not in %(district)s; a case covers only the district's own communities.")
            % {"communities": "、".join(outside), "district": district.name}
        )
    if not items:
        raise ExperienceError(_("Choose at least one standard item the case addresses."))
    if not measures:
        raise ExperienceError(_("Describe what was done."))
    if cost is not None and cost < 0:
        raise ExperienceError(_("The cost cannot be negative."))
    return {
        "title": title,
        "communities": communities,
        "items": items,
        "measures": measures,
        "results": results,
        "cost": cost,
    }


def _step(case: ExperienceCase, action: str, by: Any, comment: str = "") -> ExperienceCaseStep:
    return ExperienceCaseStep.objects.create(case=case, action=action, by=actor(by), comment=comment)


def case_create(
    *,
    district: District,
    title: str,
    communities: Iterable[Community],
    items: Iterable[StandardItem],
    measures: str,
    results: str = "",
    cost: Decimal | None = None,
    by: Any,
) -> ExperienceCase:
    """A district's new case, as a draft."""
    _require_own_staff(by, district)
    values = _clean(
        district=district,
        title=title,
        communities=communities,
        items=items,
        measures=measures,
        results=results,
        cost=cost,
    )
    with transaction.atomic():
        case = ExperienceCase.objects.create(
            district=district,
            title=values["title"],
            measures=values["measures"],
            results=values["results"],
            cost=values["cost"],
            created_by=actor(by),
        )
        case.communities.set(values["communities"])
        case.items.set(values["items"])
        _step(case, ExperienceCaseStep.Action.CREATED, by)
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            obj=case,
            district_id=district.pk,
            changes=created({**_values(case), "status": case.status}),
        )
    return case


def _locked(case: ExperienceCase) -> ExperienceCase:
    return ExperienceCase.objects.select_for_update().get(pk=case.pk)


def _wrong_state(case: ExperienceCase) -> ExperienceError:
    return ExperienceError(
        _("This case is %(status)s; that step is not possible now.") % {"status": case.get_status_display()}
    )


def case_update(
    *,
    case: ExperienceCase,
    title: str,
    communities: Iterable[Community],
    items: Iterable[StandardItem],
    measures: str,
    results: str,
    cost: Decimal | None,
    by: Any,
) -> ExperienceCase:
    """Change a draft or a returned case."""
    _require_own_staff(by, case.district)
    values = _clean(
        district=case.district,
        title=title,
        communities=communities,
        items=items,
        measures=measures,
        results=results,
        cost=cost,
    )
    with transaction.atomic():
        locked = _locked(case)
        if not locked.is_editable:
            raise ExperienceError(
                _("This case is %(status)s; it can be changed only while it is a draft or returned.")
                % {"status": locked.get_status_display()}
            )
        before = _values(locked)
        for name in ("title", "measures", "results", "cost"):
            setattr(locked, name, values[name])
        locked.save()
        locked.communities.set(values["communities"])
        locked.items.set(values["items"])
        changes = diff(before, _values(locked))
        if changes:
            audit_record(
                actor=by, action=AuditEntry.Action.UPDATE, obj=locked, district_id=locked.district_id, changes=changes
            )
    return locked


def _transition(
    case: ExperienceCase,
    *,
    allowed_from: Iterable[str],
    to: str,
    action: str,
    by: Any,
    comment: str = "",
    check: Callable[[ExperienceCase], None] | None = None,
) -> ExperienceCase:
    """Lock the case, let `check` refuse on its current content, check the state, then change it."""
    with transaction.atomic():
        locked = _locked(case)
        if check is not None:
            check(locked)
        if locked.status not in allowed_from:
            raise _wrong_state(locked)
        from_status = locked.status
        locked.status = to
        now = timezone.now()
        if to == Status.SUBMITTED:
            locked.submitted_at = now
        if to == Status.PUBLISHED:
            locked.published_at, locked.published_by = now, actor(by)
        locked.save()
        step = _step(locked, action, by, comment)
        audit_record(
            actor=by,
            action=AuditEntry.Action.TRANSITION,
            obj=locked,
            district_id=locked.district_id,
            changes={"status": [from_status, to]},
            note=comment,
        )
        # Written with the step and sent once it commits; kept for later when the broker is down.
        enqueue_on_commit(case_step_notify, args=[step.pk])
    return locked


def case_submit(*, case: ExperienceCase, by: Any) -> ExperienceCase:
    """Send a draft or a returned case to the commission; it must say what the results were."""
    _require_own_staff(by, case.district)

    def has_results(locked: ExperienceCase) -> None:
        if locked.is_editable and not locked.results.strip():
            raise ExperienceError(_("Describe the results before submitting."))

    return _transition(
        case,
        allowed_from=[Status.DRAFT, Status.RETURNED],
        to=Status.SUBMITTED,
        action=ExperienceCaseStep.Action.SUBMITTED,
        by=by,
        check=has_results,
    )


def case_return(*, case: ExperienceCase, comment: str, by: Any) -> ExperienceCase:
    _require_commission(by)
    comment = (comment or "").strip()
    if not comment:
        raise ExperienceError(_("Say what needs to change before returning the case."))
    return _transition(
        case,
        allowed_from=[Status.SUBMITTED],
        to=Status.RETURNED,
        action=ExperienceCaseStep.Action.RETURNED,
        by=by,
        comment=comment,
    )


def case_publish(
    *,
    case: ExperienceCase,
    by: Any,
    comment: str = "",
    replicable: bool = False,
    event: ExchangeEvent | None = None,
) -> ExperienceCase:
    """Publish a submitted case to everyone, optionally marked 可复制可推广 and linked to a meeting."""
    _require_commission(by)

    def was_submitted(locked: ExperienceCase) -> None:
        if locked.status in (Status.DRAFT, Status.RETURNED):
            raise ExperienceError(_("This case has not been submitted; only a submitted case can be published."))

    with transaction.atomic():
        published = _transition(
            case,
            allowed_from=[Status.SUBMITTED],
            to=Status.PUBLISHED,
            action=ExperienceCaseStep.Action.PUBLISHED,
            by=by,
            comment=(comment or "").strip(),
            check=was_submitted,
        )
        if replicable or event is not None:
            published = case_promote(case=published, replicable=replicable, event=event, by=by)
    return published


def case_promote(*, case: ExperienceCase, replicable: bool, event: ExchangeEvent | None, by: Any) -> ExperienceCase:
    """Mark a published case 可复制可推广 (or not) and link it to the meeting where it was shown (or none)."""
    _require_commission(by)
    with transaction.atomic():
        locked = _locked(case)
        if locked.status != Status.PUBLISHED:
            raise ExperienceError(_("Only a published case can be marked replicable or linked to a meeting."))
        before = {"replicable": locked.replicable, "event": str(locked.event) if locked.event_id else None}
        locked.replicable, locked.event = bool(replicable), event
        locked.save(update_fields=["replicable", "event", "updated_at"])
        changes = diff(before, {"replicable": locked.replicable, "event": str(event) if event else None})
        if changes:
            audit_record(
                actor=by, action=AuditEntry.Action.UPDATE, obj=locked, district_id=locked.district_id, changes=changes
            )
    return locked


# --- files ----------------------------------------------------------------------------------------------------


def _files_editable(case: ExperienceCase, by: Any) -> None:
    _require_own_staff(by, case.district)
    current = ExperienceCase.objects.get(pk=case.pk)  # the state now, not when the caller loaded the case
    if not current.is_editable:
        raise ExperienceError(
            _("This case is %(status)s; files can be added or removed only while it is a draft or returned.")
            % {"status": current.get_status_display()}
        )


def case_file_add(*, case: ExperienceCase, upload: Any, caption: str = "", by: Any) -> Evidence:
    """A photo or document for the case, checked and stored like every other evidence file."""
    _files_editable(case, by)
    try:
        return evidence_service.evidence_add(upload=upload, by=by, district=case.district, owner=case, caption=caption)
    except evidence_service.EvidenceError as exc:
        raise ExperienceError(exc.message) from exc


def case_file_remove(*, case: ExperienceCase, evidence: Evidence, by: Any) -> Evidence:
    _files_editable(case, by)
    if (
        evidence.owner_id != case.pk
        or evidence.owner_type is None
        or evidence.owner_type.model_class() is not ExperienceCase
    ):
        raise ExperienceError(_("That file does not belong to this case."))
    try:
        return evidence_service.evidence_remove(evidence=evidence, by=by)
    except evidence_service.EvidenceError as exc:
        raise ExperienceError(exc.message) from exc


# --- meetings -------------------------------------------------------------------------------------------------


def event_create(
    *,
    kind: str,
    title: str,
    held_on: datetime.date | None,
    host: str,
    communities: Iterable[Community],
    attendees: str,
    by: Any,
) -> ExchangeEvent:
    """Record a 现场会 or 经验交流会; a 现场会 names the communities it visited."""
    _require_commission(by)
    title, host, attendees = (title or "").strip(), (host or "").strip(), (attendees or "").strip()
    communities = list(communities)
    if kind not in ExchangeEvent.Kind.values:
        raise ExperienceError(_("Choose whether the meeting was an on-site meeting or an experience exchange."))
    if not title:
        raise ExperienceError(_("Give the meeting a title."))
    if held_on is None:
        raise ExperienceError(_("Give the date the meeting was held."))
    if not host:
        raise ExperienceError(_("Say who hosted the meeting."))
    if not attendees:
        raise ExperienceError(_("Say who attended the meeting."))
    if kind == ExchangeEvent.Kind.ONSITE and not communities:
        raise ExperienceError(_("An on-site meeting visits at least one community; choose the communities visited."))
    with transaction.atomic():
        event = ExchangeEvent.objects.create(
            kind=kind, title=title, held_on=held_on, host=host, attendees=attendees, created_by=actor(by)
        )
        event.communities.set(communities)
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            obj=event,
            changes=created(
                {
                    "kind": kind,
                    "title": title,
                    "held_on": held_on.isoformat(),
                    "host": host,
                    "communities": sorted(c.name for c in communities),
                    "attendees": attendees,
                }
            ),
        )
    return event
