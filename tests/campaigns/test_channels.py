"""The channel registry: each channel app registers itself; the campaign core knows none of them."""

from __future__ import annotations

import pytest
from django.test import Client

from campaigns.channels import UnknownChannel, channel_for, registered_channels
from campaigns.models import Channel


def test_every_channel_app_registered_itself_with_its_normaliser() -> None:
    assert sorted(registered_channels()) == sorted(Channel.values)
    assert {c: channel_for(c).normaliser for c in registered_channels()} == {
        "email": "channels_email.addresses:normalise_email",
        "sms": "common.phones:normalise_phone",
        "telegram": "common.phones:normalise_phone",
    }


def test_a_channel_nobody_registered_is_a_clear_error() -> None:
    with pytest.raises(UnknownChannel, match="No channel app registered 'fax'"):
        channel_for("fax")


@pytest.mark.django_db
def test_new_campaign_page_offers_each_registered_channel(officer_client: Client) -> None:
    page = officer_client.get("/campaigns/new/").content.decode()

    for value in ("email", "sms", "telegram"):
        assert f'value="{value}"' in page
