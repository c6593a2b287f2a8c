"""A local stand-in for Amazon SNS: a key and self-signed certificate, and signed messages.

`FakeAws` replaces channels_email.sns.http_get, so the certificate "download" and the
subscription confirmation never leave the process, and records every URL asked for.
"""

from __future__ import annotations

import base64
import functools
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

TOPIC = "arn:aws:sns:ap-southeast-1:123456789012:postman-ses-events"
CERT_URL = "https://sns.ap-southeast-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"
SUBSCRIBE_URL = (
    "https://sns.ap-southeast-1.amazonaws.com/?Action=ConfirmSubscription"
    f"&TopicArn={TOPIC}&Token=2336412f37fb687f5d51e6e2425"
)
_FIELDS = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": [
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ],
}


@functools.cache
def shared_key_and_cert() -> tuple[rsa.RSAPrivateKey, bytes]:
    return make_key_and_cert()


def aws_fixture(monkeypatch: pytest.MonkeyPatch, settings: Any) -> FakeAws:
    """SNS's certificate and confirmations served locally; our topic configured."""
    from channels_email import sns

    key, pem = shared_key_and_cert()
    aws = FakeAws(key, pem)
    monkeypatch.setattr(sns, "http_get", aws.http_get)
    settings.SES_SNS_TOPIC_ARNS = [TOPIC]
    return aws


def make_key_and_cert(*, days: int = 30) -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=max(1, 1 - days)))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


def string_to_sign(message: dict[str, Any]) -> bytes:
    """AWS's documented canonical form, written out here independently of the code under test."""
    text = ""
    for name in _FIELDS[message["Type"]]:
        if name in message:
            text += f"{name}\n{message[name]}\n"
    return text.encode()


def sign(message: dict[str, Any], key: rsa.RSAPrivateKey, *, version: str = "1") -> dict[str, Any]:
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(string_to_sign(message), padding.PKCS1v15(), algorithm)
    return {**message, "SignatureVersion": version, "Signature": base64.b64encode(signature).decode()}


@dataclass
class Response:
    status_code: int
    content: bytes = b""


@dataclass
class FakeAws:
    """Serves the certificate at CERT_URL and answers subscription confirmations."""

    key: rsa.RSAPrivateKey
    pem: bytes
    requested: list[str] = field(default_factory=list)
    confirm_status: int = 200

    def http_get(self, url: str) -> Response:
        self.requested.append(url)
        if url == CERT_URL:
            return Response(200, self.pem)
        if url.startswith("https://sns.ap-southeast-1.amazonaws.com/?Action=ConfirmSubscription"):
            return Response(self.confirm_status, b"<ConfirmSubscriptionResponse/>")
        return Response(404)

    def notification(
        self,
        event: dict[str, Any],
        *,
        message_id: str = "",
        version: str = "1",
        signed_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Signed now (or at `signed_at`), with a new MessageId unless one is given."""
        message = {
            "Type": "Notification",
            "MessageId": message_id or str(uuid.uuid4()),
            "TopicArn": TOPIC,
            "Message": json.dumps(event),
            "Timestamp": sns_time(signed_at or datetime.now(UTC)),
            "SigningCertURL": CERT_URL,
            "UnsubscribeURL": "https://sns.ap-southeast-1.amazonaws.com/?Action=Unsubscribe",
        }
        return sign(message, self.key, version=version)

    def subscription(self, *, subscribe_url: str = SUBSCRIBE_URL) -> dict[str, Any]:
        message = {
            "Type": "SubscriptionConfirmation",
            "MessageId": "s-1",
            "Token": "2336412f37fb687f5d51e6e2425",
            "TopicArn": TOPIC,
            "Message": f"You have chosen to subscribe to the topic {TOPIC}.",
            "SubscribeURL": subscribe_url,
            "Timestamp": sns_time(datetime.now(UTC)),
            "SigningCertURL": CERT_URL,
        }
        return sign(message, self.key)


def sns_time(moment: datetime) -> str:
    """A time as SNS writes Timestamp: 2025-03-01T01:02:03.456Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ses_event(kind: str, message_id: str, **detail: Any) -> dict[str, Any]:
    """An SES event as a configuration set's SNS destination publishes it."""
    event: dict[str, Any] = {
        "eventType": kind,
        "mail": {"messageId": message_id, "timestamp": "2025-03-01T01:00:00.000Z", "destination": []},
    }
    if kind == "Delivery":
        event["delivery"] = {"timestamp": "2025-03-01T01:00:01.000Z", "smtpResponse": "250 OK"}
    elif kind == "Bounce":
        event["bounce"] = {
            "bounceType": detail.get("bounce_type", "Permanent"),
            "bounceSubType": detail.get("subtype", "General"),
            "bouncedRecipients": [
                {"emailAddress": detail.get("address", ""), "diagnosticCode": detail.get("diagnostic", "")}
            ],
        }
    elif kind == "Complaint":
        event["complaint"] = {
            "complainedRecipients": [{"emailAddress": detail.get("address", "")}],
            "complaintFeedbackType": detail.get("feedback", "abuse"),
        }
    return event


def sent_campaign(owner: Any, tmp_path: Any, count: int, *, queued: int = 0) -> Any:
    """A sending email campaign: `count` messages sent with provider ids prov-0…, `queued` more waiting."""
    from campaigns import engine
    from campaigns.engine import Outcome
    from campaigns.models import Campaign, CampaignStatus, MessageStatus
    from tests.factories import make_email_campaign, people

    campaign = make_email_campaign(owner, people(count + queued), tmp_path=tmp_path)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    claimed = engine.claim_batch(campaign_id=campaign.pk, limit=count) if count else []
    outcomes = {c.id: Outcome(MessageStatus.SENT, f"prov-{i}") for i, c in enumerate(claimed)}
    engine.record_results(campaign_id=campaign.pk, outcomes=outcomes)
    return Campaign.objects.select_related("stats").get(pk=campaign.pk)
