"""Who reads which supervision: the commission every action, a department the ones it opened, a district's staff
(and its streets' staff, read-only) the actions that target the district, and of those only the district's own
findings and required actions. Nothing else: an inspector sees none."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from districts.scope import Scope, scope_of


def _actions_filter(scope: Scope, prefix: str = "") -> Q | None:
    """The filter on actions for `scope` (None: every action); `prefix` reaches the action from a related row."""
    if scope.is_commission:
        return None
    if scope.role == "department_staff" and scope.department_id:
        return Q(**{f"{prefix}opened_by_department_id": scope.department_id})
    if scope.district_id and scope.role in {"district_staff", "street_staff"}:
        return Q(**{f"{prefix}districts": scope.district_id})
    return Q(pk__in=[])


class SupervisionQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> SupervisionQuerySet:
        condition = _actions_filter(scope_of(user))
        return self.all() if condition is None else self.filter(condition)


class FindingQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> FindingQuerySet:
        scope = scope_of(user)
        condition = _actions_filter(scope, "supervision__")
        if condition is None:
            return self.all()
        if scope.role in {"district_staff", "street_staff"}:
            # A joint visit's findings about another district are that district's business.
            condition &= Q(district__isnull=True) | Q(district_id=scope.district_id)
        return self.filter(condition)


class RequiredActionQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> RequiredActionQuerySet:
        scope = scope_of(user)
        condition = _actions_filter(scope, "supervision__")
        if condition is None:
            return self.all()
        if scope.role in {"district_staff", "street_staff"}:
            condition = Q(district_id=scope.district_id)
        return self.filter(condition)

    def open_on(self, day: Any) -> RequiredActionQuerySet:
        """Set on or before `day` and not closed by its end."""
        return self.filter(set_on__lte=day).filter(Q(closed_on__isnull=True) | Q(closed_on__gt=day))

    def overdue_on(self, day: Any) -> RequiredActionQuerySet:
        """Open on `day` with a deadline before it."""
        return self.open_on(day).filter(due_on__lt=day)


def findings_files_readable(user: Any) -> Q:
    from .models import Finding

    return Q(owner_id__in=Finding.objects.visible_to(user).values("pk"))


def required_actions_files_readable(user: Any) -> Q:
    from .models import RequiredAction

    return Q(owner_id__in=RequiredAction.objects.visible_to(user).values("pk"))
