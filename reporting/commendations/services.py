"""Every write to commendations: a district's or department's proposal and the commission's decision. Each checks
who asks and the state, writes and audits in one transaction; a refusal is a `CommendationError` for the user."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from districts.audit import actor, audit_record, created
from districts.models import AuditEntry, Department, District
from districts.scope import scope_of
from outbox.services import enqueue_on_commit
from reporting.campaigns.selectors import campaign_years
from reporting.models import Campaign

from .models import Commendation
from .tasks import commendation_decided_notify


class CommendationError(Exception):
    """A refusal, with a message to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def proposer_of(by: Any) -> District | Department | None:
    """The unit a user proposes for: their district (district staff) or department (department staff)."""
    scope = scope_of(by)
    if scope.is_district_staff and scope.district_id:
        return District.objects.get(pk=scope.district_id)
    if scope.role == "department_staff" and scope.department_id:
        return Department.objects.get(pk=scope.department_id)
    return None


def proposal_years(campaign: Campaign | None = None, today: Any = None) -> list[int]:
    """The years one may propose for in `campaign` (the reader's pick; by default the current campaign): its years,
    as `campaign_years` counts them. A commendation is of a year's work, not of a campaign: the campaign only says
    which years are offered."""
    campaign = campaign or Campaign.objects.current()
    if campaign is None:
        return []
    return campaign_years(campaign, today=today)


def commendation_propose(
    *,
    year: int | None,
    kind: str,
    name: str,
    affiliation: str = "",
    reason: str,
    by: Any,
    campaign: Campaign | None = None,
    today: Any = None,
) -> Commendation:
    unit = proposer_of(by)
    if unit is None:
        raise CommendationError(_("Only districts and municipal departments propose commendations."))
    name, affiliation, reason = (name or "").strip(), (affiliation or "").strip(), (reason or "").strip()
    if kind not in Commendation.Kind.values:
        raise CommendationError(_("Choose whether you propose a unit, an individual or a practice."))
    years = proposal_years(campaign, today)
    if year not in years:
        raise CommendationError(
            _("A commendation is for a year from %(first)s to %(last)s.")
            % {"first": years[0] if years else "—", "last": years[-1] if years else "—"}
        )
    if not name:
        raise CommendationError(_("Name the unit, person or practice to commend."))
    if len(name) > 200 or len(affiliation) > 200:
        raise CommendationError(_("The name and the unit may be at most 200 characters each."))
    if not reason:
        raise CommendationError(_("Give the reason for the commendation."))
    own: dict[str, District | Department] = {"district": unit} if isinstance(unit, District) else {"department": unit}
    duplicate = Commendation.objects.filter(year=year, kind=kind, name=name, **own).exclude(
        status=Commendation.Status.DECLINED
    )
    if duplicate.exists():
        raise CommendationError(_("%(name)s has already been proposed for %(year)s.") % {"name": name, "year": year})
    with transaction.atomic():
        commendation = Commendation.objects.create(
            year=year, kind=kind, name=name, affiliation=affiliation, reason=reason, proposed_by=actor(by), **own
        )
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            obj=commendation,
            district_id=commendation.district_id,
            changes=created(
                {
                    "year": year,
                    "kind": kind,
                    "name": name,
                    "affiliation": affiliation,
                    "reason": reason,
                    "status": commendation.status,
                }
            ),
        )
    return commendation


def _decide(commendation: Commendation, *, to: str, reason: str, by: Any) -> Commendation:
    if not scope_of(by).is_commission:
        raise CommendationError(_("Only the commission decides on commendations."))
    with transaction.atomic():
        locked = Commendation.objects.select_for_update().get(pk=commendation.pk)
        if locked.status != Commendation.Status.PROPOSED:
            raise CommendationError(
                _("This proposal has already been decided (%(status)s).") % {"status": locked.get_status_display()}
            )
        locked.status, locked.decision_reason = to, reason
        locked.decided_at, locked.decided_by = timezone.now(), actor(by)
        locked.save()
        audit_record(
            actor=by,
            action=AuditEntry.Action.TRANSITION,
            obj=locked,
            district_id=locked.district_id,
            changes={"status": [Commendation.Status.PROPOSED, to]},
            note=reason,
        )
        enqueue_on_commit(commendation_decided_notify, args=[locked.pk])
    return locked


def commendation_approve(*, commendation: Commendation, by: Any, reason: str = "") -> Commendation:
    return _decide(commendation, to=Commendation.Status.APPROVED, reason=(reason or "").strip(), by=by)


def commendation_decline(*, commendation: Commendation, reason: str, by: Any) -> Commendation:
    reason = (reason or "").strip()
    if not reason:
        raise CommendationError(_("Give the reason for declining."))
    return _decide(commendation, to=Commendation.Status.DECLINED, reason=reason, by=by)
