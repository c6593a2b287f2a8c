"""Reads for the SMS pages: the officer's credentials and a campaign's SMS summary."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from campaigns.models import Campaign
from channels_sms.models import SmsCampaignSettings, TwilioCredential


def owned_credentials(user: Any) -> QuerySet[TwilioCredential]:
    return TwilioCredential.objects.filter(owner=user).order_by("label", "id")


def owned_credential(user: Any, pk: int) -> TwilioCredential:
    """The officer's own credential; 404 for anyone else's."""
    return get_object_or_404(owned_credentials(user), pk=pk)


def campaign_sms_settings(campaign: Campaign) -> SmsCampaignSettings | None:
    return SmsCampaignSettings.objects.select_related("credential").filter(campaign=campaign).first()


def chosen_credential(campaign: Campaign) -> TwilioCredential | None:
    """The campaign's credential if it is still its owner's, for the forms' initial choice."""
    settings = campaign_sms_settings(campaign)
    if settings is None or settings.credential is None or settings.credential.owner_id != campaign.owner_id:
        return None
    return settings.credential
