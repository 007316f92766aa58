"""How the API knows who asks: a token, or the browser's session. Kept apart from the API's views and schema, as
DRF's settings import these classes while DRF itself is still loading."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication


class PortalSessionAuthentication(SessionAuthentication):
    """The browser's session, with the CSRF refusal of an unsafe request said in the portal's language (DRF's own
    reads "CSRF Failed: …" in English)."""

    def enforce_csrf(self, request: Any) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            raise exceptions.PermissionDenied(
                _(
                    "The request lacks its security token (CSRF). Reload the page and try again, or send a token "
                    "(Authorization: Token …) instead of the session."
                )
            ) from exc


# Token first, so a request without credentials is a 401 with `WWW-Authenticate: Token` rather than a 403 — the
# schema's own address included.
API_AUTHENTICATION = [TokenAuthentication, PortalSessionAuthentication]
