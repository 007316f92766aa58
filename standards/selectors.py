"""Reads of a standard version: its items and categories, in order. Every page reads the items of one version (its
campaign's, or its round's), never all the items there are."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest

from .models import StandardCategory, StandardItem, StandardVersion


def standard_items(*, standard: StandardVersion | int | None) -> QuerySet[StandardItem]:
    return StandardItem.objects.filter(version=standard).select_related("category").order_by("number")


def standard_item(*, standard: StandardVersion | int | None, number: int) -> StandardItem | None:
    return StandardItem.objects.filter(version=standard, number=number).first()


def standard_categories(*, standard: StandardVersion | int | None) -> QuerySet[StandardCategory]:
    """The version's categories, each with its items (in order) and departments prefetched."""
    return (
        StandardCategory.objects.filter(version=standard)
        .prefetch_related(Prefetch("items", queryset=StandardItem.objects.order_by("number")), "departments")
        .order_by("number")
    )


_CURRENT_STANDARD: list[Callable[[], int | None]] = []


def current_standard_register(provider: Callable[[], int | None]) -> None:
    """Let the app that knows campaigns say which standard is in force: the current campaign's (this app may not
    use that one)."""
    _CURRENT_STANDARD[:] = [provider]


def current_standard_id() -> int | None:
    """The id of the standard in force, for pages that are about no campaign or round of their own (a district's
    refinements): as registered, else the newest version."""
    if _CURRENT_STANDARD:
        return _CURRENT_STANDARD[0]()
    return StandardVersion.objects.order_by("-created_at", "-pk").values_list("pk", flat=True).first()


_PICKED_STANDARD: list[Callable[[HttpRequest], int | None]] = []


def picked_standard_register(provider: Callable[[HttpRequest], int | None]) -> None:
    """Let the app that knows campaigns say which standard a request is for: that of the campaign the reader picked
    in the top bar (which also shows the picker on the page that asks)."""
    _PICKED_STANDARD[:] = [provider]


def picked_standard_id(request: HttpRequest) -> int | None:
    """The id of the standard the reader's page is for: as registered, else the standard in force."""
    if _PICKED_STANDARD:
        return _PICKED_STANDARD[0](request)
    return current_standard_id()
