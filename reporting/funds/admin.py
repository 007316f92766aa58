"""The list of funding sources is data the commission keeps in the admin (audited like every admin change). Funds
lines are not edited here: they go through the services, which check the district's scope."""

from django.contrib import admin

from districts.admin import AuditedAdmin

from .models import FundingSource


@admin.register(FundingSource)
class FundingSourceAdmin(AuditedAdmin):
    list_display = ("name", "code", "order", "is_active")
    list_editable = ("order", "is_active")
    ordering = ("order", "code")
