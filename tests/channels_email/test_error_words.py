"""SES's answers in words an officer understands, SES's code after them, on both send paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from campaigns.models import Message, MessageStatus
from channels_email.bulk import send_campaign_emails
from channels_email.errors import ses_words
from channels_email.rendering import layout_for
from tests.campaigns.test_engine import run_to_end, start
from tests.channels_email.test_bulk import Claimed
from tests.factories import make_email_campaign, people

pytestmark = pytest.mark.django_db

REJECTED = "Amazon SES refused this email: Email address is not verified (SES MessageRejected)"


@pytest.mark.parametrize(
    ("code", "message", "words"),
    [
        (
            "MailFromDomainNotVerifiedException",
            "The domain agency.gov.sg is not verified.",
            "The sender's domain is not verified in Amazon SES (SES MailFromDomainNotVerifiedException)",
        ),
        (
            "AccountSendingPausedException",
            "Sending is paused for this account.",
            "Sending is paused for the Amazon SES account: ask your administrator "
            "(SES AccountSendingPausedException)",
        ),
        (
            "LimitExceededException",
            "Daily message quota exceeded.",
            "The Amazon SES account has reached its sending quota; Postman tries again "
            "(SES LimitExceededException)",
        ),
        (
            "BadRequestException",
            "Illegal header in the message.",
            "Amazon SES found something wrong in the email: Illegal header in the message "
            "(SES BadRequestException)",
        ),
        # A code the table does not know keeps SES's own words, the code after them.
        (
            "SomethingNewException",
            "A new kind of trouble.",
            "A new kind of trouble (SES SomethingNewException)",
        ),
        ("SomethingNewException", "", "Amazon SES error SomethingNewException"),
    ],
)
def test_ses_words_say_the_reason_then_the_code(code: str, message: str, words: str) -> None:
    assert ses_words(code, message) == words


@pytest.mark.parametrize("bulk", [False, True], ids=["SendEmail", "SendBulkEmail"])
def test_a_refused_email_says_why_in_plain_words_on_either_path(
    officer: Any, ses_provider: Any, settings: Any, tmp_path: Path, bulk: bool
) -> None:
    settings.SES_BULK_SEND = bulk
    layout = layout_for(make_email_campaign(officer, [], tmp_path=tmp_path))
    ses_provider.configure(ses_rejected_addresses=["tan@example.com"])

    [result] = send_campaign_emails(layout, [Claimed(1, "tan@example.com", {"name": "Tan", "code": "1"})])

    assert (result.error_code, result.error, result.permanent) == ("MessageRejected", REJECTED, True)


def test_the_export_gives_each_failure_in_plain_words(
    officer: Any, officer_client: Any, ses_provider: Any, tmp_path: Path
) -> None:
    ses_provider.configure(ses_rejected_addresses=["person1@example.com"])
    campaign = start(make_email_campaign(officer, people(3), tmp_path=tmp_path))
    run_to_end(campaign)

    response = officer_client.get(f"/campaigns/{campaign.pk}/export.csv")
    export = b"".join(response.streaming_content).decode()

    failed = Message.objects.get(recipient="person1@example.com")
    assert (failed.status, failed.error) == (MessageStatus.FAILED, REJECTED)
    assert f"person1@example.com,failed,MessageRejected,{REJECTED}," in export
