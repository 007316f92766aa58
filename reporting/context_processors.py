from typing import Any

from django.http import HttpRequest

from reporting.models import Notification


def notifications(request: HttpRequest) -> dict[str, Any]:
    """How many of the user's notifications are unread, for the link in the top bar (one COUNT query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()}
