"""The browser's encryption (static/js/protected/crypto.js) in Python, to make rows for tests."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from campaigns import services
from campaigns.models import Campaign
from protected_email.loading import ITERATIONS
from protected_email.services import save_protected_templates
from tests.factories import load_rows


def _expand(material: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"", info=label).derive(material)


def derive(password: str, message_id: str, iterations: int = ITERATIONS) -> tuple[bytes, str]:
    """The AES key and the verifier (base64), as the browser derives them."""
    material = hashlib.pbkdf2_hmac("sha256", password.encode(), message_id.encode(), iterations)
    key = _expand(material, b"postman protected message key")
    verifier = base64.b64encode(_expand(material, b"postman protected message verifier")).decode()
    return key, verifier


def seal(plaintext: str, password: str, message_id: str, iterations: int = ITERATIONS) -> dict[str, str]:
    key, verifier = derive(password, message_id, iterations)
    iv = os.urandom(12)
    sealed = AESGCM(key).encrypt(iv, plaintext.encode(), message_id.encode())
    return {"payload": base64.b64encode(iv + sealed).decode(), "verifier": verifier}


def open_payload(payload: str, key: bytes, message_id: str) -> str:
    raw = base64.b64decode(payload)
    return AESGCM(key).decrypt(raw[:12], raw[12:], message_id.encode()).decode()


def encrypted_rows(people: list[tuple[str, str, str]], iterations: int = ITERATIONS) -> list[dict[str, str]]:
    """(recipient, password, message) → the rows the browser uploads."""
    rows = []
    for recipient, password, message in people:
        message_id = str(uuid.uuid4())
        rows.append(
            {"recipient": recipient, "id": message_id, **seal(message, password, message_id, iterations)}
            | {"iterations": str(iterations)}
        )
    return rows


def make_protected_campaign(owner: Any, people: list[tuple[str, str, str]], *, tmp_path: Any) -> Campaign:
    campaign = services.create_campaign(owner=owner, name="Results", channel="email", protected=True)
    save_protected_templates(
        campaign=campaign,
        subject="Your result is ready",
        body="<p>Dear {{recipient}}, open {{protectedlink}} with your password.</p>",
        body_format="rich",
        sender_name="",
        reply_to="lab@agency.gov.sg",
        message="<p>Your result: {{result}}</p>",
    )
    if people:
        load_rows(campaign, encrypted_rows(people), tmp_path=tmp_path)
    campaign.refresh_from_db()
    return campaign
