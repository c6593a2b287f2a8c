"""The campaign page: a draft's steps, the send confirmation, and live progress once sending."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import HTMX_STOP_POLLING

from campaigns import control, selectors
from campaigns.channels import pages_for
from campaigns.models import Campaign, CampaignAction, CampaignStatus
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
    if campaign.is_editable:
        context["actions"] = history(campaign)
    else:
        context |= _progress_context(campaign)
    return render(request, "campaigns/detail.html", context)


def history(campaign: Campaign) -> list[CampaignAction]:
    return list(campaign.actions.select_related("by")[:20])


def _progress_context(campaign: Campaign) -> dict[str, Any]:
    """The polled part: counters, controls, and the history, which gains "Sending finished" live."""
    retryable = control.retryable(campaign) if campaign.status == CampaignStatus.SENT else 0
    # Not while sending: the page polls every second then, and the reasons can wait for a pause
    # or the end (the poll that sees the end carries them).
    counting = campaign.status != CampaignStatus.SENDING and campaign.stats.failed > 0
    return {
        "progress": selectors.campaign_progress(campaign),
        "retryable": retryable,
        "actions": history(campaign),
        "failure_reasons": selectors.failure_reasons(campaign) if counting else [],
    }


@campaign_view
@require_safe
def progress(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    """The polled fragment of the campaign page; HTTP 286 tells htmx to stop once it is over."""
    if not request.htmx:
        return redirect("campaigns:detail", pk=campaign.pk)
    context = {"campaign": campaign, **_progress_context(campaign)}
    status = HTMX_STOP_POLLING if campaign.is_finished else 200
    return render(request, "campaigns/detail.html#progress", context, status=status)


@campaign_view
@require_http_methods(["GET", "POST"])
def send(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    if not campaign.is_editable:
        messages.info(request, "This campaign has already been sent or scheduled.")
        return redirect("campaigns:detail", pk=campaign.pk)
    return pages_for(campaign).send_step(request, campaign)
