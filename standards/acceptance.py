"""Year-end acceptance: rounds, teams and assignments; inspections answered item by item and signed;
rectification and re-inspection; public notice and objections; and who meets the standard as of a date.

Every write locks what it changes, checks the state, writes and audits in one transaction. A signed inspection
never changes: the services refuse, and the database refuses too (migration 0005).

A round is open through its `closes_on` day in Asia/Shanghai. After it, the round refuses work: no team, assignment,
inspection, answer, photo or signature, and no step on the rectifications its inspections found, until the
commission extends it (`round_extend`). Objections are not refused: the public notice may run past the round's end.
Each of those services takes `today` (default: today in Asia/Shanghai), so that records made later on behalf of
an earlier day (paper records, demo data) are judged against the day they happened.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from districts.audit import actor, audit_entry, audit_record
from districts.models import AuditEntry, Community
from greencommunity.people import person_name

from .evidence import evidence_add
from .models import (
    AcceptanceRound,
    Assignment,
    Evidence,
    Inspection,
    InspectionAnswer,
    InspectionTeam,
    Objection,
    Rectification,
    Refinement,
    Revocation,
    RoundExtension,
    StandardItem,
    StandardVersion,
)
from .signals import inspection_signed, objection_decided


class AcceptanceError(Exception):
    """The step is not allowed now; the message is for the user."""


class RoundClosed(AcceptanceError):
    """The round's end date has passed and the commission has not extended it."""


def round_closed_message(round_: AcceptanceRound) -> str:
    return _("This round of acceptance ended on %(date)s.") % {"date": date_format(round_.closes_on)}


def _require_round_open(round_: AcceptanceRound, today: datetime.date | None) -> None:
    if round_.is_closed_on(today or timezone.localdate()):
        raise RoundClosed(round_closed_message(round_))


# --- rounds, teams, assignments -------------------------------------------------------------------------------


def round_create(
    *,
    name: str,
    year: int,
    opens_on: datetime.date,
    closes_on: datetime.date,
    by: Any,
    notice_days: int = 0,
    rectification_days: int = 30,
    standard: StandardVersion | None = None,
) -> AcceptanceRound:
    """A round; without a standard it inspects against the oldest (the 2020 standard), as every round before
    campaigns had their own."""
    if closes_on < opens_on:
        raise AcceptanceError(_("A round must close on or after the day it opens."))
    with transaction.atomic():
        round_ = AcceptanceRound.objects.create(
            name=name.strip(),
            year=year,
            opens_on=opens_on,
            closes_on=closes_on,
            notice_days=notice_days,
            rectification_days=rectification_days,
            created_by=actor(by),
            **({"standard": standard} if standard is not None else {}),
        )
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            obj=round_,
            changes={"opens_on": [None, opens_on.isoformat()], "notice_days": [None, notice_days]},
        )
    return round_


def round_extend(
    *, round: AcceptanceRound, closes_on: datetime.date, reason: str, by: Any, today: datetime.date | None = None
) -> RoundExtension:
    """Move the round's end date later, with the reason, so it takes work again (or for longer) until then."""
    reason = (reason or "").strip()
    if not reason:
        raise AcceptanceError(_("Give the reason for extending the round."))
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = AcceptanceRound.objects.select_for_update().get(pk=round.pk)
        previous = locked.closes_on
        if closes_on <= previous:
            raise AcceptanceError(
                _("The new end date must be later than the current one, %(date)s.") % {"date": date_format(previous)}
            )
        if closes_on < today:
            raise AcceptanceError(
                _("The new end date %(date)s has already passed; choose today or a later day.")
                % {"date": date_format(closes_on)}
            )
        extension = RoundExtension.objects.create(
            round=locked, previous_closes_on=previous, closes_on=closes_on, reason=reason[:2000], extended_by=actor(by)
        )
        locked.closes_on = closes_on
        locked.save(update_fields=["closes_on"])
        audit_record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            changes={"closes_on": [previous.isoformat(), closes_on.isoformat()]},
            note=reason[:500],
        )
    round.closes_on = closes_on
    return extension


def team_create(
    *, round: AcceptanceRound, name: str, members: Iterable[Any], by: Any, today: datetime.date | None = None
) -> InspectionTeam:
    members = list(members)
    if not members:
        raise AcceptanceError(_("A team needs at least one member."))
    with transaction.atomic():
        _require_round_open(AcceptanceRound.objects.get(pk=round.pk), today)
        team, _created = InspectionTeam.objects.get_or_create(round=round, name=name.strip())
        team.members.add(*members)
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE if _created else AuditEntry.Action.UPDATE,
            obj=team,
            changes={"members": [None, "、".join(sorted(person_name(m) for m in members))]},
        )
    return team


