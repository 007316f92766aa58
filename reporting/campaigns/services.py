"""Opening a campaign and making it the current one. A campaign names its standard version; its phases,
milestones and deadlines come with it. Making it current is a separate, confirmed step."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from districts.audit import audit_record
from districts.models import AuditEntry
from reporting.models import Campaign, Deadline, Milestone, Phase
from standards.models import StandardVersion


class CampaignError(Exception):
    """The campaign cannot be opened or changed so; the message is for the user."""


@dataclass(frozen=True)
class PhaseSpec:
    name: str
    starts_on: datetime.date
    ends_on: datetime.date


@dataclass(frozen=True)
class MilestoneSpec:
    name: str
    kind: str
    due_on: datetime.date
    target_share: Decimal | None = None
    min_pilots_per_street: int | None = None


def campaign_open(
    *,
    name: str,
    issued_by: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    standard: StandardVersion,
    monthly_due_day: int,
    phases: Sequence[PhaseSpec] = (),
    milestones: Sequence[MilestoneSpec] = (),
    annual_due: tuple[int, int] | None = None,
    plan_due: datetime.date | None = None,
    by: Any,
) -> Campaign:
    """A new campaign, not yet current. Its months may not overlap another campaign's: a community's monthly
    self-assessment is one row a month, made against one campaign's standard."""
    name, issued_by = name.strip(), issued_by.strip()
    if not name or not issued_by:
        raise CampaignError(_("Give the campaign a name and its issuing body."))
    if ends_on <= starts_on:
        raise CampaignError(_("The campaign must end after it starts."))
    if not 1 <= monthly_due_day <= 28:
        raise CampaignError(_("The monthly report's due day is a day from 1 to 28 of the following month."))
    for phase in phases:
        if not (starts_on <= phase.starts_on <= phase.ends_on <= ends_on):
            raise CampaignError(
                _("The phase “%(name)s” must lie within the campaign's dates and end after it starts.")
                % {"name": phase.name}
            )
    if plan_due is not None and not starts_on <= plan_due <= ends_on:
        raise CampaignError(_("The districts' implementation plans must be due within the campaign."))
    for milestone in milestones:
        if not starts_on <= milestone.due_on <= ends_on:
            raise CampaignError(_("The milestone “%(name)s” must fall within the campaign.") % {"name": milestone.name})
    with transaction.atomic():
        # Two commissioners opening campaigns at once: the second waits and then sees the first's dates.
        list(Campaign.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        clash = Campaign.objects.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).first()
        if clash is not None:
            raise CampaignError(
                _("The dates overlap those of “%(name)s” (%(start)s to %(end)s); campaigns follow one another.")
                % {"name": clash.name, "start": date_format(clash.starts_on), "end": date_format(clash.ends_on)}
            )
        campaign = Campaign.objects.create(
            name=name, issued_by=issued_by, starts_on=starts_on, ends_on=ends_on, standard=standard
        )
        Phase.objects.bulk_create(
            Phase(campaign=campaign, name=p.name, starts_on=p.starts_on, ends_on=p.ends_on) for p in phases
        )
        Milestone.objects.bulk_create(
            Milestone(
                campaign=campaign,
                name=m.name,
                kind=m.kind,
                due_on=m.due_on,
                target_share=m.target_share,
                min_pilots_per_street=m.min_pilots_per_street,
            )
            for m in milestones
        )
        with translation.override(settings.LANGUAGE_CODE):  # stored names are the portal's language, not the reader's
            Deadline.objects.create(
                campaign=campaign,
                kind=Deadline.Kind.MONTHLY_REPORT,
                name=str(_("Monthly progress")),
                day=monthly_due_day,
            )
            if plan_due is not None:
                Deadline.objects.create(
                    campaign=campaign,
                    kind=Deadline.Kind.IMPLEMENTATION_PLAN,
                    name=str(_("District implementation plan")),
                    due_on=plan_due,
                )
            if annual_due is not None:
                Deadline.objects.create(
                    campaign=campaign,
                    kind=Deadline.Kind.ANNUAL_REPORT,
                    name=str(_("Annual work report and next year's plan")),
                    month=annual_due[0],
                    day=annual_due[1],
                )
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            obj=campaign,
            changes={"standard": [None, standard.name], "starts_on": [None, str(starts_on)]},
        )
    return campaign


def campaign_make_current(*, campaign: Campaign, by: Any) -> Campaign:
    """Make `campaign` the one every page shows by default (the others stay readable through the picker)."""
    with transaction.atomic():
        previous = Campaign.objects.select_for_update().filter(is_current=True).exclude(pk=campaign.pk).first()
        if previous is not None:
            Campaign.objects.filter(pk=previous.pk).update(is_current=False)
        updated = Campaign.objects.filter(pk=campaign.pk, is_current=False).update(is_current=True)
        if updated:
            audit_record(
                actor=by,
                action=AuditEntry.Action.UPDATE,
                obj=campaign,
                changes={"is_current": [False, True], "_previous": previous.name if previous else ""},
            )
    campaign.refresh_from_db()
    return campaign
