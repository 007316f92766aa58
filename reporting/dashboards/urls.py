"""URL routes of the dashboards, the drill-down below them, their Excel exports and the district map's boundaries."""

from django.urls import path

from reporting.dashboards import progress_views
from reporting.dashboards import views as dashboard_views

urlpatterns = [
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/district/<code:code>/", dashboard_views.dashboard_district, name="dashboard_district"),
    path("dashboard/street/<code:code>/", progress_views.dashboard_street, name="dashboard_street"),
    path("dashboard/community/<code:code>/", progress_views.dashboard_community, name="dashboard_community"),
    path("dashboard/department/", dashboard_views.dashboard_department, name="dashboard_department"),
    path(
        "dashboard/department/items/<int:number>/failed/",
        dashboard_views.dashboard_item_failures,
        name="dashboard_item_failures",
    ),
    path("dashboard/export.xlsx", dashboard_views.dashboard_export, name="dashboard_export"),
    path("dashboard/map/tianjin-districts.geojson", dashboard_views.dashboard_map, name="dashboard_map"),
]
