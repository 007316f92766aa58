"""Every write to the campaign's data: enrolment and withdrawal. Each locks, checks, writes and audits."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from districts.audit import actor, audit_entry, audit_record
from districts.models import AuditEntry, Community
from reporting.figures.rollups import rollup_on_commit
from reporting.models import Campaign, Enrolment
from standards.acceptance import met_inspections


class EnrolmentError(Exception):
    """The enrolment change is not allowed in the current state; the message is for the user."""


def enrolment_enrol(
    *, campaign: Campaign, communities: Sequence[Community], kind: str, joined_on: datetime.date, by: Any
) -> list[Enrolment]:
    if kind not in Enrolment.Kind.values:
        raise EnrolmentError(_("Unknown enrolment kind."))
    if joined_on < campaign.starts_on:
        raise EnrolmentError(
            _("The campaign starts on %(date)s; a community cannot join before that.") % {"date": campaign.starts_on}
        )
    if not communities:
        raise EnrolmentError(_("Choose at least one community."))
    with transaction.atomic():
        ids = [c.pk for c in communities]
        locked = list(Community.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        already = set(
            Enrolment.objects.filter(campaign=campaign, community_id__in=ids, withdrawn_on__isnull=True).values_list(
                "community__name", flat=True
            )
        )
        if already:
            raise EnrolmentError(_("Already enrolled: %(names)s.") % {"names": "、".join(sorted(already))})
        closed = [c.name for c in locked if not c.is_on_roster(joined_on)]
        if closed:
            raise EnrolmentError(_("Not on the roster on that date: %(names)s.") % {"names": "、".join(sorted(closed))})
        created = Enrolment.objects.bulk_create(
            [
                Enrolment(
                    campaign=campaign,
                    community=c,
                    kind=kind,
                    joined_on=joined_on,
                    created_by=actor(by),
                )
                for c in locked
            ]
        )
        AuditEntry.objects.bulk_create(
            [
                audit_entry(
                    actor=by,
                    action=AuditEntry.Action.CREATE,
                    obj=e,
                    district_id=e.community.district_id,
                    changes={"kind": [None, kind], "joined_on": [None, joined_on.isoformat()]},
                )
                for e in created
            ]
        )
        rollup_on_commit()
    return created


def enrolment_withdraw(*, enrolment: Enrolment, on: datetime.date, reason: str, by: Any) -> Enrolment:
    reason = reason.strip()
    if not reason:
        raise EnrolmentError(_("Give the reason for the withdrawal."))
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().select_related("community").get(pk=enrolment.pk)
        if locked.withdrawn_on is not None:
            raise EnrolmentError(_("This community has already withdrawn."))
        if on <= locked.joined_on:
            raise EnrolmentError(
                _("The withdrawal must come after the day the community joined (%(date)s).")
                % {"date": locked.joined_on}
            )
        # DESIGN "Met": a community that has met keeps the title until it is revoked or closed; it cannot leave.
        if any(
            met_inspections(day).filter(community_id=locked.community_id).exists() for day in (on, timezone.localdate())
        ):
            raise EnrolmentError(
                _(
                    "%(community)s has met the standard (达到创建要求) and cannot withdraw from the campaign. Its "
                    "title is removed only by revocation (摘牌): after a failed re-check, if the rectification is not "
                    "done by its deadline."
                )
                % {"community": locked.community.name}
            )
        locked.withdrawn_on = on
        locked.withdrawal_reason = reason
        locked.save(update_fields=["withdrawn_on", "withdrawal_reason"])
        audit_record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            district_id=locked.community.district_id,
            changes={"withdrawn_on": [None, on.isoformat()]},
            note=reason,
        )
        rollup_on_commit()
    return locked