def assignments_create(
    *,
    round: AcceptanceRound,
    communities: Sequence[Community],
    team: InspectionTeam,
    by: Any,
    kind: str = Assignment.Kind.FIRST,
    today: datetime.date | None = None,
) -> list[Assignment]:
    """Assign communities to a team in bulk; all or nothing. A community is assigned once per round and kind,
    except that a re-inspection may follow each requested rectification."""
    if team.round_id != round.pk:
        raise AcceptanceError(_("That team belongs to another round."))
    if not communities:
        raise AcceptanceError(_("Choose at least one community."))
    ids = [c.pk for c in communities]
    with transaction.atomic():
        _require_round_open(AcceptanceRound.objects.get(pk=round.pk), today)
        locked = list(Community.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        open_assignment = Assignment.objects.filter(
            round=round, community_id__in=ids, cancelled_at__isnull=True
        ).exclude(inspections__status=Inspection.Status.SIGNED)
        busy = sorted(set(open_assignment.values_list("community__name", flat=True)))
        if busy:
            raise AcceptanceError(_("Already assigned and not yet inspected: %(names)s.") % {"names": "、".join(busy)})
        if kind == Assignment.Kind.FIRST:
            from .recheck import recheck_unselected

            unselected = set(recheck_unselected(round=round, community_ids=ids))
            if unselected:
                raise AcceptanceError(
                    _("Not selected for this re-check: %(names)s.")
                    % {"names": "、".join(sorted(c.name for c in locked if c.pk in unselected))}
                )
            done = sorted(
                set(
                    Assignment.objects.filter(
                        round=round, community_id__in=ids, kind=Assignment.Kind.FIRST, cancelled_at__isnull=True
                    ).values_list("community__name", flat=True)
                )
            )
            if done:
                raise AcceptanceError(
                    _("Already inspected in this round: %(names)s. Assign a re-inspection instead.")
                    % {"names": "、".join(done)}
                )
        else:
            requested = set(
                Rectification.objects.filter(
                    community_id__in=ids, status=Rectification.Status.REINSPECTION_REQUESTED
                ).values_list("community_id", flat=True)
            )
            missing = sorted(c.name for c in locked if c.pk not in requested)
            if missing:
                raise AcceptanceError(
                    _("No re-inspection has been requested for: %(names)s.") % {"names": "、".join(missing)}
                )
        created = Assignment.objects.bulk_create(
            [
                Assignment(
                    round=round, community=c, district_id=c.district_id, team=team, kind=kind, assigned_by=actor(by)
                )
                for c in locked
            ]
        )
        AuditEntry.objects.bulk_create(
            [
                audit_entry(
                    actor=by,
                    action=AuditEntry.Action.CREATE,
                    obj=a,
                    district_id=a.district_id,
                    changes={"team": [None, team.name], "kind": [None, kind]},
                )
                for a in created
            ]
        )
    return created


# --- inspecting -----------------------------------------------------------------------------------------------


def inspection_start(*, assignment: Assignment, by: Any, today: datetime.date | None = None) -> Inspection:
    """The assignment's open inspection, started if there is none. Idempotent (a retry is safe)."""
    if assignment.cancelled_at is not None:
        raise AcceptanceError(_("This assignment was cancelled."))
    with transaction.atomic():
        locked = Assignment.objects.select_for_update(of=("self",)).select_related("round").get(pk=assignment.pk)
        _require_round_open(locked.round, today)
        inspection = assignment.inspections.filter(status=Inspection.Status.OPEN).first()
        if inspection is not None:
            return inspection
        if assignment.inspections.filter(status=Inspection.Status.SIGNED).exists():
            raise AcceptanceError(
                _("This assignment has been inspected and signed; a correction needs a new assignment.")
            )
        inspection = Inspection.objects.create(
            assignment=assignment,
            round_id=assignment.round_id,
            community_id=assignment.community_id,
            district_id=assignment.district_id,
            started_by=actor(by),
        )
        audit_record(
            actor=by, action=AuditEntry.Action.CREATE, obj=inspection, district_id=inspection.district_id, changes={}
        )
    return inspection


def _require_open(inspection: Inspection) -> None:
    if inspection.status == Inspection.Status.SIGNED:
        raise AcceptanceError(
            _("This inspection is signed and can no longer be changed; a correction is a new inspection.")
        )


SUB_CHECKS_MAX = 50


def _sub_checks_clean(sub_checks: Mapping[str, str], *, item: StandardItem, district_id: int) -> dict[str, str] | None:
    """The sub-indicator checks sent with an item: each one of the district's sub-indicators of this item that is
    approved now, met or not met; "" means not checked and is left out. None when nothing was checked."""
    chosen = {str(key): value for key, value in sub_checks.items() if value}
    if len(chosen) > SUB_CHECKS_MAX:
        raise AcceptanceError(_("Item %(number)d: too many sub-indicators.") % {"number": item.number})
    if any(value not in InspectionAnswer.SubCheck.values for value in chosen.values()):
        raise AcceptanceError(
            _("Item %(number)d: mark each sub-indicator met, not met or not checked.") % {"number": item.number}
        )
    if chosen:
        in_force = {
            str(pk)
            for pk in Refinement.objects.approved()
            .filter(district_id=district_id, item=item)
            .values_list("pk", flat=True)
        }
        if not set(chosen) <= in_force:
            raise AcceptanceError(
                _(
                    "Item %(number)d: a sub-indicator on this page is not, or no longer, one of the district's "
                    "approved sub-indicators of this item. Reload the page."
                )
                % {"number": item.number}
            )
    return dict(sorted(chosen.items(), key=lambda kv: int(kv[0]))) or None


def answer_save(
    *,
    inspection: Inspection,
    item_number: int,
    result: str,
    note: str,
    by: Any,
    sub_checks: Mapping[str, str] | None = None,
    today: datetime.date | None = None,
) -> InspectionAnswer:
    """Save one item's finding (insert or replace), with the district's sub-indicators checked alongside it, which
    never change the item's result. Safe to repeat: the same answer sent twice is one row."""
    note = (note or "").strip()
    if result not in InspectionAnswer.Result.values:
        raise AcceptanceError(_("Choose meets, does not meet or not applicable."))
    item = StandardItem.objects.filter(version_id=inspection.round.standard_id, number=item_number).first()
    if item is None:
        raise AcceptanceError(_("There is no item %(number)s.") % {"number": item_number})
    if result == InspectionAnswer.Result.NOT_APPLICABLE and not item.allows_not_applicable:
        raise AcceptanceError(_("Item %(number)d cannot be marked not applicable.") % {"number": item.number})
    if result == InspectionAnswer.Result.FAILS and not note:
        raise AcceptanceError(
            _("Item %(number)d: say what is missing when it does not meet.") % {"number": item.number}
        )
    if len(note) > 2000:
        raise AcceptanceError(_("The note is longer than 2000 characters."))
    checks = _sub_checks_clean(sub_checks or {}, item=item, district_id=inspection.district_id)
    with transaction.atomic():
        locked = Inspection.objects.select_for_update(of=("self",)).select_related("round").get(pk=inspection.pk)
        _require_open(locked)
        _require_round_open(locked.round, today)
        answer = InspectionAnswer.objects.filter(inspection=locked, item=item).first()
        before: list[Any] = [answer.result, answer.note, answer.sub_checks] if answer else [None, None, None]
        if answer is None:
            answer = InspectionAnswer(inspection=locked, item=item)
        if before == [result, note, checks]:
            return answer
        answer.result, answer.note, answer.sub_checks, answer.answered_by = result, note, checks, actor(by)
        answer.save()
        changes: dict[str, list[Any]] = {f"item {item.number}": [before[0], result]}
        if before[2] != checks:
            changes[f"item {item.number} sub-indicators"] = [before[2], checks]
        audit_record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            district_id=locked.district_id,
            changes=changes,
            note=note[:500],
        )
    return answer


