"""Short tokens in the links we hand out (unsubscribe, Twilio status callbacks), and checking them.

A token is the first 32 hex digits of an HMAC-SHA256 of the value under a key derived from
SECRET_KEY and a purpose (Django's salted_hmac), so a token for one purpose or value is worth
nothing for another. New tokens use SECRET_KEY; a token made under any of SECRET_KEY_FALLBACKS
is still accepted, so links already in inboxes and callback URLs already given to Twilio keep
working after the key is rotated.

The derivation is the one these links have always used (SHA-256 of "postman.<purpose>:" and the
key as the HMAC key), so rotating onto this module left every link already sent valid.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable

from django.conf import settings

TOKEN_CHARS = 32  # 128 bits: far beyond guessing, short enough for a URL


def _token(purpose: str, value: str, secret: str) -> str:
    digest = hmac.new(_key(purpose, secret), value.encode(), hashlib.sha256)
    return digest.hexdigest()[:TOKEN_CHARS]


@functools.lru_cache(maxsize=32)
def _key(purpose: str, secret: str) -> bytes:
    # Django's salted_hmac key, derived once per purpose and key rather than once per token:
    # a campaign signs one link per recipient.
    return hashlib.sha256(f"postman.{purpose}:{secret}".encode()).digest()


def sign(purpose: str, value: str) -> str:
    """The token for `value`, under the current SECRET_KEY."""
    return _token(purpose, value, settings.SECRET_KEY)


def signer(purpose: str) -> Callable[[str], str]:
    """`sign` for one purpose with the key looked up once: for a batch of tokens."""
    key = _key(purpose, settings.SECRET_KEY)
    sha256 = hashlib.sha256

    def token(value: str) -> str:
        return hmac.new(key, value.encode(), sha256).hexdigest()[:TOKEN_CHARS]

    return token


def is_valid(purpose: str, value: str, token: str) -> bool:
    """Whether `token` was made for `value` under SECRET_KEY or one of its fallbacks."""
    if not token.isascii():  # compare_digest refuses non-ASCII text; no token of ours has any
        return False
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    # Every key is tried, so the time taken says nothing about which one matched.
    matches = [hmac.compare_digest(_token(purpose, value, secret), token) for secret in secrets]
    return any(matches)
