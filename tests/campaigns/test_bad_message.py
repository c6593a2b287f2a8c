"""One message that cannot be built or sent fails on its own, with a reason; the campaign goes on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from campaigns import engine
from campaigns.delivery import BUILD_ERROR
from campaigns.models import Campaign, CampaignStats, CampaignStatus, Message, MessageStatus
from tests.factories import make_email_campaign, people
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("counters_hold")]


def send_all(campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    for _ in range(20):
        if not engine.run_for(campaign.pk, seconds=30, sleep=lambda s: None):
            return
    raise AssertionError("campaign did not finish")


def message_to(campaign: Campaign, recipient: str) -> Message:
    return Message.objects.get(campaign=campaign, recipient=recipient)


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        settings.EMAIL_PROVIDER = "smtp"
        settings.SMTP_HOST, settings.SMTP_PORT = "127.0.0.1", sink.port
        yield sink


def test_message_that_cannot_be_built_fails_alone_and_the_campaign_finishes(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    campaign = make_email_campaign(officer, people(10), tmp_path=tmp_path)
    # A row written by something other than the ingest, whose value is not text.
    Message.objects.filter(recipient="person4@example.com").update(params={"name": ["not", "text"]})

    send_all(campaign)

    bad = message_to(campaign, "person4@example.com")
    assert bad.status == MessageStatus.FAILED
    assert bad.error_code == BUILD_ERROR
    assert bad.error.startswith("This message could not be prepared because of an error on our side (")
    assert bad.error_permanent
    assert sorted(m["to"][0] for m in ses_provider.messages()) == sorted(
        f"person{i}@example.com" for i in range(10) if i != 4
    )
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.queued, stats.sending, stats.sent, stats.failed) == (0, 0, 9, 1)


def test_email_the_email_library_refuses_fails_alone_with_its_reason(
    officer: Any, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    campaign = make_email_campaign(officer, people(6), tmp_path=tmp_path)
    # An address loaded before recipients were checked for control characters.
    bad_address = "person2@example.com\r\nBcc: everyone@example.com"
    Message.objects.filter(recipient="person2@example.com").update(recipient=bad_address)

    send_all(campaign)

    bad = message_to(campaign, bad_address)
    assert bad.status == MessageStatus.FAILED
    assert bad.error_code == "InvalidMessage"
    assert bad.error.startswith(f"Invalid address {bad_address!r}")
    assert sorted(email["To"] for email in smtp_sink.received) == [
        f"person{i}@example.com" for i in (0, 1, 3, 4, 5)
    ]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert not Message.objects.filter(campaign=campaign, status=MessageStatus.SENDING).exists()
