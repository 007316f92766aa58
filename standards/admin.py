from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from districts.admin import AuditedAdmin, ReadOnlyAdmin
from districts.audit import audit_record
from districts.models import AuditEntry
from greencommunity.people import person_name

from .acceptance import AcceptanceError, assignments_create
from .models import (
    AcceptanceRound,
    Assignment,
    Evidence,
    Inspection,
    InspectionAnswer,
    InspectionTeam,
    StandardCategory,
    StandardItem,
)


class StandardItemInline(admin.TabularInline):
    model = StandardItem
    exclude = ["version"]  # the category's (StandardItem.save)
    extra = 0


class _VersionFixedAdmin(AuditedAdmin):
    """A category or item stays in the version it was made in: moving it would change that version's records."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fixed = ["version"] if obj is not None else []
        return [*super().get_readonly_fields(request, obj), *fixed]


@admin.register(StandardCategory)
class StandardCategoryAdmin(_VersionFixedAdmin):
    list_display = ["number", "name", "version"]
    list_filter = ["version"]
    filter_horizontal = ["departments"]
    inlines = [StandardItemInline]


@admin.register(StandardItem)
class StandardItemAdmin(_VersionFixedAdmin):
    list_display = ["number", "text", "category", "allows_not_applicable", "version"]
    list_filter = ["version", "category"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    """Files are added and removed only through the report pages, which check them and write the trail."""

    list_display = [
        "original_name",
        "kind",
        "district",
        "community",
        "item",
        "uploaded_by",
        "uploaded_at",
        "removed_at",
    ]
    list_filter = ["kind", "district"]
    list_select_related = ["district", "community", "item", "uploaded_by"]
    search_fields = ["original_name", "caption", "sha256"]
    # The file fields would link to MEDIA_URL, which is not served: files are read through the scoped view.
    exclude = ["file", "thumbnail"]
    readonly_fields = ["download"]

    @admin.display(description=_("file"))
    def download(self, obj: Evidence) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.original_name)


@admin.register(AcceptanceRound)
class AcceptanceRoundAdmin(AuditedAdmin):
    list_display = ["name", "year", "opens_on", "closes_on", "notice_days", "rectification_days"]
    exclude = ["created_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: AcceptanceRound | None = None) -> list[str]:
        # A later end date is an extension, made on the round's page with a reason; it is not edited here.
        return ["closes_on"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by_id = request.user.pk
        super().save_model(request, obj, form, change)


@admin.register(InspectionTeam)
class InspectionTeamAdmin(AuditedAdmin):
    list_display = ["name", "round"]
    list_filter = ["round"]
    list_select_related = ["round"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Members are a many-to-many field, which the audited save does not see: record who joined or left.
        team = form.instance
        with transaction.atomic():
            before = sorted(person_name(m) for m in team.members.all()) if change else []
            super().save_related(request, form, formsets, change)
            after = sorted(person_name(m) for m in team.members.all())
            if before != after:
                audit_record(
                    actor=request.user,
                    action=AuditEntry.Action.UPDATE,
                    obj=team,
                    changes={"members": ["、".join(before) or None, "、".join(after)]},
                    source="admin",
                )


class AssignmentAddForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["round", "team", "community", "kind"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        # The service alone knows when a community may be assigned; ask it, then undo, so the form can show its
        # answer next to the fields. The admin's save then calls it for real.
        try:
            with transaction.atomic():
                assignments_create(
                    round=data["round"],
                    communities=[data["community"]],
                    team=data["team"],
                    kind=data["kind"],
                    by=None,
                )
                transaction.set_rollback(True)
        except AcceptanceError as exc:
            raise ValidationError(str(exc)) from exc
        return data


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Added through the assignment service (which checks and audits); never changed or deleted here."""

    form = AssignmentAddForm
    list_display = ["community", "district", "round", "team", "kind", "assigned_at", "cancelled_at"]
    list_filter = ["round", "kind", "district"]
    list_select_related = ["community", "district", "round", "team"]
    search_fields = ["community__name", "community__code"]
    raw_id_fields = ["community"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Assignment, form: Any, change: bool) -> None:
        (created_assignment,) = assignments_create(
            round=obj.round, communities=[obj.community], team=obj.team, kind=obj.kind, by=request.user
        )
        # The admin logs and redirects to the object it was given; let that be the one the service made.
        obj.pk = created_assignment.pk
        obj.district_id = created_assignment.district_id
        obj.assigned_at = created_assignment.assigned_at


class InspectionAnswerInline(admin.TabularInline):
    model = InspectionAnswer
    extra = 0
    can_delete = False
    fields = readonly_fields = ("item", "result", "note", "answered_by", "answered_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    """Inspections are answered and signed on the inspectors' pages; a signed one is an official record."""

    list_display = ["community", "round", "status", "passed", "signed_by", "signed_at", "notice_ends_on"]
    list_filter = ["round", "status", "passed", "district"]
    list_select_related = ["community", "round", "signed_by"]
    search_fields = ["community__name", "community__code"]
    inlines = [InspectionAnswerInline]


@admin.register(InspectionAnswer)
class InspectionAnswerAdmin(ReadOnlyAdmin):
    list_display = ["inspection", "item", "result", "answered_by", "answered_at"]
    list_filter = ["result"]
    list_select_related = ["inspection__community", "inspection__round", "item", "answered_by"]
