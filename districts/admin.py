"""The commission's admin. Every save and delete here is written to the audit trail, like any other change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from greencommunity.people import person_name

from .audit import audit_record, created, diff, snapshot
from .models import AuditEntry, Community, Department, District, Membership, RosterChange, Street


def _district_id_of(obj: models.Model) -> int | None:
    if isinstance(obj, District):
        return obj.pk
    return getattr(obj, "district_id", None) or getattr(getattr(obj, "community", None), "district_id", None)


def _audit_delete(request: HttpRequest, obj: models.Model) -> None:
    audit_record(
        actor=request.user, action=AuditEntry.Action.DELETE, obj=obj, district_id=_district_id_of(obj), source="admin"
    )


def _fields(obj: models.Model) -> list[str]:
    return [f.name for f in obj._meta.concrete_fields]


def _saved_state(obj: models.Model) -> dict[str, Any] | None:
    """The stored values before a save, or None for a new object."""
    return snapshot(type(obj)._default_manager.get(pk=obj.pk), _fields(obj)) if obj.pk else None


def _audit_save(request: HttpRequest, obj: models.Model, before: dict[str, Any] | None) -> None:
    after = snapshot(obj, _fields(obj))
    audit_record(
        actor=request.user,
        action=AuditEntry.Action.UPDATE if before is not None else AuditEntry.Action.CREATE,
        obj=obj,
        district_id=_district_id_of(obj),
        changes=diff(before, after) if before is not None else created(after),
        source="admin",
    )


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit entry for every create, change and delete made through the admin, inlines included."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = _saved_state(obj) if change else None
            super().save_model(request, obj, form, change)
            _audit_save(request, obj, before)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            instances = formset.save(commit=False)
            for obj in formset.deleted_objects:
                _audit_delete(request, obj)
                obj.delete()
            for obj in instances:
                before = _saved_state(obj)
                obj.save()
                _audit_save(request, obj, before)
            formset.save_m2m()

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        with transaction.atomic():
            _audit_delete(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        with transaction.atomic():
            for obj in queryset:
                _audit_delete(request, obj)
            super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that only services may write (history, enrolments, the audit trail itself)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(District)
class DistrictAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind"]
    search_fields = ["code", "name"]


@admin.register(Street)
class StreetAdmin(AuditedAdmin):
    list_display = ["code", "name", "district", "kind"]
    list_filter = ["kind", "district"]
    search_fields = ["code", "name"]
    list_select_related = ["district"]


@admin.register(Community)
class CommunityAdmin(AuditedAdmin):
    list_display = ["code", "name", "street", "district", "kind", "established_on", "closed_on"]
    list_filter = ["kind", "district"]
    search_fields = ["code", "name"]
    list_select_related = ["street", "district"]
    # The street and district come from the NBS list; roster changes go through the roster services.
    readonly_fields = ["code", "street", "district", "established_on", "closed_on"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(RosterChange)
class RosterChangeAdmin(ReadOnlyAdmin):
    list_display = ["effective_on", "kind", "community", "note"]
    list_filter = ["kind"]


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["name", "code", "is_lead", "order"]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "person", "role", "district", "street", "department"]
    list_filter = ["role", "district"]
    search_fields = ["user__username", "user__last_name", "user__first_name"]
    list_select_related = ["user", "district", "street", "department"]
    autocomplete_fields = ["street"]

    @admin.display(description=_("full name"), ordering="user__last_name")
    def person(self, membership: Membership) -> str:
        return person_name(membership.user)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "by", "action", "object_repr", "district", "source"]
    list_filter = ["action", "source", "district"]
    search_fields = ["object_repr", "note", "actor__username", "actor__last_name", "actor__first_name"]
    list_select_related = ["actor", "district"]

    @admin.display(description=_("by"), ordering="actor__last_name")
    def by(self, entry: AuditEntry) -> str:
        return person_name(entry.actor) or "—"


User = get_user_model()
# What the trail keeps of a person's account: never the password hash or the last login.
USER_AUDITED_FIELDS = ("username", "last_name", "first_name", "email", "is_active", "is_staff", "is_superuser")


admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    """People's accounts. The commission names each person here, family name (姓) first, as every page shows them."""

    list_display = ["username", "full_name", "email", "is_active", "is_staff"]
    search_fields = ["username", "last_name", "first_name", "email"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "last_name", "first_name", "email", "usable_password", "password1", "password2"),
            },
        ),
    )

    @admin.display(description=_("full name"), ordering="last_name")
    def full_name(self, user: Any) -> str:
        return person_name(user)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = snapshot(User.objects.get(pk=obj.pk), USER_AUDITED_FIELDS) if change else None
            super().save_model(request, obj, form, change)
            after = snapshot(obj, USER_AUDITED_FIELDS)
            changes = diff(before, after) if before is not None else created(after)
            if changes:
                audit_record(
                    actor=request.user,
                    action=AuditEntry.Action.UPDATE if change else AuditEntry.Action.CREATE,
                    obj=obj,
                    changes=changes,
                    source="admin",
                )
