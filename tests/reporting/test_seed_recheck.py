"""The demo's standing management (seed_demo's re-check rounds) on a small world: eight accepted communities."""

from __future__ import annotations

import datetime

import pytest

from reporting.management.commands._seed_recheck import REACCEPTANCE, seed_rechecks
from standards.acceptance import met_communities
from standards.models import AcceptanceRound, Inspection, RecheckSelection, Rectification, Revocation
from standards.recheck import recheck_redraw
from tests.standards.test_recheck import accept_world

pytestmark = pytest.mark.django_db
D = datetime.date


def _stored(round_: AcceptanceRound) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {q.district.code: [] for q in round_.quotas.select_related("district")}
    for selection in round_.selections.filter(reason=RecheckSelection.Reason.DRAWN).select_related(
        "district", "community"
    ):
        lists[selection.district.code].append(selection.community.code)
    return {code: sorted(codes) for code, codes in lists.items()}


def test_seed_rechecks_gives_four_reproducible_rounds_a_revocation_and_a_reacceptance(commission_admin, inspector):
    accept_world(commission_admin, inspector)

    summary = seed_rechecks()

    rounds = list(AcceptanceRound.objects.filter(kind=AcceptanceRound.Kind.RECHECK).order_by("year"))
    assert [(r.year, r.draw_seed) for r in rounds] == [(y, f"demo-{y}") for y in (2023, 2024, 2025, 2026)]
    for round_ in rounds:
        assert round_.selections.exists()
        assert recheck_redraw(round_) == _stored(round_)

    (revocation,) = Revocation.objects.all()
    assert revocation.revoked_on.year == 2024 and revocation.cause == Revocation.Cause.MISSED_DEADLINE
    community = revocation.community
    assert not met_communities(revocation.revoked_on).filter(pk=community.pk).exists()
    reaccepted = Inspection.objects.get(round__name=REACCEPTANCE, community=community)
    assert reaccepted.passed and reaccepted.round.kind == AcceptanceRound.Kind.ACCEPTANCE
    assert met_communities(D(2025, 12, 31)).filter(pk=community.pk).exists()
    assert met_communities(D(2026, 12, 1)).filter(pk=community.pk).exists()

    # 2026 is under way: an inspection open, a rectification open with its deadline ahead.
    current = rounds[-1]
    assert Inspection.objects.filter(round=current, status=Inspection.Status.OPEN).exists()
    assert Rectification.objects.filter(
        inspection__round=current, status=Rectification.Status.OPEN, due_on__gt=D(2026, 12, 8)
    ).exists()
    # Earlier rounds left nothing half done except the revoked community's missed rectification.
    lingering = Rectification.objects.filter(inspection__round__kind=AcceptanceRound.Kind.RECHECK).exclude(
        status=Rectification.Status.CLOSED
    )
    assert {r.community_id for r in lingering.filter(inspection__round__year__lt=2026)} == {community.pk}
    assert "title revoked" in summary and "accepted again" in summary

    counts = (AcceptanceRound.objects.count(), Inspection.objects.count(), Revocation.objects.count())
    assert seed_rechecks() == "re-checks already present, left as they are"
    assert (AcceptanceRound.objects.count(), Inspection.objects.count(), Revocation.objects.count()) == counts
