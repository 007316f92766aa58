"""What the API promises beyond its data: strict paging, its error answers (in the portal's language) and their
place in the OpenAPI schema, so a client (and Schemathesis, in the tests) can rely on every status code it gets."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from drf_spectacular.views import SpectacularAPIView
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import exception_handler

from reporting.api.auth import API_AUTHENTICATION


class Detail(serializers.Serializer):
    detail = serializers.CharField(help_text="Why, in the portal's language (Chinese by default).")


# drf-spectacular reads a serializer's fields; a map of parameter names to messages is described by hand.
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"date": ["日期格式应为“年-月-日”（YYYY-MM-DD），例如 2021-05-31。"]},
}

ERROR_RESPONSES = {
    400: OpenApiResponse(
        FIELD_ERRORS_SCHEMA, description="A query parameter is not valid: each refused parameter with its reasons."
    ),
    401: OpenApiResponse(Detail, description="Not signed in: no token or session, or an unknown token."),
    403: OpenApiResponse(Detail, description="Signed in by session but the request lacks its CSRF token."),
    404: OpenApiResponse(
        Detail,
        description="No such code, one outside your scope (the two are not told apart), or a page past the last.",
    ),
}


class PortalSessionScheme(SessionScheme):
    """Documents the session in the schema as DRF's own session authentication is."""

    target_class = "reporting.api.auth.PortalSessionAuthentication"


class ApiAutoSchema(AutoSchema):
    """Every operation documents the error answers it can give, besides its data."""

    def get_response_serializers(self) -> Any:
        responses = super().get_response_serializers()
        by_status = responses if isinstance(responses, dict) else {200: responses}
        return {**ERROR_RESPONSES, **by_status}


class ApiPagination(PageNumberPagination):
    """PAGE_SIZE from settings; a client may ask for up to 1000 rows a page (more is read as 1000). A page or page
    size that is not a whole number from 1 up is a 400 naming the parameter (DRF would quietly use the default); a
    page past the last is 404."""

    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request: Any) -> int:
        # PAGE_SIZE is set in settings, so DRF's page size is never None here.
        default = self.page_size or 1
        return min(_whole_number(request, self.page_size_query_param, default=default), self.max_page_size)

    def get_page_number(self, request: Any, paginator: Any) -> int:
        return _whole_number(request, self.page_query_param, default=1)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Rows a page, at most {self.max_page_size} (more is read as {self.max_page_size})."
                )
        return parameters


def _whole_number(request: Any, name: str, *, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise exceptions.ValidationError({name: [_("Give a whole number from 1 up.")]})
    return value


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's handler, but a 404 or 403 raised by the portal's own access helpers says only "not found" / "not
    allowed" in the user's language, never the model's English name."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return exception_handler(exc, context)


def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other address under /api/v1/ (a code that is not a division code, a typo): JSON like the API, not the
    portal's HTML page."""
    return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=404)


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema (YAML, or JSON with ?format=json), for signed-in users like the rest of the API; a refusal
    is the API's JSON error, not a YAML document."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc: Exception) -> Any:
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)
