"""Request-level refusals, answered in the portal's language before any view (or Django) reads the request.

- `request_size_limit`: a body larger than REQUEST_MAX_BYTES is refused from its Content-Length alone. Django
  streams a file upload to disk before the view sees it, so without this a 200 MB "photo" would be written to the
  temporary folder in full just to be refused.
- `no_nul_characters`: a NUL character in a query parameter or a form field is refused. No one types one, and
  PostgreSQL cannot store one in a text column, so every such request would otherwise end in a server error.
- `csrf_failure`: the page shown when a form arrives without its CSRF token (Django's own page is in English).

Both middlewares run in the call phase, before any `process_view` (the CSRF check reads the form): list them
anywhere after the authentication and message middlewares.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def _refused(request: HttpRequest, *, title: str, message: str, status: int) -> HttpResponse:
    """The refusal as the asker reads it: JSON in DRF's shape for the API, the portal's page for everyone else."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
    return render(request, "refused.html", {"title": title, "message": message}, status=status)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def request_size_limit(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        limit = settings.REQUEST_MAX_BYTES
        if _declared_length(request) > limit:
            message = _(
                "The upload is too large: a request may carry at most %(limit)s. Make the file smaller and try again."
            ) % {"limit": filesizeformat(limit)}
            title = _("Upload too large")
            # No Connection header here: it is the server's to set (WSGI forbids hop-by-hop headers from the app).
            return _refused(request, title=title, message=message, status=413)
        return get_response(request)

    return middleware


def _has_nul(values: dict[str, list[str]]) -> bool:
    return any("\x00" in key or any("\x00" in value for value in vals) for key, vals in values.items())


def no_nul_characters(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        # request.POST holds only form fields (files are in request.FILES) and is empty for other bodies.
        if _has_nul(dict(request.GET.lists())) or (request.method == "POST" and _has_nul(dict(request.POST.lists()))):
            message = _("The request contains a NUL character, which no field accepts. Remove it and try again.")
            title = _("Bad request")
            return _refused(request, title=title, message=message, status=400)
        return get_response(request)

    return middleware


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the form was not sent from this portal's page, or the page was open for too long."""
    return render(request, "403_csrf.html", status=403)
