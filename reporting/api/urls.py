"""/api/v1/: the read-only API (reporting.api.views), its OpenAPI schema and the token endpoint."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from reporting.api import schema as api_schema
from reporting.api import views as api

router = SimpleRouter()
router.register("districts", api.DistrictViewSet, basename="api-district")
router.register("streets", api.StreetViewSet, basename="api-street")
router.register("communities", api.CommunityViewSet, basename="api-community")
router.register("standards", api.StandardCategoryViewSet, basename="api-standard")
router.register("progress", api.ProgressViewSet, basename="api-progress")

urlpatterns = [
    # The schema describes the endpoints, not the data, but like the rest of the API it is for signed-in users, and
    # answers a request without credentials as the rest of the API does: a JSON 401.
    path("schema/", api_schema.SchemaView.as_view(), name="api_schema"),
    path("auth/token/", api.TokenView.as_view(), name="api_token"),
    *router.urls,
    re_path(r"^(?P<rest>(?:.*/)?)$", api_schema.api_not_found, name="api_not_found"),
]
