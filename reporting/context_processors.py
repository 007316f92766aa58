from typing import Any

from django.http import HttpRequest

from reporting.models import Notification


def notifications(request: HttpRequest) -> dict[str, Any]:
    """How many of the user's notifications are unread, for the link in the top bar (one COUNT query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()}


def campaign_picker(request: HttpRequest) -> dict[str, Any]:
    """The campaigns for the picker in the top bar: on the pages that are for one campaign (they chose it with
    `selected_campaign`, which read the campaigns), and only when there is more than one. No query of its own."""
    campaigns = getattr(request, "_portal_campaigns", None)
    chosen = getattr(request, "_portal_campaign", None)
    if not campaigns or len(campaigns) < 2 or chosen is None:
        return {}
    return {"portal_campaigns": campaigns, "portal_campaign": chosen.pk}
