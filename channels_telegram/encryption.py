"""Bots' tokens at rest: Fernet tokens under TELEGRAM_CREDENTIAL_KEYS.

MultiFernet encrypts with the first key and decrypts with any of them, so keys rotate by putting
a new key first, running `manage.py rotate_telegram_tokens`, then dropping the old key. The SMS
channel keeps its own keys the same way; a shared key ring in common/ could serve both.
"""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.TELEGRAM_CREDENTIAL_KEYS))


def encrypt(secret: str) -> str:
    return _current().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _current().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same secret under the first key (unchanged if it already is)."""
    return _current().rotate(token.encode()).decode()


def key_problems(keys: list[str]) -> list[str]:
    """Problems with the configured keys, for the system check; empty when all are usable."""
    problems = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            problems.append(f"Key {position} of TELEGRAM_CREDENTIAL_KEYS is not a Fernet key.")
    return problems
