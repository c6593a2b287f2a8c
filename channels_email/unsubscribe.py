"""Signed per-recipient unsubscribe links.

The token signs the message id and recipient (common.signing), so a link cannot be forged for
another recipient or message, and survives a rotation of SECRET_KEY.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from common import signing

_PURPOSE = "unsubscribe"


def _value(message_id: int, recipient: str) -> str:
    return f"{message_id}:{recipient.lower()}"


def unsubscribe_token(message_id: int, recipient: str) -> str:
    return signing.sign(_PURPOSE, _value(message_id, recipient))


def token_is_valid(message_id: int, recipient: str, token: str) -> bool:
    return signing.is_valid(_PURPOSE, _value(message_id, recipient), token)


def unsubscribe_url(message_id: int, recipient: str) -> str:
    path = reverse(
        "channels_email:unsubscribe",
        kwargs={"message_id": message_id, "token": unsubscribe_token(message_id, recipient)},
    )
    return f"{settings.SITE_URL}{path}"
