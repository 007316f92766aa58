"""Which campaign a page is for, and what that campaign measures (its standard version's items)."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone

from reporting.models import Campaign
from standards.models import StandardCategory, StandardItem
from standards.selectors import standard_categories, standard_items

SESSION_KEY = "campaign"


def campaign_items(campaign: Campaign) -> QuerySet[StandardItem]:
    """The items of the campaign's standard, in order, with their category."""
    return standard_items(standard=campaign.standard_id)


def campaign_categories(campaign: Campaign) -> QuerySet[StandardCategory]:
    return standard_categories(standard=campaign.standard_id)


def request_campaigns(request: HttpRequest) -> list[Campaign]:
    """Every campaign, newest first, read once per request: the page's campaign is chosen from them, and the picker
    in the top bar lists them without another query."""
    campaigns = getattr(request, "_portal_campaigns", None)
    if campaigns is None:
        campaigns = list(Campaign.objects.select_related("standard").order_by("-starts_on", "-pk"))
        setattr(request, "_portal_campaigns", campaigns)  # noqa: B010 - HttpRequest declares no such attribute
    return campaigns


def selected_campaign(request: HttpRequest) -> Campaign | None:
    """The campaign the reader is looking at: `?campaign=<id>` chooses one and the session keeps the choice for the
    pages after; without a choice, the current campaign (as `Campaign.objects.current()`: the one marked current,
    else the latest to start). Every reader sees every campaign (a campaign is city-wide; what it holds is scoped by
    each page)."""
    campaigns = request_campaigns(request)
    by_id = {str(campaign.pk): campaign for campaign in campaigns}
    session = getattr(request, "session", None)
    chosen = by_id.get(str(request.GET.get("campaign", "")).strip())
    if chosen is not None and session is not None and session.get(SESSION_KEY) != chosen.pk:
        session[SESSION_KEY] = chosen.pk
    if chosen is None and session is not None:
        chosen = by_id.get(str(session.get(SESSION_KEY, "")))
    if chosen is None:
        chosen = next((c for c in campaigns if c.is_current), campaigns[0] if campaigns else None)
    setattr(request, "_portal_campaign", chosen)  # noqa: B010 - read by the picker's context processor
    return chosen


def campaign_years(campaign: Campaign, *, today: datetime.date | None = None) -> list[int]:
    """The years a campaign's work is commended for: from the year it starts to the year it ends, or, for the latest
    campaign (the portal goes on after it ends until another one opens), to this year; never past this year. A year
    two campaigns share belongs to both."""
    this_year = (today or timezone.localdate()).year
    followed = Campaign.objects.filter(starts_on__gt=campaign.starts_on).exists()
    last = min(campaign.ends_on.year if followed else this_year, this_year)
    return list(range(campaign.starts_on.year, last + 1))


def current_standard_items() -> QuerySet[StandardItem]:
    """The current campaign's items, as a lazy query (forms declare their choices once, read them per use): the
    campaign `Campaign.objects.current()` answers, the one marked current or else the latest to start."""
    current = Campaign.objects.order_by("-is_current", "-starts_on").values("standard")[:1]
    return StandardItem.objects.filter(version=Subquery(current)).order_by("number")


def current_standard_id() -> int | None:
    """The standard of the campaign `Campaign.objects.current()` answers (the one marked current, else the latest to
    start), in one query: what `standards.selectors.current_standard_id` asks for."""
    return Campaign.objects.order_by("-is_current", "-starts_on").values_list("standard", flat=True).first()


def picked_standard_id(request: HttpRequest) -> int | None:
    """The standard of the campaign the reader picked: what `standards.selectors.picked_standard_id` asks for."""
    campaign = selected_campaign(request)
    return campaign.standard_id if campaign else None
