"""Amazon SNS messages: verify the signature, refuse stale or repeated ones, confirm a subscription.

Follows AWS's "Verifying the signatures of Amazon SNS messages": the signed text is the message's
fields in a fixed order for its Type, each as "Name\\nvalue\\n"; SignatureVersion 1 is
SHA1withRSA, 2 is SHA256withRSA. The certificate is fetched over HTTPS only from an SNS host
(sns.<region>.amazonaws.com, the region spelled as AWS spells them) and kept in the cache, so one
fetch serves every later message. Any AWS account can publish a correctly signed message, so the
topic must also be one of ours.

A signed message stays signed forever, so a captured one could be posted again at any time: a
bounce replayed after an admin lifted its suppression would suppress the address again. The
signed Timestamp must be within the last hour (SNS retries an HTTP endpoint for at most an hour),
and each MessageId is taken once in Redis for as long as its message could still be accepted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from common.redis import redis_key, shared_redis

logger = logging.getLogger(__name__)

# Region names as AWS writes them: ap-southeast-1, us-gov-west-1; China's cn-north-1 and
# cn-northwest-1 under amazonaws.com.cn. Not "sns.s3.amazonaws.com" or any other AWS host.
_SNS_HOST = (
    r"sns\.(?:(?!cn-)[a-z]{2}(?:-gov)?-[a-z]+-\d{1,2}\.amazonaws\.com|cn-[a-z]+-\d{1,2}\.amazonaws\.com\.cn)"
)
SNS_HOST = re.compile(_SNS_HOST)
# The whole URL, strictly: no user info, port or odd characters for two URL parsers to disagree on.
CERT_URL = re.compile(rf"https://{_SNS_HOST}/[A-Za-z0-9._/-]+\.pem")
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
OPTIONAL_FIELDS = {"Subject"}
HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
CERT_CACHE_SECONDS = 24 * 60 * 60
MAX_AGE = timedelta(hours=1)
# Clocks differ a little; a message from further ahead than this was not signed by SNS just now.
MAX_CLOCK_SKEW = timedelta(minutes=5)
FETCH_TIMEOUT_SECONDS = 5
MAX_CERT_BYTES = 64 * 1024


class SnsRefused(Exception):
    """Not a genuine SNS message for one of our topics; answered 403 and otherwise ignored."""


class SnsConfirmFailed(Exception):
    """SNS did not accept our subscription confirmation."""


@dataclass(frozen=True)
class SnsMessage:
    type: str
    message: str
    topic_arn: str
    subscribe_url: str
    message_id: str = ""


def verified(envelope: dict[str, Any]) -> SnsMessage:
    """The message, once its topic, certificate host and signature check out; else SnsRefused."""
    kind = envelope.get("Type")
    if kind not in SIGNED_FIELDS:
        raise SnsRefused("unknown or missing Type")
    for name in (*SIGNED_FIELDS[kind], "Signature", "SignatureVersion", "SigningCertURL"):
        if name not in OPTIONAL_FIELDS and not isinstance(envelope.get(name), str):
            raise SnsRefused(f"missing {name}")
    if envelope["TopicArn"] not in settings.SES_SNS_TOPIC_ARNS:
        raise SnsRefused(f"topic {envelope['TopicArn'][:200]!r} is not one of SES_SNS_TOPIC_ARNS")
    algorithm = HASHES.get(envelope["SignatureVersion"])
    if algorithm is None:
        raise SnsRefused("unknown SignatureVersion")
    try:
        signature = base64.b64decode(envelope["Signature"], validate=True)
    except (binascii.Error, ValueError):
        raise SnsRefused("Signature is not base64") from None
    _require_fresh(envelope["Timestamp"])
    key = _public_key(envelope["SigningCertURL"])
    try:
        key.verify(signature, canonical_text(envelope), padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise SnsRefused("bad signature") from None
    return SnsMessage(
        kind,
        envelope["Message"],
        envelope["TopicArn"],
        envelope.get("SubscribeURL", ""),
        envelope["MessageId"],
    )


def _require_fresh(timestamp: str) -> None:
    """Refuse a message signed more than MAX_AGE ago or ahead of our clock (checked before the
    signature too: a stale message is refused without fetching anything)."""
    try:
        signed_at = datetime.fromisoformat(timestamp)
    except ValueError:
        raise SnsRefused("Timestamp is not an ISO 8601 time") from None
    if signed_at.tzinfo is None:
        raise SnsRefused("Timestamp has no time zone")
    now = timezone.now()
    if signed_at < now - MAX_AGE:
        raise SnsRefused(f"the message is too old (signed at {timestamp[:40]})")
    if signed_at > now + MAX_CLOCK_SKEW:
        raise SnsRefused(f"the message is from the future (signed at {timestamp[:40]})")


def _seen_key(message: SnsMessage) -> str:
    return redis_key(f"sns-seen:{hashlib.sha256(message.message_id.encode()).hexdigest()}")


def claim(message: SnsMessage) -> bool:
    """True the first time a message is seen; False for a repeat (SNS retrying, or a replay).

    Remembered for as long as the message's Timestamp can still pass _require_fresh.
    """
    remember_for = MAX_AGE + MAX_CLOCK_SKEW
    return bool(shared_redis().set(_seen_key(message), 1, nx=True, ex=int(remember_for.total_seconds())))


def release(message: SnsMessage) -> None:
    """Forget a claimed message whose processing failed, so SNS's retry of it is applied."""
    shared_redis().delete(_seen_key(message))


