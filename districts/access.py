"""Look an object up and check the user may see it (404) and, for writes, change it (403) — in one call."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .models import Community, District, Street
from .scope import scope_of


def district_for(user: Any, code: str, *, write: bool = False) -> District:
    district = get_object_or_404(District.objects.visible_to(user), code=code)
    if write and not scope_of(user).can_edit_district(district.id):
        raise PermissionDenied
    return district


def street_for(user: Any, code: str) -> Street:
    return get_object_or_404(Street.objects.visible_to(user).select_related("district"), code=code)


def community_for(user: Any, code: str, *, write: bool = False) -> Community:
    community = get_object_or_404(Community.objects.visible_to(user).select_related("street", "district"), code=code)
    if write and not scope_of(user).can_edit_district(community.district_id):
        raise PermissionDenied
    return community
