"""Endpoints' signing secrets at rest, under WEBHOOKS_SECRET_KEYS (rotated by
`manage.py rotate_webhook_secrets`; see common.keyring).

Postman must sign with the secret, so it cannot keep only a hash as it does for API keys; the
database holds it encrypted instead.
"""

from __future__ import annotations

from common.keyring import KeyRing

_RING = KeyRing("WEBHOOKS_SECRET_KEYS")

encrypt = _RING.encrypt
decrypt = _RING.decrypt
reencrypt = _RING.reencrypt
check_keys = _RING.problems
