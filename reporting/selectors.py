"""Use-case reads for the campaign pages. Counts are subqueries per row, so a page's query count is flat."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from districts.models import Community, District, Street

from .models import Campaign, Deadline, Enrolment, Milestone


def correlated_count(queryset: QuerySet, group_field: str) -> Subquery:
    """A correlated COUNT(*) of `queryset` rows whose `group_field` is the outer row, as an integer column."""
    return Coalesce(
        Subquery(
            queryset.filter(**{group_field: OuterRef("pk")})
            .order_by()
            .values(group_field)
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def roster_communities(*, campaign: Campaign, on: datetime.date) -> QuerySet[Community]:
    return Community.objects.on_roster(on).urban(include_similar=campaign.counts_similar_communities)


def active_enrolments(*, campaign: Campaign, on: datetime.date) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(campaign=campaign).active_on(on)


def _pilot_exists(*, campaign: Campaign, on: datetime.date) -> Exists:
    return Exists(
        active_enrolments(campaign=campaign, on=on).filter(kind=Enrolment.Kind.PILOT, community__street=OuterRef("pk"))
    )


def districts_overview(*, user: Any, campaign: Campaign, on: datetime.date) -> QuerySet[District]:
    """Each visible district with roster size, enrolled, pilots and 街道 coverage as of `on`."""
    roster = roster_communities(campaign=campaign, on=on)
    enrolled = active_enrolments(campaign=campaign, on=on)
    subdistricts = Street.objects.subdistricts()
    return District.objects.visible_to(user).annotate(
        street_count=correlated_count(Street.objects.all(), "district"),
        subdistrict_count=correlated_count(subdistricts, "district"),
        subdistricts_with_pilot=correlated_count(
            subdistricts.filter(_pilot_exists(campaign=campaign, on=on)), "district"
        ),
        roster_count=correlated_count(roster, "district"),
        enrolled_count=correlated_count(roster.filter(Exists(enrolled.filter(community=OuterRef("pk")))), "district"),
        pilot_count=correlated_count(
            roster.filter(Exists(enrolled.filter(kind=Enrolment.Kind.PILOT, community=OuterRef("pk")))), "district"
        ),
    )


def streets_overview(*, user: Any, district: District, campaign: Campaign, on: datetime.date) -> QuerySet[Street]:
    roster = roster_communities(campaign=campaign, on=on)
    enrolled = active_enrolments(campaign=campaign, on=on)
    return (
        Street.objects.visible_to(user)
        .filter(district=district)
        .annotate(
            roster_count=correlated_count(roster, "street"),
            enrolled_count=correlated_count(roster.filter(Exists(enrolled.filter(community=OuterRef("pk")))), "street"),
            pilot_count=correlated_count(
                roster.filter(Exists(enrolled.filter(kind=Enrolment.Kind.PILOT, community=OuterRef("pk")))), "street"
            ),
            has_pilot=_pilot_exists(campaign=campaign, on=on),
        )
    )


ENROLMENT_FILTERS = ("enrolled", "pilot", "batch", "not_enrolled", "withdrawn")


def community_list(
    *,
    user: Any,
    campaign: Campaign,
    on: datetime.date,
    district: District | None = None,
    street: Street | None = None,
    text: str = "",
    kind: str = "",
    enrolment: str = "",
    include_closed: bool = False,
) -> QuerySet[Community]:
    """The roster browser's rows: scoped, filtered, with the current enrolment kind annotated."""
    communities = Community.objects.visible_to(user)
    if not include_closed:
        communities = communities.on_roster(on)
    if district is not None:
        communities = communities.filter(district=district)
    if street is not None:
        communities = communities.filter(street=street)
    if kind:
        communities = communities.filter(kind=kind)
    communities = communities.search(text)
    active = active_enrolments(campaign=campaign, on=on).filter(community=OuterRef("pk"))
    communities = communities.annotate(enrolment_kind=Subquery(active.values("kind")[:1]))
    if enrolment == "enrolled":
        communities = communities.filter(enrolment_kind__isnull=False)
    elif enrolment in {"pilot", "batch"}:
        communities = communities.filter(enrolment_kind=enrolment)
    elif enrolment == "not_enrolled":
        communities = communities.filter(enrolment_kind__isnull=True)
    elif enrolment == "withdrawn":
        withdrawn = Enrolment.objects.filter(campaign=campaign, community=OuterRef("pk"), withdrawn_on__lte=on)
        communities = communities.filter(enrolment_kind__isnull=True).filter(Exists(withdrawn))
    return communities.select_related("street", "district").order_by("code")


def next_deadlines(*, campaign: Campaign, on: datetime.date) -> list[tuple[Deadline, datetime.date]]:
    upcoming = []
    for deadline in campaign.deadlines.all():
        due = deadline.next_due_on(on)
        if due is not None:
            upcoming.append((deadline, due))
    return sorted(upcoming, key=lambda pair: pair[1])


def next_milestone(*, campaign: Campaign, on: datetime.date) -> Milestone | None:
    return campaign.milestones.filter(due_on__gte=on).order_by("due_on").first()


def current_phase(*, campaign: Campaign, on: datetime.date) -> Any:
    return campaign.phases.filter(starts_on__lte=on, ends_on__gte=on).first()


def pilot_gaps(*, user: Any, campaign: Campaign, on: datetime.date) -> QuerySet[Street]:
    """Visible 街道 that have no active pilot as of `on`."""
    return (
        Street.objects.visible_to(user)
        .subdistricts()
        .filter(~_pilot_exists(campaign=campaign, on=on))
        .select_related("district")
        .order_by("code")
    )


def survey_gaps(*, user: Any, campaign: Campaign, on: datetime.date) -> int:
    """Visible roster communities whose survey (调查摸底) is still missing its basic figures."""
    return (
        roster_communities(campaign=campaign, on=on)
        .visible_to(user)
        .filter(Q(households__isnull=True) | Q(buildings__isnull=True) | Q(is_old_estate__isnull=True))
        .count()
    )