def inspection_photo_add(
    *, inspection: Inspection, item: StandardItem, upload: Any, by: Any, today: datetime.date | None = None
) -> Evidence:
    """A photo the inspector takes of one item. The inspection stays locked until the file is recorded, so a
    signature cannot slip in between the check and the upload. Raises EvidenceError for a file it refuses."""
    with transaction.atomic():
        locked = (
            Inspection.objects.select_for_update(of=("self",))
            .select_related("round", "district", "community")
            .get(pk=inspection.pk)
        )
        _require_open(locked)
        _require_round_open(locked.round, today)
        return evidence_add(
            upload=upload, by=by, district=locked.district, community=locked.community, item=item, owner=locked
        )


def inspection_sign(
    *,
    inspection: Inspection,
    by: Any,
    summary: str = "",
    signed_at: datetime.datetime | None = None,
    today: datetime.date | None = None,
) -> Inspection:
    """Sign: every item of the round's standard answered; the record becomes immutable; failed items become rectifications.

    `signed_at` records a paper inspection signed earlier (entered afterwards) and dates demo data; it defaults to
    now and may not lie in the future. The round must have been open on the day of the signature.
    """
    with transaction.atomic():
        locked = Inspection.objects.select_for_update(of=("self",)).select_related("round").get(pk=inspection.pk)
        _require_open(locked)
        _require_round_open(locked.round, today or timezone.localdate(signed_at or timezone.now()))
        answers = list(locked.answers.select_related("item"))
        missing = sorted(set(locked.round.standard.item_numbers) - {a.item.number for a in answers})
        if missing:
            raise AcceptanceError(
                _("Answer every item before signing; still open: %(items)s.") % {"items": "、".join(map(str, missing))}
            )
        failed = [a for a in answers if a.result == InspectionAnswer.Result.FAILS]
        now = timezone.now()
        if signed_at is not None:
            if signed_at > now:
                raise AcceptanceError(_("A signature cannot be dated in the future."))
            now = signed_at
        today = timezone.localdate(now)
        locked.passed = not failed
        locked.signed_at, locked.signed_on, locked.signed_by = now, today, actor(by)
        locked.notice_ends_on = today + datetime.timedelta(days=locked.round.notice_days if locked.passed else 0)
        locked.summary = summary.strip()[:5000]
        locked.status = Inspection.Status.SIGNED
        locked.save()
        due = today + datetime.timedelta(days=locked.round.rectification_days)
        Rectification.objects.bulk_create(
            [
                Rectification(
                    inspection=locked,
                    item=a.item,
                    community_id=locked.community_id,
                    district_id=locked.district_id,
                    finding=a.note,
                    due_on=due,
                )
                for a in failed
            ]
        )
        # A re-inspection settles the rectifications that asked for it, whatever it finds.
        Rectification.objects.filter(
            community_id=locked.community_id, status=Rectification.Status.REINSPECTION_REQUESTED
        ).exclude(inspection=locked).update(status=Rectification.Status.CLOSED, closed_by_inspection=locked)
        audit_record(
            actor=by,
            action=AuditEntry.Action.TRANSITION,
            obj=locked,
            district_id=locked.district_id,
            changes={"status": ["open", "signed"], "passed": [None, locked.passed]},
            note=locked.summary,
        )
        if locked.round.is_recheck:
            from .recheck import recheck_failed_again

            recheck_failed_again(inspection=locked, by=by)
        inspection_signed.send(sender=Inspection, inspection=locked)
    return locked


