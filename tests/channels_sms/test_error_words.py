"""Twilio's answers in words an officer understands, Twilio's code after them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from campaigns.models import Campaign, CampaignStatus
from channels_sms.callbacks import delivery_error
from channels_sms.errors import twilio_words
from tests.campaigns.test_control import text_of
from tests.campaigns.test_engine import run_to_end
from tests.channels_sms.conftest import make_credential, make_sms_campaign, number, phones


@pytest.mark.parametrize(
    ("code", "message", "words"),
    [
        (20003, "Authenticate", "The account SID or auth token is wrong (Twilio 20003)"),
        (
            "21612",
            "The 'To' phone number is not currently reachable",
            "Twilio cannot send from this sender to this number (Twilio 21612)",
        ),
        ("30007", "", "The mobile carrier filtered the message as spam (Twilio 30007)"),
        (
            429,
            "Too Many Requests",
            "Twilio is getting too many requests at once; Postman tries again (Twilio 429)",
        ),
        # A code the table does not know keeps Twilio's own words, the code after them.
        (21999, "Something new happened.", "Something new happened (Twilio 21999)"),
        (21999, "", "Twilio error 21999"),
    ],
)
def test_twilio_words_say_the_reason_then_the_code(code: object, message: str, words: str) -> None:
    assert twilio_words(code, message) == words


def test_a_delivery_report_reads_as_not_delivered_in_plain_words() -> None:
    assert delivery_error("failed", "30005") == (
        "Not delivered: The number does not exist or is no longer in use (Twilio 30005)"
    )
    assert delivery_error("sent", "") == ""


@pytest.mark.django_db
def test_the_progress_page_says_why_messages_failed_in_plain_words(
    officer: User, officer_client: Client, twilio: Any, tmp_path: Path
) -> None:
    twilio.configure(twilio_error_numbers={number(0): 21408, number(1): 21408, number(2): 30002})
    campaign = make_sms_campaign(officer, phones(4), tmp_path=tmp_path, credential=make_credential(officer))
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    run_to_end(campaign)

    page = text_of(officer_client.get(f"/campaigns/{campaign.pk}/"))

    assert (
        "Why messages failed "
        "The Twilio account may not send SMS to this country: allow it in Twilio's geo permissions "
        "(Twilio 21408): 2 messages "
        "The Twilio account is suspended (Twilio 30002): 1 message "
        "The commonest reasons; the results CSV gives each message's reason."
    ) in page
