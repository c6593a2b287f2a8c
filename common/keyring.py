"""Secrets at rest that Postman must read back (Twilio secrets, bot tokens, webhook signing
secrets): Fernet tokens under a list of keys named by a setting.

MultiFernet encrypts with the first key and decrypts with any of them, so keys rotate by putting
a new key first, running the app's rotate command (which re-encrypts every row), then dropping
the old key.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


@dataclass(frozen=True)
class KeyRing:
    setting: str  # the setting holding the keys, newest first

    def _current(self) -> MultiFernet:
        return _fernet(tuple(getattr(settings, self.setting)))

    def encrypt(self, secret: str) -> str:
        return self._current().encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._current().decrypt(token.encode()).decode()

    def reencrypt(self, token: str) -> str:
        """The same secret under the first key (unchanged if it already is)."""
        return self._current().rotate(token.encode()).decode()

    def problems(self, keys: list[str]) -> list[str]:
        """Problems with the configured keys, for the system check; empty when all are usable."""
        found = []
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key.encode())
            except ValueError:
                found.append(f"Key {position} of {self.setting} is not a Fernet key.")
        return found
