"""Standing management through the services: re-check rounds drawn from a stored seed, failures, revocations and
re-acceptance, and what "met" says around a revocation."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import translation

from districts.models import AuditEntry, Community, District
from standards.acceptance import (
    AcceptanceError,
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    met_communities,
    rectification_done,
    reinspection_request,
    round_create,
    team_create,
)
from standards.models import AcceptanceRound, Assignment, RecheckSelection, Rectification, Revocation
from standards.recheck import (
    Quota,
    recheck_draw,
    recheck_redraw,
    recheck_round_open,
    revocation_create,
    revocations_due,
    standing_figures,
    standing_figures_by_district,
)

pytestmark = pytest.mark.django_db
D = datetime.date
LOCAL = zoneinfo.ZoneInfo("Asia/Shanghai")
HEPING, HEXI = "120101", "120103"
RECHECK_OPENS = D(2023, 3, 1)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL)


def inspect(round_, team, community, day, *, by_admin, inspector, fail=(), kind=Assignment.Kind.FIRST):
    (assignment,) = assignments_create(
        round=round_, communities=[community], team=team, by=by_admin, kind=kind, today=day
    )
    inspection = inspection_start(assignment=assignment, by=inspector, today=day)
    for n in range(1, 17):
        failed = n in fail
        answer_save(
            inspection=inspection,
            item_number=n,
            result="fails" if failed else "meets",
            note="垃圾分类投放点破损" if failed else "",
            by=inspector,
            today=day,
        )
    return inspection_sign(inspection=inspection, by=inspector, signed_at=at(day))


@pytest.fixture
def accepted(commission_admin, inspector):
    return accept_world(commission_admin, inspector)


def accept_world(commission_admin, inspector):
    """Five communities of 和平区 and three of 河西区 accepted on 2021-11-20 (no notice period)."""
    round_ = round_create(
        name="2021年度验收", year=2021, opens_on=D(2021, 11, 1), closes_on=D(2021, 12, 31), by=commission_admin
    )
    team = team_create(round=round_, name="第一组", members=[inspector], by=commission_admin, today=D(2021, 11, 1))
    heping = list(Community.objects.filter(district__code=HEPING).order_by("code")[:5])
    hexi = list(Community.objects.filter(district__code=HEXI).order_by("code")[:3])
    for community in heping + hexi:
        inspect(round_, team, community, D(2021, 11, 20), by_admin=commission_admin, inspector=inspector)
    return {"heping": heping, "hexi": hexi}


def open_recheck(commission_admin, inspector, *, quotas, named=(), seed=None, opens_on=RECHECK_OPENS):
    round_ = recheck_round_open(
        name="2023年度复查",
        year=2023,
        opens_on=opens_on,
        closes_on=D(2023, 12, 31),
        rectification_days=30,
        quotas=quotas,
        named=named,
        seed=seed,
        by=commission_admin,
    )
    team = team_create(round=round_, name="复查一组", members=[inspector], by=commission_admin, today=opens_on)
    return round_, team


def _drawn(round_) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for selection in round_.selections.filter(reason=RecheckSelection.Reason.DRAWN).select_related(
        "district", "community"
    ):
        lists.setdefault(selection.district.code, []).append(selection.community.code)
    return lists


def test_a_recheck_draw_is_reproducible_from_its_stored_seed(accepted, commission_admin, inspector):
    heping, hexi = District.objects.get(code=HEPING), District.objects.get(code=HEXI)
    round_, _team = open_recheck(
        commission_admin, inspector, quotas={heping: Quota(share=Decimal(40)), hexi: Quota(number=2)}
    )
    assert round_.kind == AcceptanceRound.Kind.RECHECK and len(round_.draw_seed) == 16
    stored = _drawn(round_)
    # 40% of five rounds up to two; two of three; all drawn from the communities that met.
    assert [len(stored[HEPING]), len(stored[HEXI])] == [2, 2]
    assert set(stored[HEPING]) <= {c.code for c in accepted["heping"]}
    assert set(stored[HEXI]) <= {c.code for c in accepted["hexi"]}
    # Anyone repeats the draw from what the round stored and gets the same list.
    assert recheck_redraw(round_) == {HEPING: stored[HEPING], HEXI: stored[HEXI]}
    quotas = {r.district.code: Quota(share=r.share, number=r.number) for r in round_.quotas.select_related("district")}
    assert [(q.district.code, q.candidates) for q in round_.quotas.order_by("district__code")] == [
        (HEPING, 5),
        (HEXI, 3),
    ]
    # The draw is a pure function of seed, quotas and candidates; candidates in another order draw the same.
    candidates = {HEPING: [c.code for c in reversed(accepted["heping"])], HEXI: [c.code for c in accepted["hexi"]]}
    assert recheck_draw(seed=round_.draw_seed, quotas=quotas, candidates=candidates) == stored
    assert any(recheck_draw(seed=f"other-{n}", quotas=quotas, candidates=candidates) != stored for n in range(10)), (
        "another seed draws another list"
    )


def test_the_commission_adds_communities_by_name_and_only_those_that_met(accepted, commission_admin, inspector):
    heping = District.objects.get(code=HEPING)
    named = accepted["hexi"][0]
    round_, _team = open_recheck(commission_admin, inspector, quotas={heping: Quota(number=1)}, named=[named])
    reasons = dict(round_.selections.values_list("community_id", "reason"))
    assert reasons[named.pk] == RecheckSelection.Reason.NAMED and len(reasons) == 2
    never_inspected = Community.objects.filter(district__code=HEXI).order_by("-code").first()
    with translation.override("zh-hans"), pytest.raises(AcceptanceError, match="只有.*达到创建要求.*才能复查"):
        open_recheck(commission_admin, inspector, quotas={}, named=[never_inspected])
    with translation.override("zh-hans"), pytest.raises(AcceptanceError, match="比例或数量"):
        open_recheck(commission_admin, inspector, quotas={heping: Quota(share=Decimal(10), number=1)})
    assert AcceptanceRound.objects.filter(kind=AcceptanceRound.Kind.RECHECK).count() == 1  # nothing half-written


def test_a_recheck_round_assigns_only_the_communities_it_selected(accepted, commission_admin, inspector):
    heping = District.objects.get(code=HEPING)
    round_, team = open_recheck(commission_admin, inspector, quotas={heping: Quota(number=1)})
    selected = round_.selections.get().community
    other = next(c for c in accepted["heping"] if c.pk != selected.pk)
    with translation.override("zh-hans"), pytest.raises(AcceptanceError, match="未被抽中"):
        assignments_create(round=round_, communities=[other], team=team, by=commission_admin, today=D(2023, 3, 2))
    assert assignments_create(round=round_, communities=[selected], team=team, by=commission_admin, today=D(2023, 3, 2))


def test_a_revocation_removes_the_community_from_met_from_its_date_only(accepted, commission_admin, inspector):
    """A failed re-check opens rectification and changes nothing in "met"; the missed deadline (30 days after the
    re-check of 10 March: 9 April) revokes the title from the day after, 10 April, and only from then."""
    heping = District.objects.get(code=HEPING)
    round_, team = open_recheck(commission_admin, inspector, quotas={heping: Quota(number=1)})
    community = round_.selections.get().community
    failed = inspect(round_, team, community, D(2023, 3, 10), by_admin=commission_admin, inspector=inspector, fail=[5])
    (rectification,) = Rectification.objects.filter(inspection=failed)
    assert rectification.due_on == D(2023, 4, 9)
    assert community in met_communities(D(2023, 3, 11))  # a failed re-check is not an unmeet
    assert revocations_due(today=D(2023, 4, 9)) == []  # the deadline day itself is still in time
    (revocation,) = revocations_due(today=D(2023, 4, 12))
    assert (revocation.community, revocation.revoked_on, revocation.cause) == (
        community,
        D(2023, 4, 10),
        Revocation.Cause.MISSED_DEADLINE,
    )
    assert revocation.inspection == failed
    assert AuditEntry.objects.filter(object_id=str(revocation.pk), action=AuditEntry.Action.CREATE).exists()
    assert community in met_communities(D(2023, 4, 9))
    assert community in met_communities(D(2021, 12, 31))
    assert community not in met_communities(D(2023, 4, 10))
    assert community not in met_communities(D(2024, 1, 1))
    others = set(met_communities(D(2023, 4, 10))) - {community}
    assert others == set(accepted["heping"] + accepted["hexi"]) - {community}
    assert revocations_due(today=D(2023, 4, 13)) == []  # safe to run every day
    assert Revocation.objects.count() == 1


def test_a_rectification_sent_for_reinspection_in_time_is_not_revoked(accepted, commission_admin, inspector):
    heping = District.objects.get(code=HEPING)
    round_, team = open_recheck(commission_admin, inspector, quotas={heping: Quota(number=1)})
    community = round_.selections.get().community
    inspect(round_, team, community, D(2023, 3, 10), by_admin=commission_admin, inspector=inspector, fail=[5])
    rectification = Rectification.objects.get(community=community)
    rectification_done(rectification=rectification, note="已修复投放点", by=commission_admin, today=D(2023, 4, 1))
    reinspection_request(community=community, by=commission_admin, today=D(2023, 4, 2))
    assert revocations_due(today=D(2023, 5, 1)) == []
    passed = inspect(
        round_,
        team,
        community,
        D(2023, 4, 20),
        by_admin=commission_admin,
        inspector=inspector,
        kind=Assignment.Kind.REINSPECTION,
    )
    assert passed.passed and community in met_communities(D(2023, 12, 31))


def test_a_second_failure_revokes_and_a_later_acceptance_restores(accepted, commission_admin, inspector):
    heping = District.objects.get(code=HEPING)
    round_, team = open_recheck(commission_admin, inspector, quotas={heping: Quota(number=1)})
    community = round_.selections.get().community
    inspect(round_, team, community, D(2023, 3, 10), by_admin=commission_admin, inspector=inspector, fail=[5])
    rectification_done(
        rectification=Rectification.objects.get(community=community),
        note="已修复投放点",
        by=commission_admin,
        today=D(2023, 4, 1),
    )
    reinspection_request(community=community, by=commission_admin, today=D(2023, 4, 2))
    again = inspect(
        round_,
        team,
        community,
        D(2023, 4, 20),
        by_admin=commission_admin,
        inspector=inspector,
        fail=[5],
        kind=Assignment.Kind.REINSPECTION,
    )
    (revocation,) = Revocation.objects.filter(community=community)
    assert (revocation.revoked_on, revocation.cause, revocation.inspection) == (
        D(2023, 4, 21),
        Revocation.Cause.FAILED_AGAIN,
        again,
    )
    assert community in met_communities(D(2023, 4, 20)) and community not in met_communities(D(2023, 4, 21))
    # The failed re-inspection's own rectifications do not revoke a second time.
    assert revocations_due(today=D(2023, 6, 30)) == []

    # Re-accepted in the 2024 acceptance: met again from that signature on, and not before.
    later = round_create(
        name="2024年度验收", year=2024, opens_on=D(2024, 11, 1), closes_on=D(2024, 12, 31), by=commission_admin
    )
    later_team = team_create(round=later, name="第一组", members=[inspector], by=commission_admin, today=D(2024, 11, 1))
    inspect(later, later_team, community, D(2024, 11, 15), by_admin=commission_admin, inspector=inspector)
    assert community not in met_communities(D(2024, 11, 14))
    assert community in met_communities(D(2024, 11, 15))


def test_the_commission_revokes_by_hand_with_a_reason(accepted, commission_admin):
    community = accepted["hexi"][0]
    with translation.override("zh-hans"):
        with pytest.raises(AcceptanceError, match="原因"):
            revocation_create(community=community, revoked_on=D(2023, 6, 1), reason="  ", by=commission_admin)
        with pytest.raises(AcceptanceError, match="未来"):
            revocation_create(
                community=community,
                revoked_on=D(2023, 6, 1),
                reason="群众举报",
                by=commission_admin,
                today=D(2023, 5, 1),
            )
        never = Community.objects.filter(district__code=HEXI).order_by("-code").first()
        with pytest.raises(AcceptanceError, match="未获得称号"):
            revocation_create(community=never, revoked_on=D(2023, 6, 1), reason="群众举报", by=commission_admin)
    assert not Revocation.objects.exists()
    revocation = revocation_create(
        community=community, revoked_on=D(2023, 6, 1), reason="垃圾分类设施长期停用", by=commission_admin
    )
    assert revocation.cause == Revocation.Cause.BY_HAND and revocation.revoked_by == commission_admin
    assert community in met_communities(D(2023, 5, 31)) and community not in met_communities(D(2023, 6, 1))
    with translation.override("zh-hans"), pytest.raises(AcceptanceError, match="未获得称号"):
        revocation_create(community=community, revoked_on=D(2023, 7, 1), reason="重复", by=commission_admin)


def test_a_title_revoked_in_an_earlier_year_stays_not_restored_until_an_acceptance_passes_again(
    accepted, commission_admin, inspector, django_assert_num_queries
):
    """摘牌未恢复 counts titles revoked in any year up to the date and not re-accepted since (a passing acceptance
    signed on or after the revocation's day); the year's 摘牌 counts only that year's revocations."""
    restored, failed_again = accepted["heping"][:2]
    heping, hexi = District.objects.get(code=HEPING), District.objects.get(code=HEXI)
    for community in (restored, failed_again):
        revocation_create(
            community=community, revoked_on=D(2023, 6, 1), reason="群众举报", by=commission_admin, today=D(2023, 6, 1)
        )
    assert standing_figures(on=D(2023, 5, 31)).revoked_standing == 0
    in_2023 = standing_figures(on=D(2023, 12, 31))
    assert (in_2023.revoked, in_2023.revoked_standing) == (2, 2)
    in_2024 = standing_figures(on=D(2024, 11, 14))
    assert (in_2024.year, in_2024.revoked, in_2024.revoked_standing) == (2024, 0, 2)

    later = round_create(
        name="2024年度验收", year=2024, opens_on=D(2024, 11, 1), closes_on=D(2024, 12, 31), by=commission_admin
    )
    team = team_create(round=later, name="第一组", members=[inspector], by=commission_admin, today=D(2024, 11, 1))
    inspect(later, team, restored, D(2024, 11, 15), by_admin=commission_admin, inspector=inspector)
    inspect(later, team, failed_again, D(2024, 11, 15), by_admin=commission_admin, inspector=inspector, fail=[5])
    assert standing_figures(on=D(2024, 11, 14)).revoked_standing == 2
    assert standing_figures(on=D(2024, 11, 15)).revoked_standing == 1
    assert standing_figures(on=D(2024, 11, 15), district_id=hexi.pk).revoked_standing == 0

    # Per district, in one query: the districts with something to count, each as the district's own figures.
    with django_assert_num_queries(1):
        by_district = standing_figures_by_district(on=D(2024, 11, 15))
    assert by_district == {heping.pk: standing_figures(on=D(2024, 11, 15), district_id=heping.pk)}
    assert by_district[heping.pk].revoked_standing == 1


def test_the_figures_by_district_add_up_to_the_citys(accepted, commission_admin, inspector):
    heping, hexi = District.objects.get(code=HEPING), District.objects.get(code=HEXI)
    round_, team = open_recheck(
        commission_admin, inspector, quotas={}, named=[*accepted["heping"][:3], *accepted["hexi"][:2]]
    )
    inspect(round_, team, accepted["heping"][0], D(2023, 3, 10), by_admin=commission_admin, inspector=inspector)
    inspect(
        round_, team, accepted["heping"][1], D(2023, 3, 10), by_admin=commission_admin, inspector=inspector, fail=[5]
    )
    inspect(round_, team, accepted["hexi"][0], D(2023, 3, 11), by_admin=commission_admin, inspector=inspector, fail=[3])
    inspect(round_, team, accepted["hexi"][1], D(2023, 3, 11), by_admin=commission_admin, inspector=inspector)
    revocations_due(today=D(2023, 4, 30))  # both failures missed their 30 days
    on = D(2023, 4, 30)
    by_district = standing_figures_by_district(on=on)
    assert set(by_district) == {heping.pk, hexi.pk}
    assert by_district[hexi.pk] == standing_figures(on=on, district_id=hexi.pk)
    city = standing_figures(on=on)
    assert (city.rechecked, city.passed, city.failed, city.rectifying, city.revoked) == (4, 2, 2, 0, 2)
    for name in ("rechecked", "passed", "failed", "rectifying", "revoked", "revoked_standing"):
        assert sum(getattr(f, name) for f in by_district.values()) == getattr(city, name), name
