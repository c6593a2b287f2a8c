from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from audit.models import AuditEvent
from campaigns.models import Campaign
from campaigns.views.access import OfficerRequest

SHOWN = 500


@login_required
@require_safe
def campaign_history(request: OfficerRequest, pk: int) -> HttpResponse:
    """The audit trail of one of the officer's own campaigns (404 for anyone else's)."""
    campaign = get_object_or_404(Campaign.objects.owned_by(request.user), pk=pk)
    events = AuditEvent.objects.filter(campaign_id=campaign.pk)[:SHOWN]
    return render(request, "audit/campaign_history.html", {"campaign": campaign, "events": events})
