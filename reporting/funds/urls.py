from django.urls import path

from . import views

urlpatterns = [
    path("funds/", views.funds_home, name="funds_home"),
    path("funds/district/<code:code>/", views.funds_district, name="funds_district"),
    path("funds/district/<code:code>/new/", views.funds_entry_create, name="funds_entry_create"),
    path("funds/entries/<int:pk>/edit/", views.funds_entry_edit, name="funds_entry_edit"),
    path("funds/entries/<int:pk>/delete/", views.funds_entry_delete, name="funds_entry_delete"),
    path("funds/import/", views.funds_import, name="funds_import"),
    path("funds/import/template.xlsx", views.funds_import_template, name="funds_import_template"),
    path("funds/import/<uuid:token>/", views.funds_import_preview, name="funds_import_preview"),
    path("funds/import/<uuid:token>/cancel/", views.funds_import_cancel, name="funds_import_cancel"),
    path("funds/export.xlsx", views.funds_export, name="funds_export"),
]
