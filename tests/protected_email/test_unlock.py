from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from cryptography.exceptions import InvalidTag
from django.test import Client
from django.utils import timezone

from protected_email.models import ProtectedMessage, ProtectedTemplate
from protected_email.services import expire_payloads
from tests.protected_email.sealing import derive, make_protected_campaign, open_payload

pytestmark = pytest.mark.django_db

UNKNOWN = "6f1c2a4e-8b3d-4c5e-9f70-123456789abc"


@pytest.fixture
def protected(officer: Any, tmp_path: Any) -> ProtectedMessage:
    make_protected_campaign(
        officer, [("ann@example.com", "correct horse", "<p>negative</p>")], tmp_path=tmp_path
    )
    return ProtectedMessage.objects.get()


def answer(client: Client, message_id: str, password: str) -> tuple[int, dict[str, Any]]:
    _, verifier = derive(password, message_id)
    response = client.post(
        f"/p/{message_id}/unlock/", json.dumps({"verifier": verifier}), content_type="application/json"
    )
    return response.status_code, response.json()


def test_right_password_returns_the_payload_and_counts_opened_once(protected: ProtectedMessage) -> None:
    client = Client()
    status, body = answer(client, str(protected.id), "correct horse")
    answer(client, str(protected.id), "correct horse")

    assert status == 200
    assert body["sender"] == "Agency"
    key, _ = derive("correct horse", str(protected.id))
    assert open_payload(body["payload"], key, str(protected.id)) == "<p>negative</p>"
    assert ProtectedTemplate.objects.get().opened == 1
    protected.refresh_from_db()
    assert protected.opened_at is not None
    assert protected.message is not None
    assert protected.message.params["opened_at"].endswith("Z")


def test_five_wrong_answers_lock_for_15_minutes_then_doubling(protected: ProtectedMessage) -> None:
    client, message_id = Client(), str(protected.id)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        results = [answer(client, message_id, f"guess {n}") for n in range(5)]
        assert [body.get("attempts_left") for _, body in results[:4]] == [4, 3, 2, 1]
        assert results[4] == (429, {"error": "locked", "retry_after": 900})
        # Locked: even the right password is refused until the lock ends.
        assert answer(client, message_id, "correct horse") == (429, {"error": "locked", "retry_after": 900})
        clock.shift(timedelta(minutes=15, seconds=1))
        for n in range(4):
            answer(client, message_id, f"again {n}")
        assert answer(client, message_id, "again 5") == (429, {"error": "locked", "retry_after": 1800})
        clock.shift(timedelta(minutes=30, seconds=1))
        status, _ = answer(client, message_id, "correct horse")
    assert status == 200


def test_unknown_id_answers_exactly_as_a_wrong_password(protected: ProtectedMessage) -> None:
    known = [answer(Client(), str(protected.id), f"guess {n}") for n in range(6)]
    unknown = [answer(Client(), UNKNOWN, f"guess {n}") for n in range(6)]

    assert unknown == known
    page = Client().get(f"/p/{UNKNOWN}/")
    assert page.status_code == 200
    assert b"data-unlock" in page.content


def test_per_address_limit_refuses_further_attempts(protected: ProtectedMessage, monkeypatch: Any) -> None:
    monkeypatch.setattr("protected_email.unlock.ADDRESS_ATTEMPTS", 3)
    client = Client()
    for n in range(3):
        answer(client, f"6f1c2a4e-8b3d-4c5e-9f70-12345678900{n}", "x")

    status, body = answer(client, str(protected.id), "correct horse")

    assert status == 429
    assert body["error"] == "busy"


def test_malformed_verifier_is_refused_without_counting(protected: ProtectedMessage) -> None:
    response = Client().post(
        f"/p/{protected.id}/unlock/", json.dumps({"verifier": "not base64!"}), content_type="application/json"
    )
    short = base64.b64encode(b"x" * 16).decode()
    response_short = Client().post(
        f"/p/{protected.id}/unlock/", json.dumps({"verifier": short}), content_type="application/json"
    )

    assert (response.status_code, response_short.status_code) == (400, 400)
    assert answer(Client(), str(protected.id), "wrong")[1] == {"error": "wrong", "attempts_left": 4}


def test_tampered_payload_does_not_decrypt(protected: ProtectedMessage) -> None:
    raw = bytearray(base64.b64decode(protected.payload))
    raw[-1] ^= 1
    ProtectedMessage.objects.filter(pk=protected.pk).update(payload=base64.b64encode(bytes(raw)).decode())

    status, body = answer(Client(), str(protected.id), "correct horse")

    assert status == 200
    assert body["sender"] == "Agency"
    key, _ = derive("correct horse", str(protected.id))
    with pytest.raises(InvalidTag):
        open_payload(body["payload"], key, str(protected.id))


def test_expired_message_says_whom_to_contact(protected: ProtectedMessage) -> None:
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        expired = expire_payloads()
    page = Client().get(f"/p/{protected.id}/")
    status, body = answer(Client(), str(protected.id), "correct horse")

    assert expired == 1
    protected.refresh_from_db()
    assert (protected.payload, protected.verifier_hash) == ("", "")
    # The officer's agency, named from agency.gov.sg.
    assert b"This message from Agency has expired" in page.content
    assert b"lab@agency.gov.sg" in page.content
    assert (status, body) == (410, {"error": "expired"})


def test_payloads_within_retention_are_kept(protected: ProtectedMessage) -> None:
    with time_machine.travel(timezone.now() + timedelta(days=89)):
        assert expire_payloads() == 0
    protected.refresh_from_db()
    assert protected.payload


def test_export_gives_the_time_of_the_first_unlock(protected: ProtectedMessage, officer: Any) -> None:
    opened_at = timezone.now().replace(microsecond=0)
    with time_machine.travel(opened_at, tick=False):
        answer(Client(), str(protected.id), "correct horse")
    client = Client()
    client.force_login(officer)

    response = client.get(f"/campaigns/{protected.campaign_id}/export.csv")

    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()  # type: ignore[attr-defined]
    header, row = lines[0].split(","), lines[1].split(",")
    assert header[-2:] == ["protectedlink", "opened_at"]
    assert row[-1] == opened_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert row[-2].endswith(f"/p/{protected.id}/")
