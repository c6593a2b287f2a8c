from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_provider.server import FakeProvider
from tests.fake_provider.test_server import SIMPLE_EMAIL, ses_client


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider(seed=1) as provider:
        yield provider


def bulk_request(names: list[str], **template: Any) -> dict[str, Any]:
    content = {
        "Subject": "Hello {{{name}}}",
        "Html": "<p>Dear {{name}}, {{{html}}}</p>",
        "Text": "Dear {{{name}}}",
        **template,
    }
    return {
        "FromEmailAddress": "Agency via Postman <donotreply@postman.example.gov.sg>",
        "ReplyToAddresses": ["officer@agency.gov.sg"],
        "ConfigurationSetName": "postman",
        "DefaultContent": {
            "Template": {
                "TemplateContent": content,
                "TemplateData": json.dumps({"html": "<b>default</b>"}),
                "Headers": [{"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"}],
            }
        },
        "BulkEmailEntries": [
            {
                "Destination": {"ToAddresses": [f"{name.lower().split()[0]}@example.com"]},
                "ReplacementEmailContent": {
                    "ReplacementTemplate": {"ReplacementTemplateData": json.dumps({"name": name})}
                },
                "ReplacementHeaders": [{"Name": "List-Unsubscribe", "Value": f"<https://x.gov.sg/u/{i}>"}],
            }
            for i, name in enumerate(names)
        ],
    }


def test_bulk_email_renders_each_entry_with_its_own_values_and_headers(fake: FakeProvider) -> None:
    answer = ses_client(fake.url).send_bulk_email(**bulk_request(["Tan <Ah Kow>", "Siti & co"]))

    results = answer["BulkEmailEntryResults"]
    assert [r["Status"] for r in results] == ["SUCCESS", "SUCCESS"]
    tan, siti = fake.messages("email")
    assert [tan["id"], siti["id"]] == [r["MessageId"] for r in results]
    assert tan["to"] == ["tan@example.com"]
    assert tan["subject"] == "Hello Tan <Ah Kow>"
    assert tan["html"] == "<p>Dear Tan &lt;Ah Kow&gt;, <b>default</b></p>"  # {{ }} escapes, {{{ }}} does not
    assert tan["text"] == "Dear Tan <Ah Kow>"
    assert siti["html"] == "<p>Dear Siti &amp; co, <b>default</b></p>"
    assert tan["headers"] == {
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Unsubscribe": "<https://x.gov.sg/u/0>",
    }
    assert siti["headers"]["List-Unsubscribe"] == "<https://x.gov.sg/u/1>"
    assert (tan["from"], tan["reply_to"], tan["configuration_set"]) == (
        "Agency via Postman <donotreply@postman.example.gov.sg>",
        ["officer@agency.gov.sg"],
        "postman",
    )
    assert tan["bulk_call"] == siti["bulk_call"]


def test_bulk_values_are_never_read_as_template_text(fake: FakeProvider) -> None:
    ses_client(fake.url).send_bulk_email(**bulk_request(["{{html}} {{{name}}}"]))

    [message] = fake.messages("email")
    assert message["text"] == "Dear {{html}} {{{name}}}"


def test_bulk_entry_throttled_or_failing_is_answered_per_entry_and_not_logged(fake: FakeProvider) -> None:
    fake.configure(max_rate_per_second=3)

    answer = ses_client(fake.url).send_bulk_email(**bulk_request(["A", "B", "C", "D", "E"]))

    statuses = [r["Status"] for r in answer["BulkEmailEntryResults"]]
    assert statuses == ["SUCCESS"] * 3 + ["ACCOUNT_THROTTLED"] * 2
    assert [m["to"] for m in fake.messages("email")] == [
        ["a@example.com"],
        ["b@example.com"],
        ["c@example.com"],
    ]
    assert (fake.stats()["email"]["accepted"], fake.stats()["email"]["throttled"]) == (3, 2)


def test_bulk_entry_transient_failure_drawn_per_entry(fake: FakeProvider) -> None:
    fake.configure(error_rate=0.5, seed=4)

    answer = ses_client(fake.url).send_bulk_email(**bulk_request([f"P{i}" for i in range(40)]))

    statuses = [r["Status"] for r in answer["BulkEmailEntryResults"]]
    assert set(statuses) == {"SUCCESS", "TRANSIENT_FAILURE"}
    assert len(fake.messages("email")) == statuses.count("SUCCESS")


def test_rejected_address_refused_in_bulk_entry_and_in_send_email(fake: FakeProvider) -> None:
    fake.configure(ses_rejected_addresses=["b@example.com", "tan@example.com"])
    client = ses_client(fake.url)

    answer = client.send_bulk_email(**bulk_request(["A", "B"]))
    with pytest.raises(ClientError) as refused:
        client.send_email(**SIMPLE_EMAIL)

    assert [r["Status"] for r in answer["BulkEmailEntryResults"]] == ["SUCCESS", "MESSAGE_REJECTED"]
    assert refused.value.response["Error"]["Code"] == "MessageRejected"
    assert [m["to"] for m in fake.messages("email")] == [["a@example.com"]]


def test_bulk_call_failure_fails_the_whole_call_once(fake: FakeProvider) -> None:
    fake.configure(ses_bulk_call_failures=1)
    client = ses_client(fake.url)

    with pytest.raises(ClientError) as failed:
        client.send_bulk_email(**bulk_request(["A", "B"]))
    again = client.send_bulk_email(**bulk_request(["A", "B"]))

    assert failed.value.response["Error"]["Code"] == "InternalFailure"
    assert [r["Status"] for r in again["BulkEmailEntryResults"]] == ["SUCCESS", "SUCCESS"]
    assert len(fake.messages("email")) == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"Html": "{{#if name}}hi{{/if}}"}, "template logic"),
        ("stored", "inline TemplateContent"),
        ("51 entries", "1 to 50 entries"),
    ],
)
def test_bulk_request_the_fake_cannot_honour_is_refused(fake: FakeProvider, change: Any, reason: str) -> None:
    request = bulk_request(
        ["A"] * (51 if change == "51 entries" else 1), **(change if isinstance(change, dict) else {})
    )
    if change == "stored":
        request["DefaultContent"]["Template"] = {"TemplateName": "welcome", "TemplateData": "{}"}

    with pytest.raises(ClientError) as refused:
        ses_client(fake.url).send_bulk_email(**request)

    assert refused.value.response["Error"]["Code"] == "BadRequestException"
    assert reason in refused.value.response["Error"]["Message"]
    assert fake.messages() == []


def test_keep_bodies_off_logs_addresses_only(fake: FakeProvider) -> None:
    fake.configure(keep_bodies=False)

    ses_client(fake.url).send_bulk_email(**bulk_request(["A"]))

    [message] = fake.messages("email")
    assert message["to"] == ["a@example.com"]
    assert "html" not in message and "text" not in message and "subject" not in message
