"""Signed per-recipient unsubscribe links.

The token is an HMAC of the message id and recipient under a key derived from SECRET_KEY, so a
link cannot be forged for another recipient or message, and is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.urls import reverse


def _key() -> bytes:
    return hashlib.sha256(f"postman.unsubscribe:{settings.SECRET_KEY}".encode()).digest()


def unsubscribe_token(message_id: int, recipient: str) -> str:
    payload = f"{message_id}:{recipient.lower()}".encode()
    return hmac.new(_key(), payload, hashlib.sha256).hexdigest()[:32]


def token_is_valid(message_id: int, recipient: str, token: str) -> bool:
    return hmac.compare_digest(unsubscribe_token(message_id, recipient), token)


def unsubscribe_url(message_id: int, recipient: str) -> str:
    path = reverse(
        "channels_email:unsubscribe",
        kwargs={"message_id": message_id, "token": unsubscribe_token(message_id, recipient)},
    )
    return f"{settings.SITE_URL}{path}"
