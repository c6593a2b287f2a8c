"""Reads for the Telegram pages: an officer's bots with their subscriber counts, a campaign's bot."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from campaigns.models import Campaign
from channels_telegram.models import CampaignTelegramSettings, SubscriberStatus, TelegramBot


def owned_bots(user: Any) -> QuerySet[TelegramBot]:
    return TelegramBot.objects.filter(owner=user).order_by("username", "id")


def owned_bots_with_counts(user: Any) -> QuerySet[TelegramBot]:
    """Each bot with `subscribed` and `stopped` counted in the same query."""
    return owned_bots(user).annotate(
        subscribed=Count("subscribers", filter=Q(subscribers__status=SubscriberStatus.SUBSCRIBED)),
        stopped=Count(
            "subscribers",
            filter=Q(subscribers__status__in=[SubscriberStatus.STOPPED, SubscriberStatus.BLOCKED]),
        ),
    )


def owned_bot(user: Any, pk: int) -> TelegramBot:
    """The officer's own bot; 404 for anyone else's."""
    return get_object_or_404(owned_bots(user), pk=pk)


def campaign_bot(campaign: Campaign) -> TelegramBot | None:
    """The bot chosen for the campaign, and only while the campaign's owner still owns it."""
    return TelegramBot.objects.filter(
        campaign_settings__campaign_id=campaign.pk, owner_id=campaign.owner_id
    ).first()


def campaign_telegram_settings(campaign: Campaign) -> CampaignTelegramSettings | None:
    return CampaignTelegramSettings.objects.select_related("bot").filter(campaign=campaign).first()
