"""Standing management (长效管理): re-check rounds (复查) drawn at random from the communities that met, and
revocation of the title (摘牌).

A re-check round is an `AcceptanceRound` of kind recheck. Its communities are drawn per district from those that
met on its opening day, with a seed stored on the round: `recheck_draw` is a pure function of the seed, the quotas
and the candidates, so anyone can repeat the draw and get the same list. The commission may add communities by
name. Teams inspect them with the same assignments, checklist and signature as an acceptance.

A failed re-check does not by itself change who meets the standard: it opens rectifications with the round's
deadline. A rectification not put right and sent for re-inspection by its deadline revokes the title from the day
after the deadline (`revocations_due`, daily); a failed re-inspection revokes it from the day after its signature.
The commission may also revoke by hand, with a reason. A revoked community meets again once an acceptance
inspection signed on or after the revocation's day passes (re-acceptance).
"""

from __future__ import annotations

import datetime
import math
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from districts.audit import actor, audit_record
from districts.models import AuditEntry, Community, District

from .acceptance import AcceptanceError, met_communities, met_inspections
from .models import (
    AcceptanceRound,
    Assignment,
    Inspection,
    RecheckQuota,
    RecheckSelection,
    Rectification,
    Revocation,
    StandardVersion,
)
from .selectors import current_standard_id
from .signals import title_revoked

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Quota:
    """A district's quota in a draw: a share in percent, or a number (exactly one of them)."""

    share: Decimal | None = None
    number: int | None = None

    def size(self, candidates: int) -> int:
        """How many to draw from `candidates`: a share rounds up (a district with any community that met has at
        least one re-checked when its share is above 0); never more than there are."""
        wanted = math.ceil(self.share * candidates / 100) if self.share is not None else self.number or 0
        return max(0, min(wanted, candidates))


def recheck_candidates(*, on: datetime.date, district_ids: Sequence[int]) -> dict[int, list[str]]:
    """Per district, the codes of its communities that met on `on`, in code order: the population a draw samples."""
    rows = (
        met_communities(on)
        .filter(district_id__in=district_ids)
        .order_by("district_id", "code")
        .values_list("district_id", "code")
    )
    codes: dict[int, list[str]] = {district_id: [] for district_id in district_ids}
    for district_id, code in rows:
        codes[district_id].append(code)
    return codes


