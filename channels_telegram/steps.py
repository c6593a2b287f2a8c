"""A Telegram campaign's own steps: its bot and message, a test to the officer's own subscribed
number, sending or scheduling. The campaign views find the campaign among the officer's own and
hand it here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe

from campaigns import selectors as campaign_selectors
from campaigns import services as campaign_services
from campaigns.channels import DraftMessage
from campaigns.models import Campaign
from campaigns.templating import TemplateError
from campaigns.views.access import OfficerRequest
from campaigns.views.send_step import scheduling, send_context, send_or_schedule
from channels_telegram import selectors, services
from channels_telegram.forms import TelegramSendForm, TelegramTemplateForm, TelegramTestForm
from channels_telegram.recipients import HOW_TO_SUBSCRIBE
from channels_telegram.templating import (
    MAX_CHARACTERS,
    compile_layout,
    render_message,
    sanitise_template,
    visible_length,
)


def _steps(campaign: Campaign, active: int) -> dict[str, Any]:
    recipient_file = campaign_selectors.current_recipient_file(campaign)
    return {"steps": campaign_selectors.campaign_steps(campaign, recipient_file), "active_step": active}


def template_page(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    bots = selectors.owned_bots(request.user)
    initial = {"bot": selectors.campaign_bot(campaign) or bots.first(), "body": campaign.body}
    form = TelegramTemplateForm(
        request.POST if request.method == "POST" else None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_telegram_template(campaign=campaign, **form.cleaned_data)
        except (campaign_services.CampaignError, services.BotError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Message saved.")
            return redirect("campaigns:recipients", pk=campaign.pk)
    context = {
        "campaign": campaign,
        "form": form,
        "columns": campaign_selectors.file_columns(campaign),
        "has_bots": bots.exists(),
        "max_characters": MAX_CHARACTERS,
        "characters": _length_as_written(str(form["body"].value() or "")),
    }
    return render(request, "channels_telegram/template.html", context | _steps(campaign, 1))


def _length_as_written(body: str) -> int:
    """What the counter shows before any typing: the text as Telegram will count it, keywords as
    written (the page's script counts the same way as the officer types)."""
    try:
        return visible_length(sanitise_template(body))
    except TemplateError:
        return visible_length(body)


def draft_message(campaign: Campaign, data: Mapping[str, str]) -> DraftMessage:
    """The unsaved text reduced to Telegram's HTML as saving does, filled in by the code that sends."""
    layout = compile_layout(sanitise_template(data.get("body", "").strip()))

    def render(recipient: str, params: Mapping[str, str]) -> dict[str, object]:
        text = render_message(layout, recipient=recipient, params=dict(params))
        # Sanitised to Telegram's few tags (render_message): shown as Telegram shows it.
        return {"text": mark_safe(text), "characters": visible_length(text), "max_characters": MAX_CHARACTERS}

    return DraftMessage(layout.body.keywords, "channels_telegram/_draft_preview.html", render)


def test_page(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    form = TelegramTestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["phone"]
        try:
            services.send_telegram_test(campaign=campaign, to=to)
        except campaign_services.CampaignError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Test message sent to {to} on Telegram.")
            return redirect("campaigns:test_send", pk=campaign.pk)
    context = {
        "campaign": campaign,
        "form": form,
        "first": campaign_services.first_message(campaign),
        "bot": selectors.campaign_bot(campaign),
    }
    return render(request, "channels_telegram/test_send.html", context | _steps(campaign, 3))


def send_page(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    bot = selectors.campaign_bot(campaign)
    if bot is None:
        messages.error(request, "Choose one of your Telegram bots first.")
        return redirect("campaigns:template", pk=campaign.pk)
    form = TelegramSendForm(
        request.POST if request.method == "POST" else None, scheduling=scheduling(request), bot=bot
    )
    done = send_or_schedule(
        request,
        campaign,
        form,
        launch=lambda data: services.launch_telegram_campaign(
            campaign=campaign, by=request.user, send_rate=data["send_rate"]
        ),
        schedule=lambda data: services.schedule_telegram_campaign(
            campaign=campaign, by=request.user, at=data["scheduled_at"], send_rate=data["send_rate"]
        ),
    )
    if done is not None:
        return done
    context = send_context(campaign, form) | {"bot": bot}
    return render(request, "channels_telegram/send.html", context | _steps(campaign, 4))


def upload_context(campaign: Campaign) -> dict[str, object]:
    return {
        "channel_summary": "channels_telegram/_upload_summary.html",
        "telegram": selectors.campaign_telegram_settings(campaign),
        "how_to_subscribe": HOW_TO_SUBSCRIBE,
    }
