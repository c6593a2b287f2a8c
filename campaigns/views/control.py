"""Controlling a campaign once it has left the draft: reschedule, cancel, pause, resume, retry.

Each button on the campaign page asks for confirmation before it posts here; each service
records who did it and when.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from campaigns import control
from campaigns.forms import ScheduleForm
from campaigns.models import Campaign, CampaignStatus
from campaigns.services import CampaignError
from campaigns.views.access import OfficerRequest, campaign_view, tell_while


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "j M Y, H:i")


@campaign_view
@require_http_methods(["GET", "POST"])
def reschedule(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    if campaign.status != CampaignStatus.SCHEDULED:
        messages.info(request, "Only a scheduled campaign that has not started can be given a new time.")
        return redirect("campaigns:detail", pk=campaign.pk)
    initial = {"scheduled_at": timezone.localtime(campaign.scheduled_at) if campaign.scheduled_at else None}
    form = ScheduleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        at = form.cleaned_data["scheduled_at"]
        try:
            control.schedule_campaign(campaign=campaign, by=request.user, at=at)
        except CampaignError as error:
            form.add_error(None, str(error))
        else:
            tell_while(
                request,
                CampaignStatus.SCHEDULED,
                f"“{campaign.name}” will now be sent on {_when(at)} (Singapore time).",
            )
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/schedule.html", {"campaign": campaign, "form": form})


def _act(
    request: OfficerRequest, campaign: Campaign, act: Callable[[], object], done: str, *, leads_to: str
) -> HttpResponse:
    try:
        act()
    except CampaignError as error:
        messages.error(request, str(error))
    else:
        tell_while(request, leads_to, done)
    return redirect("campaigns:detail", pk=campaign.pk)


@campaign_view
@require_POST
def cancel_schedule(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    return _act(
        request,
        campaign,
        lambda: control.cancel_schedule(campaign=campaign, by=request.user),
        f"The schedule is cancelled: “{campaign.name}” is a draft again.",
        leads_to=CampaignStatus.DRAFT,
    )


@campaign_view
@require_POST
def pause(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    return _act(
        request,
        campaign,
        lambda: control.pause_campaign(campaign=campaign, by=request.user),
        "Paused. Messages already handed to the provider still go out; resume to send the rest.",
        leads_to=CampaignStatus.PAUSED,
    )


@campaign_view
@require_POST
def resume(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    return _act(
        request,
        campaign,
        lambda: control.resume_campaign(campaign=campaign, by=request.user),
        f"Sending “{campaign.name}” again.",
        leads_to=CampaignStatus.SENDING,
    )


@campaign_view
@require_POST
def retry(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    try:
        count = control.retry_failed(campaign=campaign, by=request.user)
    except CampaignError as error:
        messages.error(request, str(error))
    else:
        tell_while(
            request,
            CampaignStatus.SENDING,
            f"Sending {count:,} failed message{'' if count == 1 else 's'} again.",
        )
    return redirect("campaigns:detail", pk=campaign.pk)