def recheck_draw(
    *, seed: str, quotas: Mapping[str, Quota], candidates: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """The draw: per district code, the community codes drawn, in code order.

    Each district draws with its own generator seeded by the round's seed and the district's code, so a district's
    list depends only on the seed, its quota and its own candidates (sorted by code).
    """
    drawn: dict[str, list[str]] = {}
    for district_code in sorted(quotas):
        population = sorted(candidates.get(district_code, []))
        size = quotas[district_code].size(len(population))
        generator = random.Random(f"{seed}:{district_code}")  # noqa: S311 — a public, repeatable draw, not a secret
        drawn[district_code] = sorted(generator.sample(population, size))
    return drawn


def recheck_round_open(
    *,
    name: str,
    year: int,
    opens_on: datetime.date,
    closes_on: datetime.date,
    quotas: Mapping[District, Quota],
    by: Any,
    named: Sequence[Community] = (),
    rectification_days: int = 30,
    seed: str | None = None,
    standard: StandardVersion | None = None,
) -> AcceptanceRound:
    """Open a re-check round: store the seed and quotas, draw from the communities that met on `opens_on`, add the
    named ones (they must have met then too). All or nothing. The round inspects against `standard`, by default the
    standard in force (the current campaign's)."""
    name = (name or "").strip()
    if not name:
        raise AcceptanceError(_("Give the round a name."))
    if closes_on < opens_on:
        raise AcceptanceError(_("A round must close on or after the day it opens."))
    if not 1 <= rectification_days <= 365:
        raise AcceptanceError(_("Allow between 1 and 365 days for rectification."))
    if not quotas and not named:
        raise AcceptanceError(_("Set a share or a number for at least one district, or add communities by name."))
    for district, quota in quotas.items():
        if (quota.share is None) == (quota.number is None):
            raise AcceptanceError(_("%(district)s: give either a share or a number.") % {"district": district.name})
        if quota.share is not None and not Decimal(0) <= quota.share <= Decimal(100):
            raise AcceptanceError(
                _("%(district)s: a share is between 0 and 100 percent.") % {"district": district.name}
            )
        if quota.number is not None and quota.number < 0:
            raise AcceptanceError(_("%(district)s: a number cannot be negative.") % {"district": district.name})
    seed = seed or secrets.token_hex(8)
    standard_id = standard.pk if standard is not None else current_standard_id()
    with transaction.atomic():
        candidates = recheck_candidates(on=opens_on, district_ids=[d.pk for d in quotas])
        met_now = set(met_communities(opens_on).filter(pk__in=[c.pk for c in named]).values_list("pk", flat=True))
        not_met = sorted(c.name for c in named if c.pk not in met_now)
        if not_met:
            raise AcceptanceError(
                _("Only communities that met the standard on %(date)s can be re-checked: %(names)s.")
                % {"date": date_format(opens_on), "names": "、".join(not_met)}
            )
        round_ = AcceptanceRound.objects.create(
            name=name[:100],
            year=year,
            kind=AcceptanceRound.Kind.RECHECK,
            draw_seed=seed,
            opens_on=opens_on,
            closes_on=closes_on,
            rectification_days=rectification_days,
            created_by=actor(by),
            **({"standard_id": standard_id} if standard_id is not None else {}),
        )
        RecheckQuota.objects.bulk_create(
            [
                RecheckQuota(
                    round=round_,
                    district=district,
                    share=quota.share,
                    number=quota.number,
                    candidates=len(candidates[district.pk]),
                )
                for district, quota in quotas.items()
            ]
        )
        drawn = recheck_draw(
            seed=seed,
            quotas={d.code: q for d, q in quotas.items()},
            candidates={d.code: candidates[d.pk] for d in quotas},
        )
        drawn_codes = {code for codes in drawn.values() for code in codes}
        communities = Community.objects.filter(code__in=drawn_codes)
        selections = [
            RecheckSelection(round=round_, community=c, district_id=c.district_id, reason=RecheckSelection.Reason.DRAWN)
            for c in communities
        ]
        selections += [
            RecheckSelection(round=round_, community=c, district_id=c.district_id, reason=RecheckSelection.Reason.NAMED)
            for c in {c.pk: c for c in named}.values()
            if c.code not in drawn_codes
        ]
        RecheckSelection.objects.bulk_create(selections)
        audit_record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            obj=round_,
            changes={
                "kind": [None, AcceptanceRound.Kind.RECHECK],
                "draw_seed": [None, seed],
                "selected": [None, len(selections)],
            },
        )
    return round_


def recheck_redraw(round_: AcceptanceRound) -> dict[str, list[str]]:
    """Repeat a round's draw from what it stored (seed and quotas) over the communities that met on its opening
    day, as anyone may to see that the list was not picked by hand."""
    quotas = list(round_.quotas.select_related("district"))
    candidates = recheck_candidates(on=round_.opens_on, district_ids=[q.district_id for q in quotas])
    return recheck_draw(
        seed=round_.draw_seed,
        quotas={q.district.code: Quota(share=q.share, number=q.number) for q in quotas},
        candidates={q.district.code: candidates[q.district_id] for q in quotas},
    )


def recheck_unselected(*, round: AcceptanceRound, community_ids: Sequence[int]) -> list[int]:
    """Of `community_ids`, those a re-check round may not assign: the ones it did not select."""
    if not round.is_recheck:
        return []
    selected = set(
        RecheckSelection.objects.filter(round=round, community_id__in=community_ids).values_list(
            "community_id", flat=True
        )
    )
    return [pk for pk in community_ids if pk not in selected]


# --- revocation ---------------------------------------------------------------------------------------------------


