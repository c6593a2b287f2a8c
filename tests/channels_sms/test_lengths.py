from __future__ import annotations

from pathlib import Path

import pytest

from accounts.models import User
from campaigns.models import CampaignStats, Message, RecipientFile
from channels_sms import services as sms_services
from channels_sms.models import SmsCampaignSettings
from tests.channels_sms.conftest import make_sms_campaign, number, phones

pytestmark = pytest.mark.django_db

# "Note: " + note = 6 + len(note) characters
BODY = "Note: {{note}}"


def rows_with_notes(*lengths: int) -> list[dict[str, str]]:
    return [{"recipient": f"9100 {i:04d}", "note": "x" * (length - 6)} for i, length in enumerate(lengths)]


def test_upload_sets_aside_messages_over_1600_characters_with_the_reason(
    officer: User, tmp_path: Path
) -> None:
    campaign = make_sms_campaign(
        officer, rows_with_notes(160, 1600, 1601, 2000), tmp_path=tmp_path, body=BODY
    )

    rows = {m.recipient: (m.status, m.error_code, m.error) for m in Message.objects.filter(campaign=campaign)}
    assert rows[number(0)] == ("queued", "", "")
    assert rows[number(1)] == ("queued", "", "")
    assert rows[number(2)] == (
        "invalid",
        "too_long",
        "Message is 1,601 characters after personalisation; the limit is 1,600.",
    )
    assert rows[number(3)][2] == "Message is 2,000 characters after personalisation; the limit is 1,600."
    recipient_file = RecipientFile.objects.get(campaign=campaign)
    assert (recipient_file.total, recipient_file.valid, recipient_file.invalid) == (4, 2, 2)
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.total, stats.queued, stats.invalid) == (4, 2, 2)
    sms = SmsCampaignSettings.objects.get(campaign=campaign)
    assert (sms.estimated_segments, sms.too_long) == (1 + 11, 2)


def test_upload_estimates_segments_with_each_recipients_values(officer: User, tmp_path: Path) -> None:
    rows = [*phones(3), {"recipient": "9100 0003", "name": "陈大文", "code": "C0003"}]

    campaign = make_sms_campaign(
        officer, rows, tmp_path=tmp_path, body="Hi {{name}}, code {{code}}. " + "a" * 130
    )

    # Persons 0-2 render to 158 GSM-7 characters (1 each); the Chinese name makes UCS-2 (3).
    assert SmsCampaignSettings.objects.get(campaign=campaign).estimated_segments == 3 + 3


def test_shorter_template_brings_back_messages_it_no_longer_makes_too_long(
    officer: User, tmp_path: Path
) -> None:
    campaign = make_sms_campaign(officer, rows_with_notes(100, 1603), tmp_path=tmp_path, body=BODY)

    sms_services.save_sms_template(campaign=campaign, body="{{note}}")

    assert set(Message.objects.filter(campaign=campaign).values_list("status", "error")) == {("queued", "")}
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.queued, stats.invalid) == (2, 0)
    recipient_file = RecipientFile.objects.get(campaign=campaign)
    assert (recipient_file.valid, recipient_file.invalid) == (2, 0)
    assert SmsCampaignSettings.objects.get(campaign=campaign).too_long == 0

    sms_services.save_sms_template(campaign=campaign, body="Longer: " + BODY)

    assert CampaignStats.objects.get(pk=campaign.pk).invalid == 1
    assert RecipientFile.objects.get(campaign=campaign).valid == 1


def test_invalid_numbers_are_reported_with_the_reason(officer: User, tmp_path: Path) -> None:
    rows = [
        {"recipient": "9123 4567", "name": "Local", "code": "1"},
        {"recipient": "+65 8123 4567", "name": "Plus 65", "code": "2"},
        {"recipient": "6597654321", "name": "65 without plus", "code": "3"},
        {"recipient": "+44 7911 123456", "name": "Abroad", "code": "4"},
        {"recipient": "6123 4567", "name": "Landline", "code": "5"},
        {"recipient": "call me", "name": "Junk", "code": "6"},
        {"recipient": "+6591234567", "name": "Again", "code": "7"},
    ]

    campaign = make_sms_campaign(officer, rows, tmp_path=tmp_path)

    found = list(
        Message.objects.filter(campaign=campaign)
        .order_by("row_number")
        .values_list("recipient", "status", "error")
    )
    assert found == [
        ("+6591234567", "queued", ""),
        ("+6581234567", "queued", ""),
        ("+6597654321", "queued", ""),
        ("+447911123456", "queued", ""),
        ("6123 4567", "invalid", "Not a mobile number"),
        ("call me", "invalid", "Not a valid phone number"),
        ("+6591234567", "duplicate", "Duplicate of row 2"),
    ]
