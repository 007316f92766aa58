"""Chainable, side-effect-free filters. `visible_to` comes first on every query a user's request makes."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce

from .scope import scope_of


class DistrictQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> DistrictQuerySet:
        scope = scope_of(user)
        if scope.sees_whole_city:
            return self.all()
        if scope.district_id:
            return self.filter(id=scope.district_id)
        return self.none()


class StreetQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> StreetQuerySet:
        scope = scope_of(user)
        if scope.sees_whole_city:
            return self.all()
        if scope.street_id:
            return self.filter(id=scope.street_id)
        if scope.district_id:
            return self.filter(district_id=scope.district_id)
        return self.none()

    def subdistricts(self) -> StreetQuerySet:
        return self.filter(kind="街道")


class CommunityQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> CommunityQuerySet:
        scope = scope_of(user)
        if scope.sees_whole_city:
            return self.all()
        if scope.street_id:
            return self.filter(street_id=scope.street_id)
        if scope.district_id:
            return self.filter(district_id=scope.district_id)
        return self.none()

    def on_roster(self, on: datetime.date) -> CommunityQuerySet:
        """The roster as of `on`: opened on or before it and not closed by then."""
        return self.filter(Q(established_on__isnull=True) | Q(established_on__lte=on)).filter(
            Q(closed_on__isnull=True) | Q(closed_on__gt=on)
        )

    def as_of(self, on: datetime.date) -> CommunityQuerySet:
        """Each community with the street and kind it had on `on`, as `street_on` (a street's id) and `kind_on`: its
        current ones unless a roster release changed them after `on`, then the value before the earliest such change
        (`DivisionChange`, as the rollup reads them). The lookups sit behind one uncorrelated EXISTS, which the
        database evaluates once: without any change after `on` (today's pages) no row looks anything up."""
        from .models import DivisionChange, Street

        changes = DivisionChange.objects.filter(
            level=DivisionChange.Level.COMMUNITY,
            field__in=[DivisionChange.Field.PARENT, DivisionChange.Field.KIND],
            effective_on__gt=on,
        )

        def before(field: str, code: OuterRef) -> Subquery:
            return Subquery(
                changes.filter(code=code, field=field).order_by("effective_on", "id").values("old_value")[:1]
            )

        def unless_changed(current: str, then: Any) -> Case:
            return Case(When(Exists(changes), then=Coalesce(then, F(current))), default=F(current))

        # The street's lookup is one query deeper: there the community's code is the outer query's outer reference.
        parent = Street.objects.filter(code=before(DivisionChange.Field.PARENT, OuterRef(OuterRef("code"))))
        return self.annotate(
            street_on=unless_changed("street_id", Subquery(parent.values("pk")[:1])),
            kind_on=unless_changed("kind", before(DivisionChange.Field.KIND, OuterRef("code"))),
        )

    def urban(self, *, include_similar: bool) -> CommunityQuerySet:
        """The communities the campaign targets: 居委会, and 类似居委会 where the campaign counts them."""
        if include_similar:
            return self.all()
        return self.filter(kind="居委会")

    def search(self, text: str) -> CommunityQuerySet:
        text = text.strip()
        if not text:
            return self.all()
        if text.isdigit():
            return self.filter(code__startswith=text)
        return self.filter(name__contains=text)
