"""A copied SMS campaign keeps the officer's Twilio credential, so it is ready to send again."""

from __future__ import annotations

import pytest

from accounts.models import User
from campaigns import services as campaign_services
from channels_sms import services
from channels_sms.models import SmsCampaignSettings
from tests.channels_sms.conftest import make_credential

pytestmark = pytest.mark.django_db


def test_a_copy_sends_with_the_same_credential(officer: User) -> None:
    credential = make_credential(officer)
    campaign = campaign_services.create_campaign(owner=officer, name="Reminders", channel="sms")
    services.choose_credential(campaign=campaign, credential=credential)

    copy = campaign_services.duplicate_campaign(campaign=campaign, by=officer)

    assert SmsCampaignSettings.objects.get(campaign=copy).credential == credential


def test_a_copy_without_a_credential_has_none(officer: User) -> None:
    campaign = campaign_services.create_campaign(owner=officer, name="Reminders", channel="sms")

    copy = campaign_services.duplicate_campaign(campaign=campaign, by=officer)

    assert not SmsCampaignSettings.objects.filter(campaign=copy, credential__isnull=False).exists()
