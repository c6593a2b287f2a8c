"""The part of the send step every channel shares: send now or schedule, and say which happened.

Each channel's page builds its own form (credential, bot, rate) and passes how it launches and
how it schedules; this carries out a valid POST and leaves the page to draw otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format

from campaigns.models import Campaign, CampaignStatus
from campaigns.services import CampaignError
from campaigns.views.access import OfficerRequest, tell_while

Act = Callable[[Mapping[str, Any]], object]


def scheduling(request: OfficerRequest) -> bool:
    """Whether the officer pressed Schedule rather than Send now."""
    return "schedule" in request.POST


def send_or_schedule(
    request: OfficerRequest, campaign: Campaign, form: forms.Form, *, launch: Act, schedule: Act
) -> HttpResponse | None:
    """On a valid POST, launch or schedule with the form's data and go to the campaign's page;
    None when there is nothing to do or it was refused (the reason is then on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    data = form.cleaned_data
    later = scheduling(request)
    try:
        (schedule if later else launch)(data)
    except CampaignError as error:
        form.add_error(None, str(error))
        return None
    if later:
        at = date_format(timezone.localtime(data["scheduled_at"]), "j M Y, H:i")
        tell_while(
            request, CampaignStatus.SCHEDULED, f"“{campaign.name}” will be sent on {at} (Singapore time)."
        )
    else:
        tell_while(request, CampaignStatus.SENDING, f"Sending “{campaign.name}” has started.")
    return redirect("campaigns:detail", pk=campaign.pk)


def send_context(campaign: Campaign, form: forms.Form) -> dict[str, object]:
    return {
        "campaign": campaign,
        "form": form,
        "count": campaign.stats.queued,
        "ready": campaign.has_template and campaign.stats.queued > 0,
    }
