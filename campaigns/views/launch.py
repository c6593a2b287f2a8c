"""The campaign page: a draft's steps, the send confirmation, and live progress once sending."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import HTMX_STOP_POLLING

from campaigns import selectors, services
from campaigns.forms import SendForm
from campaigns.models import Campaign
from campaigns.views.access import OfficerRequest, campaign_view


@campaign_view
@require_safe
def detail(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    recipient_file = selectors.current_recipient_file(campaign)
    context: dict[str, Any] = {
        "campaign": campaign,
        "recipient_file": recipient_file,
        "steps": selectors.campaign_steps(campaign, recipient_file),
    }
    if not campaign.is_editable:
        context["progress"] = selectors.campaign_progress(campaign)
    return render(request, "campaigns/detail.html", context)


@campaign_view
@require_safe
def progress(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    """The polled fragment of the campaign page; HTTP 286 tells htmx to stop once it is over."""
    if not request.htmx:
        return redirect("campaigns:detail", pk=campaign.pk)
    context = {"campaign": campaign, "progress": selectors.campaign_progress(campaign)}
    status = HTMX_STOP_POLLING if campaign.is_finished else 200
    return render(request, "campaigns/detail.html#progress", context, status=status)


@campaign_view
@require_http_methods(["GET", "POST"])
def send(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    if not campaign.is_editable:
        messages.info(request, "This campaign has already been sent or scheduled.")
        return redirect("campaigns:detail", pk=campaign.pk)
    form = SendForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.launch_campaign(
                campaign=campaign, by=request.user, send_rate=form.cleaned_data["send_rate"]
            )
        except services.CampaignError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Sending “{campaign.name}” has started.")
            return redirect("campaigns:detail", pk=campaign.pk)
    recipient_file = selectors.current_recipient_file(campaign)
    context = {
        "campaign": campaign,
        "form": form,
        "count": campaign.stats.queued,
        "ready": campaign.has_template and campaign.stats.queued > 0,
        "steps": selectors.campaign_steps(campaign, recipient_file),
        "active_step": 4,
    }
    return render(request, "campaigns/send.html", context)