# --- rectification --------------------------------------------------------------------------------------------


def rectification_done(
    *, rectification: Rectification, note: str, by: Any, today: datetime.date | None = None
) -> Rectification:
    """Mark a failed item as put right. Part of the round that found it: refused once that round has ended."""
    note = (note or "").strip()
    if not note:
        raise AcceptanceError(_("Say what was done to put it right."))
    with transaction.atomic():
        locked = (
            Rectification.objects.select_for_update(of=("self",))
            .select_related("inspection__round")
            .get(pk=rectification.pk)
        )
        _require_round_open(locked.inspection.round, today)
        if locked.status not in (Rectification.Status.OPEN, Rectification.Status.DONE):
            raise AcceptanceError(_("This item is already waiting for re-inspection or closed."))
        locked.status, locked.done_note, locked.done_at, locked.done_by = (
            Rectification.Status.DONE,
            note[:2000],
            timezone.now(),
            actor(by),
        )
        locked.save()
        audit_record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            district_id=locked.district_id,
            changes={"status": ["open", "done"]},
            note=note[:500],
        )
    return locked


def reinspection_request(*, community: Community, by: Any, today: datetime.date | None = None) -> int:
    """Ask for a re-inspection once every open rectification of the community is done. Returns how many items.
    The re-inspection belongs to the round that found the failures, so that round must still be open."""
    with transaction.atomic():
        items = list(
            Rectification.objects.select_for_update(of=("self",))
            .filter(community=community, status__in=[Rectification.Status.OPEN, Rectification.Status.DONE])
            .select_related("item", "inspection__round")
        )
        if not items:
            raise AcceptanceError(_("There is nothing to rectify for this community."))
        for rectification in items:
            _require_round_open(rectification.inspection.round, today)
        still_open = sorted(str(r.item.number) for r in items if r.status == Rectification.Status.OPEN)
        if still_open:
            raise AcceptanceError(
                _("Rectify every item first; still open: %(items)s.") % {"items": "、".join(still_open)}
            )
        now = timezone.now()
        Rectification.objects.filter(pk__in=[r.pk for r in items]).update(
            status=Rectification.Status.REINSPECTION_REQUESTED, requested_at=now
        )
        audit_record(
            actor=by,
            action=AuditEntry.Action.TRANSITION,
            obj=community,
            district_id=community.district_id,
            changes={"rectification": ["done", "requested"]},
            note=_("re-inspection requested"),
        )
    return len(items)


