"""Reads of the experience library: the search (one query for the page, whatever the filters) and the cases of a
year for the annual compilation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from districts.models import Community, District
from standards.models import StandardItem

from .models import ExperienceCase

PAGE_SIZE = 20
Status = ExperienceCase.Status


@dataclass(frozen=True)
class CaseFilters:
    item: StandardItem | None = None
    district: District | None = None
    text: str = ""
    # "" = published only; "mine" = the district's own cases in every state; a status = cases in that state.
    status: str = ""


def _with_relations(cases: QuerySet[ExperienceCase]) -> QuerySet[ExperienceCase]:
    return cases.select_related("district", "event").prefetch_related(
        Prefetch("items", queryset=StandardItem.objects.order_by("number")),
        Prefetch("communities", queryset=Community.objects.order_by("code")),
    )


def case_search(*, user: Any, filters: CaseFilters) -> QuerySet[ExperienceCase]:
    """The cases `user` may read that match every filter, newest published first (drafts by their last change)."""
    cases = ExperienceCase.objects.visible_to(user)
    if filters.status == "":
        cases = cases.published()
    elif filters.status != "all":
        cases = cases.filter(status=filters.status)
    if filters.item is not None:
        cases = cases.filter(
            Exists(
                ExperienceCase.items.through.objects.filter(
                    experiencecase_id=OuterRef("pk"), standarditem_id=filters.item.pk
                )
            )
        )
    if filters.district is not None:
        cases = cases.filter(district=filters.district)
    for word in filters.text.split()[:5]:
        in_community = ExperienceCase.communities.through.objects.filter(
            experiencecase_id=OuterRef("pk"), community__name__icontains=word
        )
        cases = cases.filter(
            Q(title__icontains=word) | Q(measures__icontains=word) | Q(results__icontains=word) | Exists(in_community)
        )
    return _with_relations(cases).order_by("-published_at", "-updated_at", "-id")


def case_page(*, user: Any, filters: CaseFilters, page: str | int | None) -> Page:
    return Paginator(case_search(user=user, filters=filters), PAGE_SIZE).get_page(page)


def cases_published_in(year: int, month: int | None = None) -> list[ExperienceCase]:
    """The cases published in `year` (or in its `month`; Asia/Shanghai), for the annual compilation and the monthly
    bulletin: district by district."""
    published = ExperienceCase.objects.published().filter(published_at__year=year)
    if month is not None:
        published = published.filter(published_at__month=month)
    return list(_with_relations(published).order_by("district__code", "published_at", "id"))


def waiting_for_review() -> QuerySet[ExperienceCase]:
    return ExperienceCase.objects.filter(status=Status.SUBMITTED)
