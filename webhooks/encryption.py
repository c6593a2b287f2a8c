"""Endpoints' signing secrets at rest: Fernet tokens under WEBHOOKS_SECRET_KEYS.

Postman must sign with the secret, so it cannot keep only a hash as it does for API keys; the
database holds it encrypted instead. MultiFernet encrypts with the first key and decrypts with
any, so keys rotate by putting a new key first, running `manage.py rotate_webhook_secrets`,
then dropping the old key.
"""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.WEBHOOKS_SECRET_KEYS))


def encrypt(secret: str) -> str:
    return _current().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _current().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same secret under the first key (unchanged if it already is)."""
    return _current().rotate(token.encode()).decode()


def check_keys(keys: list[str]) -> list[str]:
    """Problems with the configured keys, for the system check; empty when all are usable."""
    problems = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            problems.append(f"Key {position} of WEBHOOKS_SECRET_KEYS is not a Fernet key.")
    return problems
