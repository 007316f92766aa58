"""Chainable, side-effect-free filters. `visible_to` comes first on every query a user's request makes."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.db.models import Q

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
