"""Which campaign a page is for, and what that campaign measures (its standard version's items)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Subquery
from django.http import HttpRequest

from reporting.models import Campaign
from standards.models import StandardCategory, StandardItem
from standards.selectors import standard_categories, standard_items

SESSION_KEY = "campaign"


def campaign_items(campaign: Campaign) -> QuerySet[StandardItem]:
    """The items of the campaign's standard, in order, with their category."""
    return standard_items(standard=campaign.standard_id)


def campaign_categories(campaign: Campaign) -> QuerySet[StandardCategory]:
    return standard_categories(standard=campaign.standard_id)


def campaign_from_query(raw: Any) -> Campaign | None:
    """The campaign a `?campaign=<id>` names, or None for a missing or unknown id (never an error)."""
    raw = str(raw or "").strip()
    if not (raw.isdecimal() and raw.isascii() and len(raw) < 10):
        return None
    return Campaign.objects.select_related("standard").filter(pk=int(raw)).first()


def selected_campaign(request: HttpRequest) -> Campaign | None:
    """The campaign the reader is looking at: `?campaign=<id>` chooses one and the session keeps the choice for the
    pages after; without a choice, the current campaign. Every reader sees every campaign (a campaign is city-wide;
    what it holds is scoped by each page)."""
    chosen = campaign_from_query(request.GET.get("campaign"))
    session = getattr(request, "session", None)
    if chosen is not None:
        if session is not None and session.get(SESSION_KEY) != chosen.pk:
            session[SESSION_KEY] = chosen.pk
        return chosen
    if session is not None and session.get(SESSION_KEY):
        kept = campaign_from_query(session.get(SESSION_KEY))
        if kept is not None:
            return kept
    return Campaign.objects.current()


def current_standard_items() -> QuerySet[StandardItem]:
    """The current campaign's items, as a lazy query (forms declare their choices once, read them per use): the
    campaign `Campaign.objects.current()` answers, the one marked current or else the latest to start."""
    current = Campaign.objects.order_by("-is_current", "-starts_on").values("standard")[:1]
    return StandardItem.objects.filter(version=Subquery(current)).order_by("number")
