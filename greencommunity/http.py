"""Request types for views and admin methods that only ever see a signed-in user."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    """A request that `@login_required` (or the admin's own login) let through: its user is a real user, never
    AnonymousUser. Only an annotation: Django builds the request as usual."""

    user: User
