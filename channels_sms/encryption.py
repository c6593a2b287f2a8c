"""Officers' Twilio secrets at rest, under SMS_CREDENTIAL_KEYS (rotated by
`manage.py rotate_sms_credentials`; see common.keyring)."""

from __future__ import annotations

from common.keyring import KeyRing

_RING = KeyRing("SMS_CREDENTIAL_KEYS")

encrypt = _RING.encrypt
decrypt = _RING.decrypt
reencrypt = _RING.reencrypt
check_keys = _RING.problems
