"""Telegram as a campaign channel: the engine's sender and the campaign steps that are Telegram's own.

Registered with the campaign core from ChannelsTelegramConfig.ready(). Recipients are phone
numbers normalised as for SMS (common.phones), which is also the form residents' shared
contacts are stored in, so an uploaded row meets its subscriber on the same string.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.http import HttpResponse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from campaigns.channels import DraftMessage, register_channel
from campaigns.models import Campaign, Channel
from campaigns.services import first_rendered
from campaigns.views.access import OfficerRequest
from channels_telegram import steps
from channels_telegram.models import CampaignTelegramSettings
from channels_telegram.reach import check_reach
from channels_telegram.sending import OutgoingTelegram, TelegramSender
from channels_telegram.services import choose_bot

NORMALISER = "common.phones:normalise_phone"


class TelegramCampaignSender(TelegramSender):
    def after_load(self, campaign: Campaign) -> None:
        check_reach(campaign)

    def after_duplicate(self, source: Campaign, copy: Campaign) -> None:
        """The copy sends with the same bot, when it is the copying officer's own."""
        chosen = CampaignTelegramSettings.objects.filter(campaign=source).select_related("bot").first()
        if chosen is not None and chosen.bot is not None and chosen.bot.owner_id == copy.owner_id:
            choose_bot(campaign=copy, bot=chosen.bot)

    def launch_problem(self, campaign: Campaign) -> str:
        return ""


def first_telegram(campaign: Campaign) -> OutgoingTelegram | None:
    """The first sendable recipient's message, rendered exactly as it will be sent."""
    return first_rendered(campaign, TelegramCampaignSender())


class TelegramPages:
    def template_step(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse:
        return steps.template_page(request, campaign)

    def test_step(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse:
        return steps.test_page(request, campaign)

    def send_step(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse:
        return steps.send_page(request, campaign)

    def preview(self, campaign: Campaign) -> HttpResponse:
        item = first_telegram(campaign)
        if item is None:
            return HttpResponse("<p>There is no recipient to preview yet.</p>")
        # The text is Telegram HTML, sanitised to its few tags (templating.py) and shown in the
        # upload page's sandboxed frame; Telegram's line breaks are plain newlines.
        text = mark_safe(item.text)
        return HttpResponse(format_html('<div style="white-space: pre-wrap">{}</div>', text))

    def upload_context(self, campaign: Campaign) -> Mapping[str, object]:
        return steps.upload_context(campaign) | {"preview": first_telegram(campaign)}

    def draft(self, campaign: Campaign, data: Mapping[str, str]) -> DraftMessage:
        return steps.draft_message(campaign, data)


def register() -> None:
    register_channel(
        Channel.TELEGRAM, sender=TelegramCampaignSender(), pages=TelegramPages(), normaliser=NORMALISER
    )
