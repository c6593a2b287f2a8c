"""The campaign page: a draft's steps, the send confirmation, and live progress once sending."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import HTMX_STOP_POLLING

from campaigns import control, selectors, services
from campaigns.forms import SendForm
from campaigns.models import Campaign, CampaignStatus
from campaigns.views.access import OfficerRequest, campaign_view
from channels_sms import views as sms_views


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
        context |= _progress_context(campaign)
    context["actions"] = campaign.actions.select_related("by")[:20]
    return render(request, "campaigns/detail.html", context)


def _progress_context(campaign: Campaign) -> dict[str, Any]:
    retryable = control.retryable(campaign) if campaign.status == CampaignStatus.SENT else 0
    return {"progress": selectors.campaign_progress(campaign), "retryable": retryable}


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
    if campaign.channel == "sms":
        return sms_views.send_page(request, campaign)
    scheduling = "schedule" in request.POST
    form = SendForm(request.POST if request.method == "POST" else None, scheduling=scheduling)
    if request.method == "POST" and form.is_valid():
        try:
            _send_or_schedule(request, campaign, form.cleaned_data, scheduling=scheduling)
        except services.CampaignError as error:
            form.add_error(None, str(error))
        else:
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


def _send_or_schedule(
    request: OfficerRequest, campaign: Campaign, data: dict[str, Any], *, scheduling: bool
) -> None:
    if scheduling:
        control.schedule_campaign(
            campaign=campaign, by=request.user, at=data["scheduled_at"], send_rate=data["send_rate"]
        )
        at = date_format(timezone.localtime(data["scheduled_at"]), "j M Y, H:i")
        messages.success(request, f"“{campaign.name}” will be sent on {at} (Singapore time).")
    else:
        services.launch_campaign(campaign=campaign, by=request.user, send_rate=data["send_rate"])
        messages.success(request, f"Sending “{campaign.name}” has started.")
