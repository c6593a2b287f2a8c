"""Who may open a campaign page: its owner, logged in; everyone else gets 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django_htmx.middleware import HtmxDetails

from accounts.models import User
from campaigns.models import Campaign
from campaigns.selectors import owned_campaign


class OfficerRequest(HttpRequest):
    """A request behind login_required: the user is an officer, never anonymous."""

    user: User
    htmx: HtmxDetails


CampaignView = Callable[[OfficerRequest, Campaign], HttpResponseBase]


def campaign_view(view: CampaignView) -> Callable[[HttpRequest, int], HttpResponseBase]:
    """Log in, then look the campaign up among the officer's own, before anything else.

    The lookup runs before the method checks (require_POST) that decorate `view`, so another
    officer's campaign answers 404 to every method and says nothing about whether it exists.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, pk: int) -> HttpResponseBase:
        campaign = owned_campaign(request.user, pk)
        return view(request, campaign)  # type: ignore[arg-type]  # login_required ran

    return wrapper


def tell_while(request: HttpRequest, status: str, text: str) -> None:
    """A success message that holds only while the campaign is in `status`, the one it led to.

    base.html leaves it out of a page whose campaign has already moved on, and progress.js
    removes it once the polled progress shows another status: no "has started" above a Sent badge.
    """
    messages.success(request, text, extra_tags=f"while-{status}")
