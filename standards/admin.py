from django.contrib import admin

from districts.admin import AuditedAdmin

from .models import StandardCategory, StandardItem


class StandardItemInline(admin.TabularInline):
    model = StandardItem
    extra = 0


@admin.register(StandardCategory)
class StandardCategoryAdmin(AuditedAdmin):
    list_display = ["number", "name"]
    filter_horizontal = ["departments"]
    inlines = [StandardItemInline]


@admin.register(StandardItem)
class StandardItemAdmin(AuditedAdmin):
    list_display = ["number", "text", "category", "allows_not_applicable"]
    list_filter = ["category"]
