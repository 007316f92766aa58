from typing import Any

from django.http import HttpRequest

from reporting.campaigns.selectors import SESSION_KEY
from reporting.models import Campaign, Notification


def notifications(request: HttpRequest) -> dict[str, Any]:
    """How many of the user's notifications are unread, for the link in the top bar (one COUNT query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()}


def campaign_picker(request: HttpRequest) -> dict[str, Any]:
    """The campaigns for the picker in the top bar, shown only when there is more than one (one query); the chosen
    one is the session's, else the current one, as `selected_campaign` reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    campaigns = list(Campaign.objects.order_by("-starts_on").values("pk", "name", "is_current"))
    if len(campaigns) < 2:
        return {}
    chosen = request.GET.get("campaign") or request.session.get(SESSION_KEY)
    selected = next((c["pk"] for c in campaigns if str(c["pk"]) == str(chosen)), None)
    if selected is None:
        selected = next((c["pk"] for c in campaigns if c["is_current"]), campaigns[0]["pk"])
    return {"portal_campaigns": campaigns, "portal_campaign": selected}
