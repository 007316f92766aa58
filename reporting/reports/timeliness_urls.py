"""URL routes of the reporting rate and timeliness page."""

from django.urls import path

from reporting.reports import timeliness_views

urlpatterns = [
    path("reports/timeliness/", timeliness_views.reporting_timeliness, name="reporting_timeliness"),
]
