from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns import services
from campaigns.models import CampaignStats, Message, MessageStatus, RecipientFileStatus, Suppression
from channels_email import services as email_services
from tests.factories import csv_bytes, load_rows, make_email_campaign, people

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("counters_hold")]


def test_ingest_loads_every_row_with_status_and_params(officer: Any, tmp_path: Path) -> None:
    rows = [*people(3), {"recipient": "broken@", "name": "B", "code": "x"}, people(1)[0]]
    campaign = make_email_campaign(officer, rows, tmp_path=tmp_path)

    messages = list(Message.objects.filter(campaign=campaign).order_by("row_number"))

    assert [(m.row_number, m.recipient, m.status) for m in messages] == [
        (2, "person0@example.com", MessageStatus.QUEUED),
        (3, "person1@example.com", MessageStatus.QUEUED),
        (4, "person2@example.com", MessageStatus.QUEUED),
        (5, "broken@", MessageStatus.INVALID),
        (6, "person0@example.com", MessageStatus.DUPLICATE),
    ]
    assert messages[0].params == {"recipient": "person0@example.com", "name": "Person 0", "code": "C00000"}
    assert messages[4].error == "Duplicate of row 2"
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.total, stats.queued, stats.invalid, stats.duplicate) == (5, 3, 1, 1)


def test_ingest_keeps_tabs_newlines_and_backslashes_in_values(officer: Any, tmp_path: Path) -> None:
    value = 'tab\there\nnew line \\ backslash "quoted" \\n'
    campaign = make_email_campaign(
        officer, [{"recipient": "a@example.com", "name": value, "code": "1"}], tmp_path=tmp_path
    )

    message = Message.objects.get(campaign=campaign)

    assert message.params["name"] == value


def test_ingest_marks_suppressed_recipients_and_does_not_queue_them(officer: Any, tmp_path: Path) -> None:
    Suppression.objects.create(channel="email", recipient="person1@example.com", reason="bounced")
    campaign = make_email_campaign(officer, people(3), tmp_path=tmp_path)

    suppressed = Message.objects.get(campaign=campaign, recipient="person1@example.com")

    assert suppressed.status == MessageStatus.SUPPRESSED
    assert suppressed.error == "Suppressed: Hard bounce"
    assert CampaignStats.objects.get(pk=campaign.pk).queued == 2


def test_ingest_failure_midway_keeps_the_previous_list(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, people(4), tmp_path=tmp_path)
    good = csv_bytes(people(30000))
    bad = good + b"late@example.com,too,many,cells\n"
    upload = SimpleUploadedFile("bad.csv", bad, content_type="text/csv")

    recipient_file = services.upload_recipients(campaign=campaign, upload=upload)
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)

    recipient_file.refresh_from_db()
    assert recipient_file.status == RecipientFileStatus.FAILED
    assert recipient_file.error == "Row 30002 has 4 cells but the header has 3."
    assert Message.objects.filter(campaign=campaign).count() == 4
    assert CampaignStats.objects.get(pk=campaign.pk).queued == 4


def test_new_upload_replaces_the_list(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, people(4), tmp_path=tmp_path)

    load_rows(campaign, people(2, domain="other.example"), tmp_path=tmp_path)

    assert sorted(Message.objects.filter(campaign=campaign).values_list("recipient", flat=True)) == [
        "person0@other.example",
        "person1@other.example",
    ]
    assert json.loads(
        json.dumps(CampaignStats.objects.filter(pk=campaign.pk).values("total", "queued")[0])
    ) == {
        "total": 2,
        "queued": 2,
    }


def test_template_edit_that_needs_a_missing_column_clears_the_list(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, people(3), tmp_path=tmp_path)

    email_services.save_email_template(
        campaign=campaign,
        subject="Hi {{name}}",
        body="<p>{{ clinic }}</p>",
        body_format="rich",
        sender_name="",
        reply_to="",
    )

    current = campaign.recipient_files.first()
    assert current is not None
    assert current.status == RecipientFileStatus.FAILED
    assert (
        current.error
        == 'The template now uses "clinic", which the uploaded file does not have. Upload it again.'
    )
    assert not Message.objects.filter(campaign=campaign).exists()
