from django.urls import path

from . import import_views, officials_views, views

urlpatterns = [
    path("communities/<code:code>/edit/", views.community_edit, name="community_edit"),
    path("audit/", views.audit_list, name="audit_list"),
    path("roster/import/", import_views.roster_import, name="roster_import"),
    path("roster/import/template.xlsx", import_views.roster_import_template, name="roster_import_template"),
    path("roster/import/<uuid:token>/", import_views.roster_import_preview, name="roster_import_preview"),
    path("roster/import/<uuid:token>/cancel/", import_views.roster_import_cancel, name="roster_import_cancel"),
    path("roster/export/", import_views.roster_export, name="roster_export"),
    path("officials/", officials_views.officials_list, name="officials_list"),
    path("officials/district/<code:code>/", officials_views.officials_edit_district, name="officials_edit_district"),
    path(
        "officials/department/<slug:code>/", officials_views.officials_edit_department, name="officials_edit_department"
    ),
]
