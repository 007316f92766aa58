from django.contrib import admin

from districts.admin import AuditedAdmin, ReadOnlyAdmin
from reporting.models import Campaign, Deadline, DocumentNumberCounter, Enrolment, Milestone, Phase


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


class DeadlineInline(admin.TabularInline):
    model = Deadline
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(AuditedAdmin):
    list_display = ["name", "starts_on", "ends_on", "is_current"]
    inlines = [PhaseInline, MilestoneInline, DeadlineInline]


@admin.register(DocumentNumberCounter)
class DocumentNumberCounterAdmin(AuditedAdmin):
    """Where the bulletins' numbers continue: set the last number given, e.g. to follow documents issued on paper."""

    list_display = ["pattern", "year", "last_number"]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    """Enrolment changes go through the district's enrolment page (a service audits them)."""

    list_display = ["community", "kind", "joined_on", "withdrawn_on", "campaign"]
    list_filter = ["kind", "campaign", "community__district"]
    search_fields = ["community__name", "community__code"]
    list_select_related = ["community", "campaign"]