def _revoke(
    *,
    community: Community,
    revoked_on: datetime.date,
    cause: str,
    reason: str,
    by: Any,
    inspection: Inspection | None = None,
) -> Revocation | None:
    """Record a revocation, if the community still held the title the day before `revoked_on`; inside the caller's
    transaction, with the community locked. Returns None when there was nothing to revoke."""
    Community.objects.select_for_update().filter(pk=community.pk).first()
    if not met_inspections(revoked_on - ONE_DAY).filter(community_id=community.pk).exists():
        return None
    if Revocation.objects.filter(community_id=community.pk, revoked_on=revoked_on).exists():
        return None
    revocation = Revocation.objects.create(
        community=community,
        district_id=community.district_id,
        revoked_on=revoked_on,
        cause=cause,
        reason=reason[:2000],
        inspection=inspection,
        revoked_by=actor(by),
    )
    audit_record(
        actor=by,
        action=AuditEntry.Action.CREATE,
        obj=revocation,
        district_id=community.district_id,
        changes={"revoked_on": [None, revoked_on.isoformat()], "cause": [None, cause]},
        note=reason[:500],
    )
    title_revoked.send(sender=Revocation, revocation=revocation)
    return revocation


def revocation_create(
    *, community: Community, revoked_on: datetime.date, reason: str, by: Any, today: datetime.date | None = None
) -> Revocation:
    """The commission revokes a community's title by hand from a date, with the reason."""
    reason = (reason or "").strip()
    today = today or timezone.localdate()
    if not reason:
        raise AcceptanceError(_("Give the reason for revoking the title."))
    if revoked_on > today:
        raise AcceptanceError(_("A title is revoked from today or an earlier day, not a future one."))
    with transaction.atomic():
        revocation = _revoke(
            community=community, revoked_on=revoked_on, cause=Revocation.Cause.BY_HAND, reason=reason, by=by
        )
        if revocation is None:
            raise AcceptanceError(
                _("%(name)s did not hold the title on %(date)s; there is nothing to revoke.")
                % {"name": community.name, "date": date_format(revoked_on - ONE_DAY)}
            )
    return revocation


def recheck_failed_again(*, inspection: Inspection, by: Any) -> Revocation | None:
    """After a re-check re-inspection is signed (inside `inspection_sign`'s transaction): if it failed, the
    community failed twice in the round and loses the title from the day after the signature."""
    if inspection.passed or inspection.assignment.kind != Assignment.Kind.REINSPECTION:
        return None
    assert inspection.signed_on is not None  # signed by the caller
    return _revoke(
        community=inspection.community,
        revoked_on=inspection.signed_on + ONE_DAY,
        cause=Revocation.Cause.FAILED_AGAIN,
        reason=_("Failed the re-inspection after rectification in %(round)s.") % {"round": inspection.round.name},
        by=by,
        inspection=inspection,
    )


def revocations_due(*, today: datetime.date | None = None, by: Any = None) -> list[Revocation]:
    """Revoke the title of every community with a re-check rectification whose deadline passed before `today`
    without the item being put right and sent for re-inspection: from the day after its earliest such deadline.
    Safe to run twice (a community already revoked no longer holds the title)."""
    today = today or timezone.localdate()
    overdue = (
        Rectification.objects.filter(
            inspection__round__kind=AcceptanceRound.Kind.RECHECK,
            status__in=[Rectification.Status.OPEN, Rectification.Status.DONE],
            due_on__lt=today,
        )
        .select_related("community", "inspection__round")
        .order_by("community_id", "due_on", "pk")
    )
    first: dict[int, Rectification] = {}
    for rectification in overdue:
        first.setdefault(rectification.community_id, rectification)
    revoked = []
    for rectification in first.values():
        with transaction.atomic():
            revocation = _revoke(
                community=rectification.community,
                revoked_on=rectification.due_on + ONE_DAY,
                cause=Revocation.Cause.MISSED_DEADLINE,
                reason=_("Rectification after %(round)s was not completed by %(date)s.")
                % {"round": rectification.inspection.round.name, "date": date_format(rectification.due_on)},
                by=by,
                inspection=rectification.inspection,
            )
        if revocation is not None:
            revoked.append(revocation)
    return revoked


