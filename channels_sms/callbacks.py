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
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import reverse
from twilio.request_validator import RequestValidator

from campaigns.models import MessageStatus
from channels_sms.errors import twilio_words
from channels_sms.models import TwilioCredential
from common import signing

_PURPOSE = "sms-callback"

TWILIO_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
}


class CallbackRefused(Exception):
    """Not Twilio's own status callback for this message: answered 403, nothing changes."""


@dataclass(frozen=True)
class TwilioCallback:
    """What a checked callback says: the message's SID, its new status (None for an intermediate
    one such as `queued`, which moves nothing) and Twilio's error code."""

    sid: str
    status: MessageStatus | None
    error_code: str


def delivery_error(status: str, error_code: str) -> str:
    """The reason shown for Twilio's error code; a failure reads as not delivered."""
    if not error_code:
        return ""
    reason = twilio_words(error_code)
    return f"Not delivered: {reason}" if status == MessageStatus.FAILED else reason


def check_callback(
    *,
    credential: TwilioCredential | None,
    known_sid: str,
    url: str,
    params: Mapping[str, str],
    signature: str,
) -> TwilioCallback:
    """The callback, if Twilio sent it from the account of `credential` (the one the message went
    out through) about the message it named `known_sid` (blank: not yet recorded); otherwise
    raises CallbackRefused. Campaign messages and API SMS both check through here."""
    if credential is None or params.get("AccountSid") != credential.account_sid:
        raise CallbackRefused
    if not signature_is_valid(
        url=url, params=params, signature=signature, auth_token=credential.auth_token()
    ):
        raise CallbackRefused
    sid = params.get("MessageSid", "")
    if not sid or (known_sid and known_sid != sid):
        raise CallbackRefused
    return TwilioCallback(
        sid, TWILIO_STATUSES.get(params.get("MessageStatus", "")), params.get("ErrorCode", "")
    )


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


class CallbackHandler(Protocol):
    def __call__(self, *, url: str, params: Mapping[str, str], signature: str) -> object: ...


def answer_callback(request: HttpRequest, handle: CallbackHandler) -> HttpResponse:
    """Twilio's answer for a status callback, campaign message or API SMS: 204 once `handle` took
    it, 403 when it is not Twilio's own for the message its URL names."""
    try:
        handle(
            url=requested_url(request),
            params=request.POST,
            signature=request.headers.get("X-Twilio-Signature", ""),
        )
    except CallbackRefused:
        return HttpResponseForbidden("Not a valid Twilio callback for this message.")
    return HttpResponse(status=204)


def signature_is_valid(*, url: str, params: Mapping[str, str], signature: str, auth_token: str) -> bool:
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))
