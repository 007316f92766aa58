"""Login security: the client's address, the limits on failed logins and the lockout page django-axes shows, and
the login time sessions time out from (greencommunity.middleware.SessionTimeoutMiddleware)."""

from __future__ import annotations

import datetime
import time
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models import Max, Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

# Session keys: when the user logged in and when the session last saw a request (Unix seconds).
LOGGED_IN_AT = "portal_logged_in_at"
LAST_SEEN_AT = "portal_last_seen_at"


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the outermost one saw
    (entries further left in X-Forwarded-For are whatever the client claimed, so never trusted)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if not count:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    return forwarded[-count] if len(forwarded) >= count else remote


def locked_until(*, username: str, ip_address: str) -> Any:
    """When the lockout of this username from this address ends: COOLOFF after its last recorded failure."""
    from axes.models import AccessAttempt

    last = AccessAttempt.objects.filter(username=username, ip_address=ip_address).aggregate(last=Max("attempt_time"))
    return (last["last"] or timezone.now()) + settings.AXES_COOLOFF_TIME


def _username_locked(*, username: str, ip_address: str) -> bool:
    from axes.models import AccessAttempt

    recent = AccessAttempt.objects.filter(
        username=username, ip_address=ip_address, attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
    )
    return (recent.aggregate(n=Sum("failures_since_start"))["n"] or 0) >= settings.AXES_FAILURE_LIMIT


def address_locked_until(ip_address: str | None) -> datetime.datetime | None:
    """When an address that failed LOGIN_ADDRESS_FAILURE_LIMIT times within the window, whatever the usernames, may
    try again: once the oldest of those failures has left the window (failures while locked out are not counted),
    or None if it is not locked."""
    from axes.models import AccessFailureLog

    if not ip_address:
        return None
    limit, window = settings.LOGIN_ADDRESS_FAILURE_LIMIT, settings.LOGIN_ADDRESS_WINDOW
    recent = AccessFailureLog.objects.filter(ip_address=ip_address, attempt_time__gt=timezone.now() - window)
    times = list(recent.order_by("-attempt_time").values_list("attempt_time", flat=True)[:limit])
    return times[-1] + window if len(times) == limit else None


class LoginFailureHandler(AxesDatabaseHandler):
    """django-axes' handler (one username from one address), plus a limit on one address across usernames, so trying
    a few passwords on many usernames from one place (password spraying) is stopped as well. Every failure is kept in
    django-axes' failure log for the window only; the audit trail keeps them all."""

    def is_locked(self, request: Any, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or address_locked_until(request.axes_ip_address) is not None

    def user_login_failed(self, sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        from axes.models import AccessFailureLog

        AccessFailureLog.objects.filter(attempt_time__lte=timezone.now() - settings.LOGIN_ADDRESS_WINDOW).delete()
        # The failure that reaches the limit is answered with the lockout page, as django-axes does for a username.
        if not getattr(request, "axes_locked_out", False) and address_locked_until(request.axes_ip_address):
            request.axes_locked_out = True
            request.axes_credentials = credentials


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The answer to a locked-out login: a page (or, for the API, JSON) saying until when and whom to ask."""
    username = str((credentials or {}).get("username") or request.POST.get("username", ""))[:150]
    ip_address = client_ip(request)
    address_until = address_locked_until(ip_address)
    by_address = address_until is not None and not _username_locked(username=username, ip_address=ip_address)
    if by_address:
        until = timezone.localtime(address_until)
        minutes = int(settings.LOGIN_ADDRESS_WINDOW.total_seconds() // 60)
        failure_limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
        message = _(
            "Too many failed logins from this address: %(count)d within %(minutes)d minutes, whatever the username. "
            "No one can log in from here until %(until)s. Try again after that."
        ) % {"count": failure_limit, "minutes": minutes, "until": f"{until:%H:%M}"}
    else:
        until = timezone.localtime(locked_until(username=username, ip_address=ip_address))
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        failure_limit = settings.AXES_FAILURE_LIMIT
        message = _(
            "Too many failed logins: %(username)s is locked out on this computer for %(minutes)d minutes, until "
            "%(until)s. Try again after that."
        ) % {"username": username, "minutes": minutes, "until": f"{until:%H:%M}"}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "locked_until": until.isoformat()}, status=429)
    context = {
        "username": username,
        "until": until,
        "minutes": minutes,
        "failure_limit": failure_limit,
        "by_address": by_address,
    }
    return render(request, "registration/lockout.html", context, status=429)


@receiver(user_logged_in)
def remember_login_time(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # The absolute session timeout counts from here; logging in again starts it afresh.
    session = getattr(request, "session", None)
    if session is not None:
        now = int(time.time())
        session[LOGGED_IN_AT] = now
        session[LAST_SEEN_AT] = now
