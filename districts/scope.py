"""The one access layer: what a user may see and change.

Querysets filter by `Scope` before anything else touches them. Out of scope → 404 (we don't reveal that an
object exists); in scope but read-only → 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

CITY_READERS = {"commission_admin", "commission_reviewer", "department_staff"}


@dataclass(frozen=True)
class Scope:
    role: str | None
    district_id: int | None = None
    street_id: int | None = None
    department_id: int | None = None
    user_id: int | None = None
    district_code: str = ""
    street_code: str = ""
    label: str = ""

    @property
    def is_commission(self) -> bool:
        return self.role in {"commission_admin", "commission_reviewer"}

    @property
    def is_commission_admin(self) -> bool:
        return self.role == "commission_admin"

    @property
    def sees_whole_city(self) -> bool:
        return self.role in CITY_READERS

    @property
    def is_district_staff(self) -> bool:
        return self.role == "district_staff"

    @property
    def is_street_staff(self) -> bool:
        return self.role == "street_staff"

    def can_edit_district(self, district_id: int) -> bool:
        """Roster, survey attributes and enrolment are the district's to keep (and the commission admin's)."""
        return self.is_commission_admin or (self.is_district_staff and self.district_id == district_id)


NO_SCOPE = Scope(role=None)


def scope_of(user: Any) -> Scope:
    """The user's scope, computed once per request (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return NO_SCOPE
    cached = getattr(user, "_portal_scope", None)
    if cached is not None:
        return cached
    from .models import Membership

    membership = (
        Membership.objects.filter(user_id=user.pk).select_related("district", "street__district", "department").first()
    )
    if membership is not None:
        district = membership.district or (membership.street.district if membership.street else None)
        scope = Scope(
            role=membership.role,
            district_id=district.id if district else None,
            street_id=membership.street_id,
            department_id=membership.department_id,
            user_id=user.pk,
            district_code=district.code if district else "",
            street_code=membership.street.code if membership.street else "",
            label=f"{membership.get_role_display()} · {membership.scope_label}",
        )
    elif user.is_superuser:
        scope = Scope(role="commission_admin", user_id=user.pk, label=str(_("commission administrator")))
    else:
        scope = Scope(role=None, user_id=user.pk, label=str(_("no role assigned")))
    user._portal_scope = scope
    return scope
