import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from districts.audit import audit_denied

from .security import LAST_SEEN_AT, LOGGED_IN_AT


def chinese_first(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Serve the portal in Chinese whatever language the browser asks for.

    Government offices often run English-language browsers and systems; the portal's language is Chinese unless
    the user picks another with the language switch (a cookie). Must sit before LocaleMiddleware.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return get_response(request)

    return middleware


class SessionTimeoutMiddleware:
    """Ends a session SESSION_IDLE_TIMEOUT seconds after its last request or SESSION_ABSOLUTE_TIMEOUT seconds after
    logging in, and sends the user to the login page with a message saying why.

    The last request's time is written at most once a minute, so a busy page does not save its session on every
    request. An API request on a timed-out session is answered as not logged in; an htmx request moves the whole
    page to the login page (a partial must not turn into a login form). What the inspector's checklist and a report's
    narrative hold stays in the browser until the server confirms it, so nothing typed is lost.
    """

    REFRESH_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            logged_in_at = session.setdefault(LOGGED_IN_AT, now)
            last_seen_at = session.get(LAST_SEEN_AT, now)
            if (
                now - logged_in_at >= settings.SESSION_ABSOLUTE_TIMEOUT
                or now - last_seen_at >= settings.SESSION_IDLE_TIMEOUT
            ):
                return self.timed_out(request)
            if LAST_SEEN_AT not in session or now - last_seen_at >= self.REFRESH_SECONDS:
                session[LAST_SEEN_AT] = now
        return self.get_response(request)

    def timed_out(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        if request.path.startswith("/api/"):
            return self.get_response(request)  # DRF answers 401 for a request that is no longer logged in
        messages.warning(request, _("Your login has timed out. Please log in again."))
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url(_page_path(request.headers.get("HX-Current-URL", ""), request))
            return response
        if request.method in {"GET", "HEAD"}:
            return redirect(login_url(request.get_full_path()))
        # A form sent after the timeout: back to the page it was sent from once logged in again.
        return redirect(login_url(_page_path(request.headers.get("Referer", ""), request)))


def _page_path(url: str, request: HttpRequest) -> str:
    """The path (and query) of `url` when it is one of ours, else ''."""
    if not url or not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return ""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def login_url(next_path: str) -> str:
    url = resolve_url(settings.LOGIN_URL)
    # Back to where the user was, unless that was the login page itself.
    return f"{url}?{urlencode({'next': next_path})}" if next_path and urlsplit(next_path).path != url else url


class DeniedAccessAuditMiddleware:
    """Writes every 403, and every 404 a logged-in user gets from a page that exists (an object outside their scope
    or not there at all), to the audit trail: one insert, and a failed insert never changes the answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        status = response.status_code
        if status == 403 or (status == 404 and request.resolver_match is not None and _logged_in(request)):
            reason = getattr(request, "_denied_reason", "") or f"HTTP {status}"
            audit_denied(request=request, status=status, reason=reason)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied | Http404):
            request._denied_reason = f"{type(exception).__name__}: {exception}".rstrip(": ")  # type: ignore[attr-defined]


def _logged_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)
