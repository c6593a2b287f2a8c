from __future__ import annotations

from typing import Any

import pytest

from campaigns.models import Message, MessageStatus
from campaigns.services import duplicate_campaign
from channels_email.channel import first_email
from protected_email.models import ProtectedMessage, ProtectedTemplate
from tests.factories import load_rows
from tests.protected_email.sealing import derive, encrypted_rows, make_protected_campaign, open_payload

pytestmark = pytest.mark.django_db

PEOPLE = [
    ("ann@example.com", "correct horse", "<p>Your result: negative</p>"),
    ("bob@example.com", "battery staple", "<p>Your result: positive</p>"),
]


def test_upload_moves_ciphertext_out_of_messages(officer: Any, tmp_path: Any, settings: Any) -> None:
    settings.SITE_URL = "https://postman.example.gov.sg"

    campaign = make_protected_campaign(officer, PEOPLE, tmp_path=tmp_path)

    stored = {p.message.recipient: p for p in ProtectedMessage.objects.select_related("message") if p.message}
    assert sorted(stored) == ["ann@example.com", "bob@example.com"]
    ann = stored["ann@example.com"]
    key, _ = derive("correct horse", str(ann.id))
    assert open_payload(ann.payload, key, str(ann.id)) == "<p>Your result: negative</p>"
    assert ann.message is not None
    assert ann.message.params == {"protectedlink": f"https://postman.example.gov.sg/p/{ann.id}/"}
    assert len(ann.verifier_hash) == 64
    assert campaign.stats.queued == 2


def test_email_carries_the_link_and_no_ciphertext(officer: Any, tmp_path: Any) -> None:
    campaign = make_protected_campaign(officer, PEOPLE[:1], tmp_path=tmp_path)

    email = first_email(campaign)

    assert email is not None
    protected = ProtectedMessage.objects.get()
    assert f"/p/{protected.id}/" in email.html
    assert protected.payload not in email.html
    assert email.subject == "Your result is ready"


def test_row_with_weak_iterations_fails_the_file_naming_the_row(officer: Any, tmp_path: Any) -> None:
    campaign = make_protected_campaign(officer, PEOPLE, tmp_path=tmp_path)
    rows = encrypted_rows(PEOPLE[:1]) + encrypted_rows(PEOPLE[1:], iterations=4000)

    recipient_file = load_rows(campaign, rows, tmp_path=tmp_path)

    assert recipient_file.status == "failed"
    assert recipient_file.error.startswith('Row 3: the "iterations" column')
    # The earlier list is unchanged.
    assert ProtectedMessage.objects.filter(campaign=campaign).count() == 2


def test_row_with_a_plaintext_password_column_is_not_kept(officer: Any, tmp_path: Any) -> None:
    campaign = make_protected_campaign(officer, [], tmp_path=tmp_path)
    rows = [{**row, "password": "leaked"} for row in encrypted_rows(PEOPLE)]

    load_rows(campaign, rows, tmp_path=tmp_path)

    assert all("password" not in params for params in Message.objects.values_list("params", flat=True))


def test_invalid_address_is_marked_invalid_without_payload(officer: Any, tmp_path: Any) -> None:
    campaign = make_protected_campaign(officer, [], tmp_path=tmp_path)
    rows = encrypted_rows([("not-an-address", "pw", "x"), *PEOPLE])

    load_rows(campaign, rows, tmp_path=tmp_path)

    invalid = Message.objects.get(status=MessageStatus.INVALID)
    assert invalid.row_number == 2
    assert invalid.params == {}
    assert ProtectedMessage.objects.count() == 2


def test_duplicate_copies_both_templates_never_payloads(officer: Any, tmp_path: Any) -> None:
    campaign = make_protected_campaign(officer, PEOPLE, tmp_path=tmp_path)

    copy = duplicate_campaign(campaign=campaign, by=officer)

    assert copy.protected
    assert copy.body == campaign.body
    assert ProtectedTemplate.objects.get(campaign=copy).body == "<p>Your result: {{result}}</p>"
    assert not ProtectedMessage.objects.filter(campaign=copy).exists()
    assert not Message.objects.filter(campaign=copy).exists()