# --- figures ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandingFigures:
    """Standing management (长效管理) in a year, as of a date: communities re-checked, by their latest re-check's
    result; those with re-check rectifications still open; titles revoked in the year; and, whatever the year, titles
    revoked and not re-accepted by the date (摘牌未恢复)."""

    year: int
    rechecked: int
    passed: int
    failed: int
    rectifying: int
    revoked: int
    revoked_standing: int


def _standing_counts(on: datetime.date) -> tuple[Q, dict[str, Any]]:
    """What the figures count, as conditions on communities: (the communities that can count at all, the counts)."""
    year = on.year
    signed = Inspection.objects.filter(
        status=Inspection.Status.SIGNED,
        round__kind=AcceptanceRound.Kind.RECHECK,
        signed_on__year=year,
        signed_on__lte=on,
    )
    newest = signed.filter(community=OuterRef("community")).order_by("-signed_at", "-pk").values("pk")[:1]
    latest = signed.filter(community=OuterRef("pk"), pk=Subquery(newest))
    # A community whose title has since been revoked is no longer rectifying: it is counted as revoked.
    revoked_since = Revocation.objects.filter(
        community=OuterRef("community"), revoked_on__gt=OuterRef("inspection__signed_on"), revoked_on__lte=on
    )
    rectifying = Rectification.objects.filter(
        ~Exists(revoked_since),
        community=OuterRef("pk"),
        inspection__in=signed,
        status__in=[
            Rectification.Status.OPEN,
            Rectification.Status.DONE,
            Rectification.Status.REINSPECTION_REQUESTED,
        ],
    )
    revoked = Revocation.objects.filter(community=OuterRef("pk"), revoked_on__year=year, revoked_on__lte=on)
    # Re-accepted: an acceptance inspection signed on or after the revocation's day, by `on`, passed (as `met`
    # reads a revocation). A community with one revocation not followed by such a pass has its latest one unfollowed.
    reaccepted = Inspection.objects.filter(
        community=OuterRef("community"),
        status=Inspection.Status.SIGNED,
        round__kind=AcceptanceRound.Kind.ACCEPTANCE,
        passed=True,
        signed_on__gte=OuterRef("revoked_on"),
        signed_on__lte=on,
    )
    revoked_by_then = Revocation.objects.filter(revoked_on__lte=on)
    standing = revoked_by_then.filter(~Exists(reaccepted), community=OuterRef("pk"))
    # Only the communities re-checked this year or ever revoked can count at all: the few the union names are
    # looked up by key. (Two IN conditions joined by OR made PostgreSQL walk a national roster's 105,540
    # communities to test each against both sets: 1.3 s, against 16 ms for the union.)
    involved = Q(
        pk__in=signed.order_by().values("community_id").union(revoked_by_then.order_by().values("community_id"))
    )
    return involved, {
        "rechecked": Count("pk", filter=Q(Exists(latest))),
        "passed": Count("pk", filter=Q(Exists(latest.filter(passed=True)))),
        "failed": Count("pk", filter=Q(Exists(latest.filter(passed=False)))),
        "rectifying": Count("pk", filter=Q(Exists(rectifying))),
        "revoked": Count("pk", filter=Q(Exists(revoked))),
        "revoked_standing": Count("pk", filter=Q(Exists(standing))),
    }


def standing_figures(*, on: datetime.date, district_id: int | None = None) -> StandingFigures:
    """The figures of `on`'s year up to `on`, for the city or one district: one query over the communities,
    whatever the size."""
    involved, counts = _standing_counts(on)
    communities = Community.objects.all() if district_id is None else Community.objects.filter(district_id=district_id)
    return StandingFigures(year=on.year, **communities.filter(involved).aggregate(**counts))


def standing_figures_by_district(*, on: datetime.date) -> dict[int, StandingFigures]:
    """The figures of `standing_figures` per district id, in one query; a district with nothing to count is absent
    (its figures are all 0)."""
    involved, counts = _standing_counts(on)
    rows = Community.objects.filter(involved).values("district_id").annotate(**counts).order_by()
    return {row.pop("district_id"): StandingFigures(year=on.year, **row) for row in rows}
