"""Login security: the client's address, the lockout page django-axes shows, and the login time sessions time out
from (greencommunity.middleware.SessionTimeoutMiddleware)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models import Max
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


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The answer to a locked-out login: a page (or, for the API, JSON) saying until when and whom to ask."""
    username = str((credentials or {}).get("username") or request.POST.get("username", ""))[:150]
    until = timezone.localtime(locked_until(username=username, ip_address=client_ip(request)))
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
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
        "failure_limit": settings.AXES_FAILURE_LIMIT,
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
