from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from fake_provider.server import FakeProvider
from fake_provider.twilio_api import sms_segments

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token"
SIMPLE_EMAIL: dict[str, Any] = {
    "FromEmailAddress": "Officer <officer@example.gov>",
    "Destination": {"ToAddresses": ["tan@example.com"], "BccAddresses": ["audit@example.gov"]},
    "Content": {
        "Simple": {
            "Subject": {"Data": "Flood warning"},
            "Body": {
                "Text": {"Data": "Move to high ground."},
                "Html": {"Data": "<p>Move to high ground.</p>"},
            },
            "Headers": [{"Name": "List-Unsubscribe", "Value": "<mailto:stop@example.gov>"}],
        }
    },
    "ConfigurationSetName": "postman",
    "EmailTags": [{"Name": "campaign", "Value": "42"}],
}


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider(seed=1) as provider:
        yield provider


def ses_client(url: str, access_key: str = "x") -> Any:
    return boto3.client(
        "sesv2",
        endpoint_url=url,
        region_name="ap-southeast-1",
        aws_access_key_id=access_key,
        aws_secret_access_key="y",
        # botocore's "max_attempts" counts retries; total_max_attempts=1 means one try.
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def twilio_client(url: str, token: str = AUTH_TOKEN) -> Client:
    client = Client(ACCOUNT_SID, token)
    # Every request URL is built from the domain's public base_url.
    client.api.base_url = url
    return client


class Receiver(BaseHTTPRequestHandler):
    """A tiny status-callback endpoint that queues what it is sent."""

    server: Any

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.server.received.put((self.path, self.headers["X-Twilio-Signature"], dict(parse_qsl(body))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Any]:
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received = queue.Queue()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/twilio/status"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_send_email_simple_recorded_with_subject_and_html(fake: FakeProvider) -> None:
    reply = ses_client(fake.url).send_email(**SIMPLE_EMAIL)

    [message] = fake.messages()
    assert reply["MessageId"] == message["id"]
    assert message["channel"] == "email"
    assert message["subject"] == "Flood warning"
    assert message["html"] == "<p>Move to high ground.</p>"
    assert message["text"] == "Move to high ground."
    assert message["to"] == ["tan@example.com"]
    assert message["bcc"] == ["audit@example.gov"]
    assert message["from"] == "Officer <officer@example.gov>"
    assert message["headers"] == {"List-Unsubscribe": "<mailto:stop@example.gov>"}
    assert message["tags"] == {"campaign": "42"}
    assert message["account"] == "x"
    assert abs(message["at"] - time.time()) < 5


def test_send_email_raw_recorded_from_mime_headers(fake: FakeProvider) -> None:
    mime = (
        b"From: Officer <officer@example.gov>\r\nTo: Tan <tan@example.com>, lee@example.com\r\n"
        b"Subject: Raw notice\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<b>Hi</b>\r\n"
    )

    ses_client(fake.url).send_email(Content={"Raw": {"Data": mime}})

    [message] = fake.messages()
    assert message["subject"] == "Raw notice"
    assert message["to"] == ["tan@example.com", "lee@example.com"]
    assert message["from"] == "Officer <officer@example.gov>"
    assert message["html"] == "<b>Hi</b>\r\n"
    assert message["text"] is None


def test_send_email_throttled_raises_too_many_requests_and_is_not_logged(fake: FakeProvider) -> None:
    fake.configure(throttle_rate=1.0)

    with pytest.raises(ClientError) as caught:
        ses_client(fake.url).send_email(**SIMPLE_EMAIL)

    assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert caught.value.response["Error"]["Message"] == "Maximum sending rate exceeded."
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert fake.messages() == []
    assert fake.stats()["email"] == {"accepted": 0, "throttled": 1, "errored": 0, "rejected": 0}


def test_send_email_injected_error_is_internal_failure(fake: FakeProvider) -> None:
    fake.configure(error_rate=1.0)

    with pytest.raises(ClientError) as caught:
        ses_client(fake.url).send_email(**SIMPLE_EMAIL)

    assert caught.value.response["Error"]["Code"] == "InternalFailure"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert fake.stats()["email"]["errored"] == 1


def test_send_email_beyond_max_rate_per_second_throttled(fake: FakeProvider) -> None:
    fake.configure(max_rate_per_second=3)
    ses = ses_client(fake.url)
    outcomes = []

    for _ in range(5):
        try:
            ses.send_email(**SIMPLE_EMAIL)
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
    time.sleep(1.05)
    ses.send_email(**SIMPLE_EMAIL)

    assert outcomes == ["ok"] * 3 + ["TooManyRequestsException"] * 2
    assert len(fake.messages()) == 4


def test_get_account_reports_send_quota_and_refuses_bad_key(fake: FakeProvider) -> None:
    fake.configure(max_rate_per_second=14)

    account = ses_client(fake.url).get_account()
    with pytest.raises(ClientError) as caught:
        ses_client(fake.url, access_key="bad-key").get_account()

    assert account["SendQuota"]["MaxSendRate"] == 14.0
    assert account["SendingEnabled"] is True
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_twilio_create_recorded_and_parsed(fake: FakeProvider) -> None:
    created = twilio_client(fake.url).messages.create(to="+6591234567", from_="+6560000000", body="Hello")

    [message] = fake.messages()
    assert created.sid == message["id"]
    assert created.sid.startswith("SM") and len(created.sid) == 34
    assert (created.status, created.to, created.from_, created.body) == (
        "queued",
        "+6591234567",
        "+6560000000",
        "Hello",
    )
    assert created.account_sid == ACCOUNT_SID
    assert created.error_code is None
    assert created.num_segments == "1"
    assert message["channel"] == "sms"
    assert (message["to"], message["from"], message["body"]) == ("+6591234567", "+6560000000", "Hello")
    assert message["account"] == ACCOUNT_SID


def test_twilio_create_throttled_raises_20429(fake: FakeProvider) -> None:
    fake.configure(throttle_rate=1.0)

    with pytest.raises(TwilioRestException) as caught:
        twilio_client(fake.url).messages.create(to="+6591234567", from_="+6560000000", body="Hi")

    assert (caught.value.status, caught.value.code) == (429, 20429)
    assert fake.messages() == []
    assert fake.stats()["sms"]["throttled"] == 1


def test_twilio_create_error_number_raises_configured_code(fake: FakeProvider) -> None:
    fake.configure(twilio_error_numbers={"+6580000000": 21211})

    with pytest.raises(TwilioRestException) as caught:
        twilio_client(fake.url).messages.create(to="+6580000000", from_="+6560000000", body="Hi")

    assert (caught.value.status, caught.value.code) == (400, 21211)
    assert (
        caught.value.msg
        == "Unable to create record: The 'To' number +6580000000 is not a valid phone number."
    )
    assert fake.messages() == []
    assert fake.stats()["sms"]["rejected"] == 1


def test_twilio_fetch_account_active_unless_bad_token(fake: FakeProvider) -> None:
    account = twilio_client(fake.url).api.v2010.accounts(ACCOUNT_SID).fetch()
    with pytest.raises(TwilioRestException) as caught:
        twilio_client(fake.url, token="bad-token").api.v2010.accounts(ACCOUNT_SID).fetch()

    assert (account.sid, account.status) == (ACCOUNT_SID, "active")
    assert (caught.value.status, caught.value.code) == (401, 20003)


def test_status_callback_arrives_signed_sent_then_delivered(fake: FakeProvider, receiver: Any) -> None:
    fake.configure(callback_delay_ms=0)

    created = twilio_client(fake.url).messages.create(
        to="+6591234567", from_="+6560000000", body="Hi", status_callback=receiver.url
    )
    posts = [receiver.received.get(timeout=5) for _ in range(2)]

    assert [form["MessageStatus"] for _, _, form in posts] == ["sent", "delivered"]
    path, signature, form = posts[1]
    assert path == "/twilio/status"
    assert (form["MessageSid"], form["AccountSid"], form["To"]) == (created.sid, ACCOUNT_SID, "+6591234567")
    assert "ErrorCode" not in form
    assert RequestValidator(AUTH_TOKEN).validate(receiver.url, form, signature) is True
    assert RequestValidator("another-token").validate(receiver.url, form, signature) is False


def test_status_callback_signed_with_configured_token_and_reports_failure(
    fake: FakeProvider, receiver: Any
) -> None:
    fake.configure(
        callback_delay_ms=0,
        twilio_auth_tokens={ACCOUNT_SID: "primary-token"},
        twilio_failed_numbers={"+6591110000": 30003},
    )

    twilio_client(fake.url).messages.create(
        to="+6591110000", from_="+6560000000", body="Hi", status_callback=receiver.url
    )
    _, signature, form = receiver.received.get(timeout=5)

    assert (form["MessageStatus"], form["ErrorCode"]) == ("failed", "30003")
    assert RequestValidator("primary-token").validate(receiver.url, form, signature) is True
    assert receiver.received.empty()


@pytest.mark.parametrize(
    "url", ["http://example.com/status", "https://127.0.0.1/status", "http://127.0.0.1.example.com/s"]
)
def test_status_callback_to_non_loopback_url_refused(fake: FakeProvider, url: str) -> None:
    fake.configure(callback_delay_ms=0)

    twilio_client(fake.url).messages.create(
        to="+6591234567", from_="+6560000000", body="Hi", status_callback=url
    )

    assert len(fake.messages()) == 1
    assert fake.stats()["callbacks"] == {"sent": 0, "failed": 0, "refused": 1}


def test_latency_applied_to_provider_calls_only(fake: FakeProvider) -> None:
    fake.configure(latency_ms=300)
    ses = ses_client(fake.url)

    started = time.monotonic()
    ses.send_email(**SIMPLE_EMAIL)
    send_seconds = time.monotonic() - started
    started = time.monotonic()
    requests.get(f"{fake.url}/_fake/stats", timeout=5)
    control_seconds = time.monotonic() - started

    assert send_seconds >= 0.3
    assert control_seconds < 0.3


def test_log_file_written_one_json_line_per_accepted_message(tmp_path: Path) -> None:
    log_path = tmp_path / "var" / "fake_provider.jsonl"

    with FakeProvider(log_path=log_path, twilio_error_numbers={"+6580000000": 21211}) as fake:
        ses_client(fake.url).send_email(**SIMPLE_EMAIL)
        client = twilio_client(fake.url)
        client.messages.create(to="+6591234567", from_="+6560000000", body="Hi")
        with pytest.raises(TwilioRestException):
            client.messages.create(to="+6580000000", from_="+6560000000", body="Hi")
        logged = fake.messages()

    lines = log_path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == logged
    assert [entry["channel"] for entry in logged] == ["email", "sms"]


def test_control_api_configures_lists_and_resets(fake: FakeProvider) -> None:
    http = requests.Session()
    http.trust_env = False  # never route loopback calls through a developer's proxy
    http.post(f"{fake.url}/_fake/config", json={"latency_ms": 1, "max_rate_per_second": 50}, timeout=5)
    ses_client(fake.url).send_email(**SIMPLE_EMAIL)
    twilio_client(fake.url).messages.create(to="+6591234567", from_="+6560000000", body="Hi")

    config = http.get(f"{fake.url}/_fake/config", timeout=5).json()
    since_one = http.get(f"{fake.url}/_fake/messages?since=1", timeout=5).json()
    stats = http.get(f"{fake.url}/_fake/stats", timeout=5).json()
    bad = http.post(f"{fake.url}/_fake/config", json={"nonsense": 1}, timeout=5)
    http.delete(f"{fake.url}/_fake/messages", timeout=5)

    assert (config["latency_ms"], config["max_rate_per_second"]) == (1.0, 50)
    assert [m["channel"] for m in since_one] == ["sms"]
    assert (stats["email"]["accepted"], stats["sms"]["accepted"]) == (1, 1)
    assert (bad.status_code, bad.json()) == (400, {"message": "unknown config keys: nonsense"})
    assert http.get(f"{fake.url}/_fake/messages", timeout=5).json() == []
    assert fake.stats()["email"]["accepted"] == 0


def test_throttle_rate_seeded_reproducible(fake: FakeProvider) -> None:
    fake.configure(throttle_rate=0.5, seed=7)
    ses = ses_client(fake.url)

    def outcomes() -> list[bool]:
        fake.reset()
        results = []
        for _ in range(12):
            try:
                ses.send_email(**SIMPLE_EMAIL)
                results.append(True)
            except ClientError:
                results.append(False)
        return results

    first, second = outcomes(), outcomes()

    assert first == second
    assert 0 < sum(first) < 12


@pytest.mark.parametrize(
    ("body", "segments"),
    [("a" * 160, 1), ("a" * 161, 2), ("€" * 80, 1), ("€" * 81, 2), ("你" * 70, 1), ("你" * 71, 2)],
)
def test_sms_segments_gsm7_and_ucs2(body: str, segments: int) -> None:
    assert sms_segments(body) == segments
