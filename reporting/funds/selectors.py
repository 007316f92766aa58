"""Reads of the funds: a user's lines, and the rollups per source and per district — each one GROUP BY query."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from districts.models import District
from districts.scope import scope_of

from .models import FundEntry, FundingSource
from .services import can_read_funds

ZERO = Decimal("0")
TEN_THOUSAND = Decimal("10000")


def wan(amount: Decimal | None) -> Decimal:
    """Yuan as 万元 with two decimals, as the tables show them."""
    return ((amount or ZERO) / TEN_THOUSAND).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def entries_visible_to(user: Any) -> QuerySet[FundEntry]:
    scope = scope_of(user)
    if not can_read_funds(scope):
        return FundEntry.objects.none()
    if scope.sees_whole_city:
        return FundEntry.objects.all()
    if scope.district_id is None:
        return FundEntry.objects.none()
    return FundEntry.objects.filter(district_id=scope.district_id)


def funds_years(*, district: District | None = None) -> list[int]:
    rows = FundEntry.objects.all() if district is None else FundEntry.objects.filter(district=district)
    return sorted(rows.values_list("year", flat=True).distinct().order_by(), reverse=True)


@dataclass
class Totals:
    committed: Decimal = ZERO
    spent: Decimal = ZERO
    communities: int = 0

    @property
    def committed_wan(self) -> Decimal:
        return wan(self.committed)

    @property
    def spent_wan(self) -> Decimal:
        return wan(self.spent)

    @property
    def is_empty(self) -> bool:
        return not (self.committed or self.spent)


@dataclass
class SourceRow:
    source: FundingSource
    totals: Totals


@dataclass
class FundsBySource:
    year: int
    rows: list[SourceRow]
    total: Totals

    @property
    def is_empty(self) -> bool:
        return self.total.is_empty


def _sums() -> dict[str, Any]:
    return {"committed_sum": Coalesce(Sum("committed"), ZERO), "spent_sum": Coalesce(Sum("spent"), ZERO)}


def funds_by_source(*, year: int, district: District | None = None) -> FundsBySource:
    """The year's funds per source (every source in use, and any other with money), for a district or the city: one
    grouped query, one for the sources, one for the number of communities with funds."""
    rows = FundEntry.objects.filter(year=year)
    if district is not None:
        rows = rows.filter(district=district)
    grouped = {
        r["source_id"]: Totals(r["committed_sum"], r["spent_sum"], r["communities"])
        for r in rows.order_by().values("source_id").annotate(communities=Count("community", distinct=True), **_sums())
    }
    total = rows.order_by().aggregate(communities=Count("community", distinct=True), **_sums())
    sources = [s for s in FundingSource.objects.all() if s.is_active or s.pk in grouped]
    return FundsBySource(
        year=year,
        rows=[SourceRow(source, grouped.get(source.pk, Totals())) for source in sources],
        total=Totals(total["committed_sum"], total["spent_sum"], total["communities"]),
    )


@dataclass
class DistrictRow:
    district: District
    by_source: list[Totals]
    total: Totals = field(default_factory=Totals)


@dataclass
class FundsByDistrict:
    year: int
    sources: list[FundingSource]
    rows: list[DistrictRow]
    by_source: list[Totals]
    total: Totals


def funds_by_district(
    *, year: int, districts: QuerySet[District] | None = None, page: list[District] | None = None
) -> FundsByDistrict:
    """The year's funds per district and source (a matrix), with the totals of each row and column.

    The rows are `page`'s districts when given (a page of a national roster), else all of `districts`; the sources
    and the column totals are those of all `districts`, summed in SQL, whichever page is shown. Grouped queries for
    the cells, the rows' totals, the columns' totals and the grand total (a community is counted once however many
    sources it has), and one for the sources."""
    districts = districts if districts is not None else District.objects.all()
    shown = list(districts.order_by("code")) if page is None else page
    everywhere = FundEntry.objects.filter(year=year, district__in=districts).order_by()
    rows = FundEntry.objects.filter(year=year, district__in=[d.pk for d in shown]).order_by()
    cells = {
        (r["district_id"], r["source_id"]): Totals(r["committed_sum"], r["spent_sum"], r["communities"])
        for r in rows.values("district_id", "source_id").annotate(
            communities=Count("community", distinct=True), **_sums()
        )
    }
    district_totals = {
        r["district_id"]: Totals(r["committed_sum"], r["spent_sum"], r["communities"])
        for r in rows.values("district_id").annotate(communities=Count("community", distinct=True), **_sums())
    }
    source_totals = {
        r["source_id"]: Totals(r["committed_sum"], r["spent_sum"], r["communities"])
        for r in everywhere.values("source_id").annotate(communities=Count("community", distinct=True), **_sums())
    }
    sources = [s for s in FundingSource.objects.all() if s.is_active or s.pk in source_totals]
    matrix = [
        DistrictRow(
            district=d,
            by_source=[cells.get((d.pk, s.pk), Totals()) for s in sources],
            total=district_totals.get(d.pk, Totals()),
        )
        for d in shown
    ]
    total = everywhere.aggregate(communities=Count("community", distinct=True), **_sums())
    return FundsByDistrict(
        year=year,
        sources=sources,
        rows=matrix,
        by_source=[source_totals.get(s.pk, Totals()) for s in sources],
        total=Totals(total["committed_sum"], total["spent_sum"], total["communities"]),
    )


def funds_panel(*, on_year: int, district: District | None = None) -> FundsBySource:
    """The dashboards' panel: the latest year up to `on_year` with funds recorded (`on_year` when there is none), its
    sources with funds only. One query: sums per year and source, each row with its year's number of communities."""
    rows = FundEntry.objects.filter(year__lte=on_year)
    if district is not None:
        rows = rows.filter(district=district)
    year_communities = (
        rows.filter(year=OuterRef("year"))
        .order_by()
        .values("year")
        .annotate(n=Count("community", distinct=True))
        .values("n")
    )
    grouped = list(
        rows.order_by()
        .values("year", "source_id", "source__code", "source__name", "source__order")
        .annotate(
            communities=Count("community", distinct=True),
            year_communities=Subquery(year_communities, output_field=IntegerField()),
            **_sums(),
        )
    )
    year = max((r["year"] for r in grouped), default=on_year)
    latest = sorted((r for r in grouped if r["year"] == year), key=lambda r: (r["source__order"], r["source__code"]))
    return FundsBySource(
        year=year,
        rows=[
            SourceRow(
                FundingSource(pk=r["source_id"], code=r["source__code"], name=r["source__name"]),
                Totals(r["committed_sum"], r["spent_sum"], r["communities"]),
            )
            for r in latest
        ],
        total=Totals(
            committed=sum((r["committed_sum"] for r in latest), ZERO),
            spent=sum((r["spent_sum"] for r in latest), ZERO),
            communities=latest[0]["year_communities"] if latest else 0,
        ),
    )
