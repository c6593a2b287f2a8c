"""Signed per-recipient unsubscribe links.

The token signs the message id and recipient (common.signing), so a link cannot be forged for
another recipient or message, and survives a rotation of SECRET_KEY.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.urls import get_script_prefix, reverse

from common import signing

_PURPOSE = "unsubscribe"


def _value(message_id: int, recipient: str) -> str:
    return f"{message_id}:{recipient.lower()}"


def unsubscribe_token(message_id: int, recipient: str) -> str:
    return signing.sign(_PURPOSE, _value(message_id, recipient))


def token_is_valid(message_id: int, recipient: str, token: str) -> bool:
    return signing.is_valid(_PURPOSE, _value(message_id, recipient), token)


def unsubscribe_url(message_id: int, recipient: str) -> str:
    return unsubscribe_links()(message_id, recipient)


def unsubscribe_links() -> Callable[[int, str], str]:
    """`unsubscribe_url` with the site, path and key looked up once: for a batch of messages."""
    before, between, after = _path_around(get_script_prefix())
    head = f"{settings.SITE_URL}{before}"
    token = signing.signer(_PURPOSE)

    def link(message_id: int, recipient: str) -> str:
        return f"{head}{message_id}{between}{token(_value(message_id, recipient))}{after}"

    return link


@functools.lru_cache(maxsize=8)
def _path_around(script_prefix: str) -> tuple[str, str, str]:
    """The unsubscribe path's fixed parts, reversed once: a campaign makes a link per recipient."""
    path = reverse("channels_email:unsubscribe", kwargs={"message_id": 9, "token": "TOKEN"})
    head, _, tail = path.rpartition("/9/TOKEN/")
    return f"{head}/", "/", f"/{tail}"
