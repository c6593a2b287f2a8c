"""SMS settings (the officer's Twilio credentials) and Twilio's status callbacks."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from campaigns import selectors as campaign_selectors
from campaigns import services as campaign_services
from campaigns.channels import DraftMessage
from campaigns.models import Campaign
from campaigns.templating import compile_template
from campaigns.views.access import OfficerRequest
from campaigns.views.send_step import scheduling, send_context, send_or_schedule
from channels_sms import selectors, services
from channels_sms.callbacks import answer_callback
from channels_sms.forms import CredentialForm, SmsSendForm, SmsTemplateForm, SmsTestSendForm
from channels_sms.rendering import SmsLayout, render_body
from channels_sms.segments import MAX_CHARACTERS, count_segments


@sensitive_post_parameters("auth_token", "api_key_secret")
@login_required
@require_http_methods(["GET", "POST"])
def credentials(request: OfficerRequest) -> HttpResponse:
    form = CredentialForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            credential = services.add_credential(owner=request.user, **form.cleaned_data)
        except services.CredentialError as error:
            form.add_error(None, str(error))
        else:
            to = form.cleaned_data["test_number"]
            messages.success(request, f"Saved “{credential.label}”. Twilio accepted a test SMS to {to}.")
            return redirect("channels_sms:credentials")
    context = {"form": form, "credentials": selectors.owned_credentials(request.user)}
    return render(request, "channels_sms/credentials.html", context)


@login_required
@require_POST
def delete_credential(request: OfficerRequest, pk: int) -> HttpResponse:
    credential = selectors.owned_credential(request.user, pk)
    try:
        services.delete_credential(credential=credential)
    except services.CredentialError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Deleted “{credential.label}”. Postman no longer holds its secrets.")
    return redirect("channels_sms:credentials")


@csrf_exempt  # Twilio posts here; X-Twilio-Signature is the check
@require_POST
def status_callback(request: HttpRequest, message_id: int, token: str) -> HttpResponse:
    return answer_callback(
        request, functools.partial(services.accept_status_callback, message_id=message_id, token=token)
    )


# The SMS steps of a campaign. The campaign views look the campaign up among the officer's own
# (404 otherwise) and hand SMS campaigns to these.


def _steps(campaign: Campaign, active: int) -> dict[str, Any]:
    recipient_file = campaign_selectors.current_recipient_file(campaign)
    return {"steps": campaign_selectors.campaign_steps(campaign, recipient_file), "active_step": active}


def template_page(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    form = SmsTemplateForm(
        request.POST if request.method == "POST" else None, initial={"body": campaign.body}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_sms_template(campaign=campaign, body=form.cleaned_data["body"])
        except campaign_services.CampaignError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Message saved.")
            return redirect("campaigns:recipients", pk=campaign.pk)
    context = {
        "campaign": campaign,
        "form": form,
        "columns": campaign_selectors.file_columns(campaign),
        "counter": count_segments(str(form["body"].value() or "").replace("\r\n", "\n").strip()),
        "max_characters": MAX_CHARACTERS,
    }
    return render(request, "channels_sms/template.html", context | _steps(campaign, 1))


def draft_message(campaign: Campaign, data: Mapping[str, str]) -> DraftMessage:
    """The unsaved text as SmsTemplateForm cleans it, filled in by the code that sends."""
    layout = SmsLayout(body=compile_template(data.get("body", "").strip().replace("\r\n", "\n")))

    def render(recipient: str, params: Mapping[str, str]) -> dict[str, object]:
        text = render_body(layout, recipient=recipient, params=params)
        return {"text": text, "counter": count_segments(text), "max_characters": MAX_CHARACTERS}

    return DraftMessage(layout.body.keywords, "channels_sms/_draft_preview.html", render)


def test_page(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    own = services.verified_mobiles(request.user)
    form = SmsTestSendForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        initial={"credential": selectors.chosen_credential(campaign), "phone": own[0] if own else ""},
    )
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["phone"]
        try:
            services.send_sms_test(campaign=campaign, credential=form.cleaned_data["credential"], to=to)
        except campaign_services.CampaignError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Test SMS sent to {to}.")
            return redirect("campaigns:test_send", pk=campaign.pk)
    context = {"campaign": campaign, "form": form, "first": campaign_services.first_message(campaign)}
    return render(request, "channels_sms/test_send.html", context | _steps(campaign, 3))


def send_page(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    form = SmsSendForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        scheduling=scheduling(request),
        initial={"credential": selectors.chosen_credential(campaign), "send_rate": settings.SMS_DEFAULT_RATE},
    )
    done = send_or_schedule(
        request,
        campaign,
        form,
        launch=lambda data: services.launch_sms_campaign(
            campaign=campaign, by=request.user, credential=data["credential"], send_rate=data["send_rate"]
        ),
        schedule=lambda data: services.schedule_sms_campaign(
            campaign=campaign,
            by=request.user,
            credential=data["credential"],
            send_rate=data["send_rate"],
            at=data["scheduled_at"],
        ),
    )
    if done is not None:
        return done
    context = send_context(campaign, form) | {
        "sms": selectors.campaign_sms_settings(campaign),
        "has_credentials": selectors.owned_credentials(request.user).exists(),
    }
    return render(request, "channels_sms/send.html", context | _steps(campaign, 4))
