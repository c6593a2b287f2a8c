"""Database sessions whose contents are encrypted at rest.

allauth keeps the pending one-time login code in the session; Django's default encoding only
signs the data, so anyone reading the sessions table would see live codes. Encrypting with a
key derived from SECRET_KEY (and its fallbacks, so keys can rotate) keeps them unreadable.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(f"postman.sessions:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def session_cipher() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(secret) for secret in secrets])


class SessionStore(DatabaseSessionStore):
    def encode(self, session_dict: dict[str, Any]) -> str:
        payload = json.dumps(session_dict, separators=(",", ":")).encode()
        return session_cipher().encrypt(payload).decode()

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        token = session_data.encode() if isinstance(session_data, str) else session_data
        try:
            return json.loads(session_cipher().decrypt(token))
        except (InvalidToken, ValueError):
            logging.getLogger("django.security.SuspiciousSession").warning(
                "Session data could not be decrypted"
            )
            return {}