# --- public notice and objections -----------------------------------------------------------------------------


def objection_record(
    *, inspection: Inspection, received_on: datetime.date, text: str, by: Any, raised_by: str = ""
) -> Objection:
    text = (text or "").strip()
    if not text:
        raise AcceptanceError(_("Write down the objection."))
    if not (inspection.is_signed and inspection.passed):
        raise AcceptanceError(_("Only a passing, signed inspection is under public notice."))
    assert inspection.signed_on is not None and inspection.notice_ends_on is not None  # both set when signed
    if not inspection.signed_on <= received_on <= inspection.notice_ends_on:
        raise AcceptanceError(
            _("The notice ran from %(start)s to %(end)s; an objection must be received within it.")
            % {"start": inspection.signed_on, "end": inspection.notice_ends_on}
        )
    with transaction.atomic():
        objection = Objection.objects.create(
            inspection=inspection,
            received_on=received_on,
            text=text[:5000],
            raised_by=raised_by[:100],
            recorded_by=actor(by),
        )
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            obj=objection,
            district_id=inspection.district_id,
            changes={"received_on": [None, received_on.isoformat()]},
            note=text[:500],
        )
    return objection


def objection_decide(*, objection: Objection, decision: str, note: str, by: Any) -> Objection:
    if decision not in (Objection.Decision.UPHELD, Objection.Decision.DISMISSED):
        raise AcceptanceError(_("Decide to uphold or dismiss the objection."))
    note = (note or "").strip()
    if not note:
        raise AcceptanceError(_("Give the reason for the decision."))
    with transaction.atomic():
        locked = Objection.objects.select_for_update().select_related("inspection").get(pk=objection.pk)
        if locked.decision != Objection.Decision.PENDING:
            raise AcceptanceError(_("This objection has already been decided."))
        locked.decision, locked.decision_note, locked.decided_at, locked.decided_by = (
            decision,
            note[:5000],
            timezone.now(),
            actor(by),
        )
        locked.save()
        audit_record(
            actor=by,
            action=AuditEntry.Action.TRANSITION,
            obj=locked,
            district_id=locked.inspection.district_id,
            changes={"decision": ["pending", decision]},
            note=note[:500],
        )
        objection_decided.send(sender=Objection, objection=locked)
    return locked


# --- who meets the standard -----------------------------------------------------------------------------------


def latest_signed(on: datetime.date) -> QuerySet[Inspection]:
    """Each community's latest acceptance inspection signed on or before `on` (one row per community): the signed
    ones with no later signed one of the same community (in signing order, the id breaking a tie). A re-check's
    inspections are not among them: a failed re-check leads to rectification, and only a revocation unmeets.

    Written as NOT EXISTS rather than "the id of the first of the community's inspections, newest first": the
    planner reads that as an anti-join it can size, where it took the correlated subquery for a filter keeping one
    row in 200 and, with a national roster's 60,000 inspections, chose nested loops that cost seconds."""
    signed = Inspection.objects.filter(
        status=Inspection.Status.SIGNED, signed_on__lte=on, round__kind=AcceptanceRound.Kind.ACCEPTANCE
    )
    later = signed.filter(community=OuterRef("community")).filter(
        Q(signed_at__gt=OuterRef("signed_at")) | Q(signed_at=OuterRef("signed_at"), pk__gt=OuterRef("pk"))
    )
    return signed.filter(~Exists(later))


def met_inspections(on: datetime.date) -> QuerySet[Inspection]:
    """The latest signed inspections that make their community meet the standard as of `on`.

    Passed, its notice (if any) over, no objection raised by then that is upheld or still undecided, and no
    revocation in force: one dated after the inspection's signing day and on or before `on` (an acceptance signed on
    or after a revocation's day is a re-acceptance).
    """
    blocking = Objection.objects.filter(inspection=OuterRef("pk"), received_on__lte=on).filter(
        Q(decision=Objection.Decision.UPHELD) | Q(decision=Objection.Decision.PENDING) | Q(decided_at__date__gt=on)
    )
    revoked = Revocation.objects.filter(
        community=OuterRef("community"), revoked_on__gt=OuterRef("signed_on"), revoked_on__lte=on
    )
    return (
        latest_signed(on).filter(passed=True, notice_ends_on__lte=on).filter(~Exists(blocking)).filter(~Exists(revoked))
    )


def met_communities(on: datetime.date) -> QuerySet[Community]:
    return Community.objects.filter(Exists(met_inspections(on).filter(community=OuterRef("pk"))))
