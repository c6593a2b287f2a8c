"""Twilio's answers in words an officer understands, Twilio's code after them."""

from __future__ import annotations

import pytest

from channels_sms.callbacks import delivery_error
from channels_sms.errors import twilio_words


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
