"""Twilio status callbacks: one URL per message, and checking that Twilio really sent it.

Each message's StatusCallback is `/sms/callbacks/<message id>/<token>/`, the token signing the
id (common.signing: still valid after SECRET_KEY is rotated). Twilio signs the full URL it posts to together
with the form fields (X-Twilio-Signature, HMAC-SHA1 under the account's auth token). Because
the URL names one message, a genuine callback for message A posted to B's URL fails the
signature: a replay can only ever land where Twilio sent it first.

The URL is checked as SITE_URL plus the path and query the request hit, never the Host header:
behind a proxy (or the test server) the host Django sees differs from the one Twilio signed.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from twilio.request_validator import RequestValidator

from common import signing

_PURPOSE = "sms-callback"


def callback_token(message_id: int) -> str:
    return signing.sign(_PURPOSE, str(message_id))


def token_is_valid(message_id: int, token: str) -> bool:
    return signing.is_valid(_PURPOSE, str(message_id), token)


def callback_url(message_id: int) -> str:
    path = reverse(
        "channels_sms:status_callback",
        kwargs={"message_id": message_id, "token": callback_token(message_id)},
    )
    return f"{settings.SITE_URL}{path}"


def requested_url(request: HttpRequest) -> str:
    return f"{settings.SITE_URL}{request.get_full_path()}"


def signature_is_valid(*, url: str, params: Mapping[str, str], signature: str, auth_token: str) -> bool:
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))
