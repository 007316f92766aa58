from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter
from django.views.i18n import set_language

from greencommunity import views


class DivisionCode:
    regex = "[0-9]{6,12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DivisionCode, "code")

# Tells a database outage (503, in Chinese) from any other error (500.html).
handler500 = "greencommunity.errors.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("reporting.api.urls")),
    path("", include("districts.urls")),
    path("", include("reporting.urls")),
    path("", include("reporting.reports.evidence_urls")),
    path("", include("reporting.notifications.urls")),
    path("", include("reporting.reports.timeliness_urls")),
    path("", include("reporting.documents.urls")),
    path("", include("reporting.dashboards.urls")),
    path("", include("reporting.funds.urls")),
    path("", include("standards.urls")),
    path("", include("standards.inspection_urls")),
    path("", include("standards.acceptance_urls")),
    path("", include("standards.refinement_urls")),
    path("", include("reporting.supervision.urls")),
    path("", include("reporting.experience.urls")),
    path("", include("reporting.commendations.urls")),
]
