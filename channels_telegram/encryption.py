"""Bots' tokens at rest, under TELEGRAM_CREDENTIAL_KEYS (rotated by
`manage.py rotate_telegram_tokens`; see common.keyring)."""

from __future__ import annotations

from common.keyring import KeyRing

_RING = KeyRing("TELEGRAM_CREDENTIAL_KEYS")

encrypt = _RING.encrypt
decrypt = _RING.decrypt
reencrypt = _RING.reencrypt
check_keys = _RING.problems
