"""Who may do what with supervision, in one place: the views ask here, and the services check again.

Out of scope → 404 (the lookups filter by `visible_to`); in scope but not allowed → 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from districts.scope import Scope, scope_of

from .models import RequiredAction, Supervision


def can_open(scope: Scope) -> bool:
    """The commission and the municipal departments supervise the districts."""
    return scope.is_commission or (scope.role == "department_staff" and scope.department_id is not None)


def can_manage(scope: Scope, supervision: Supervision) -> bool:
    """The opener's unit keeps the action: the commission's own, or the department's staff for theirs."""
    if supervision.opened_by_department_id is None:
        return scope.is_commission
    return scope.role == "department_staff" and scope.department_id == supervision.opened_by_department_id


def can_answer(scope: Scope, required: RequiredAction) -> bool:
    """The district's staff answer for their district (street staff read only)."""
    return scope.is_district_staff and scope.district_id == required.district_id


def supervision_for(user: Any, pk: int, *, manage: bool = False) -> Supervision:
    supervision = get_object_or_404(
        Supervision.objects.visible_to(user).select_related("opened_by_department", "opened_by"), pk=pk
    )
    if manage and not can_manage(scope_of(user), supervision):
        raise PermissionDenied
    return supervision


def required_action_for(user: Any, pk: int) -> RequiredAction:
    return get_object_or_404(
        RequiredAction.objects.visible_to(user).select_related(
            "supervision__opened_by_department", "district", "community", "item"
        ),
        pk=pk,
    )