def canonical_text(envelope: dict[str, Any]) -> bytes:
    """What SNS signed: the Type's fields in order, "Name\\nvalue\\n" each; Subject only if sent."""
    parts = []
    for name in SIGNED_FIELDS[envelope["Type"]]:
        value = envelope.get(name)
        if name in OPTIONAL_FIELDS and not isinstance(value, str):
            continue
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode()


def is_sns_url(url: str) -> bool:
    """An https URL on an SNS host, with nothing (user info, port) to make a client go elsewhere."""
    parts = urllib.parse.urlsplit(url)
    return (
        parts.scheme == "https"
        and parts.netloc == parts.hostname
        and SNS_HOST.fullmatch(parts.netloc) is not None
        and "\\" not in url
        and not any(ch.isspace() for ch in url)
    )


def _public_key(url: str) -> rsa.RSAPublicKey:
    if CERT_URL.fullmatch(url) is None or not is_sns_url(url):
        raise SnsRefused("SigningCertURL is not an SNS certificate URL")
    cache_key = f"sns-cert:{hashlib.sha256(url.encode()).hexdigest()}"
    pem = cache.get(cache_key)
    if pem is None:
        pem = fetch_certificate(url)
        cache.set(cache_key, pem, CERT_CACHE_SECONDS)
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        cache.delete(cache_key)
        raise SnsRefused("the signing certificate is not a PEM certificate") from None
    now = timezone.now()
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        cache.delete(cache_key)
        raise SnsRefused("the signing certificate has expired or is not yet valid")
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SnsRefused("the signing certificate's key is not RSA")
    return key


def fetch_certificate(url: str) -> bytes:
    """The PEM at an SNS certificate URL (checked by the caller); redirects are not followed."""
    try:
        response = http_get(url)
    except requests.RequestException as error:
        logger.warning("Could not fetch the SNS signing certificate %s: %s", url, error)
        raise SnsRefused("the signing certificate could not be fetched") from None
    if response.status_code != 200 or len(response.content) > MAX_CERT_BYTES:
        raise SnsRefused(f"the signing certificate answered {response.status_code}")
    return response.content


def confirm_subscription(message: SnsMessage) -> None:
    """Visit the SubscribeURL, only if it is on an SNS host; SNS then starts sending events."""
    if not is_sns_url(message.subscribe_url):
        raise SnsRefused("SubscribeURL is not an SNS URL")
    try:
        response = http_get(message.subscribe_url)
    except requests.RequestException as error:
        raise SnsConfirmFailed(str(error)) from None
    if response.status_code != 200:
        raise SnsConfirmFailed(f"SNS answered {response.status_code}")
    logger.info("Confirmed the SNS subscription to %s", message.topic_arn)


def http_get(url: str) -> requests.Response:
    """The only way this module reaches the network (tests replace it with a local fake)."""
    return requests.get(url, timeout=FETCH_TIMEOUT_SECONDS, allow_redirects=False)
