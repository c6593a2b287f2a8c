"""An email campaign's own steps: the message (subject, body, sender), a test email, sending or
scheduling. The campaign views find the campaign among the officer's own and hand it here."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from campaigns import control, selectors, services
from campaigns.forms import SendForm
from campaigns.models import Campaign
from campaigns.templating import TemplateError
from campaigns.views.access import OfficerRequest
from campaigns.views.send_step import scheduling, send_context, send_or_schedule
from channels_email import identities
from channels_email import services as email_services
from channels_email.forms import EmailTemplateForm, TestSendForm
from channels_email.variants import variant_for


def _steps(campaign: Campaign, active: int) -> dict[str, Any]:
    recipient_file = selectors.current_recipient_file(campaign)
    return {"steps": selectors.campaign_steps(campaign, recipient_file), "active_step": active}


def template_page(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    if variant := variant_for(campaign):
        return variant.template_page(request, campaign)
    initial = {
        "subject": campaign.subject,
        "body": campaign.body,
        "body_format": campaign.body_format,
        "sender_name": campaign.sender_name,
        "reply_to": campaign.reply_to or request.user.email,
        "from_email": campaign.from_email,
        "show_agency_logo": campaign.show_agency_logo,
        "track_opens": campaign.track_opens,
    }
    form = EmailTemplateForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        platform_address=identities.platform_address(),
        from_addresses=identities.usable_from_addresses(request.user),
        agency_name=request.user.agency.shown_name if request.user.agency else "",
    )
    if request.method == "POST" and form.is_valid():
        try:
            email_services.save_email_template(campaign=campaign, **form.cleaned_data)
        except services.CampaignError as error:
            form.add_error(None, str(error))
        except TemplateError as error:
            form.add_error(None, [problem.message for problem in error.problems])
        else:
            messages.success(request, "Message saved.")
            return redirect("campaigns:recipients", pk=campaign.pk)
    context = {"campaign": campaign, "form": form, "columns": selectors.file_columns(campaign)}
    return render(request, "channels_email/template.html", context | _steps(campaign, 1))


def test_page(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    form = TestSendForm(
        request.POST if request.method == "POST" else None, initial={"email": request.user.email}
    )
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["email"]
        try:
            email_services.send_email_test(campaign=campaign, to=to)
        except services.CampaignError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Test email sent to {to}.")
            return redirect("campaigns:test_send", pk=campaign.pk)
    context = {"campaign": campaign, "form": form, "first": services.first_message(campaign)}
    return render(request, "channels_email/test_send.html", context | _steps(campaign, 3))


def send_page(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    form = SendForm(request.POST if request.method == "POST" else None, scheduling=scheduling(request))
    done = send_or_schedule(
        request,
        campaign,
        form,
        launch=lambda data: services.launch_campaign(
            campaign=campaign, by=request.user, send_rate=data["send_rate"]
        ),
        schedule=lambda data: control.schedule_campaign(
            campaign=campaign, by=request.user, at=data["scheduled_at"], send_rate=data["send_rate"]
        ),
    )
    if done is not None:
        return done
    return render(request, "channels_email/send.html", send_context(campaign, form) | _steps(campaign, 4))
