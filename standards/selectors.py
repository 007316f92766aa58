"""Reads of a standard version: its items and categories, in order. Every page reads the items of one version (its
campaign's, or its round's), never all the items there are."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

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
