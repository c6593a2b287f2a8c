"""Plain functions that make rows for tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from accounts.services import ensure_officer
from campaigns import services
from campaigns.models import Campaign, RecipientFile
from channels_email import services as email_services


def make_officer(email: str = "officer@agency.gov.sg", **fields: Any) -> User:
    user = ensure_officer(email=email)
    for name, value in fields.items():
        setattr(user, name, value)
    if fields:
        user.save()
    return user


def make_email_campaign(
    owner: User,
    rows: list[dict[str, str]],
    *,
    tmp_path: Path,
    subject: str = "Hello {{name}}",
    body: str = "<p>Dear {{name}}, your code is {{code}}.</p>",
    name: str = "Test campaign",
    sender_name: str = "",
) -> Campaign:
    """A draft email campaign with a template and its recipients loaded (ingested inline)."""
    campaign = services.create_campaign(owner=owner, name=name, channel="email")
    email_services.save_email_template(
        campaign=campaign,
        subject=subject,
        body=body,
        body_format="rich",
        sender_name=sender_name,
        reply_to="",
    )
    if rows:
        load_rows(campaign, rows, tmp_path=tmp_path)
    campaign.refresh_from_db()
    return campaign


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def load_rows(campaign: Campaign, rows: list[dict[str, str]], *, tmp_path: Path) -> RecipientFile:
    upload = SimpleUploadedFile("recipients.csv", csv_bytes(rows), content_type="text/csv")
    recipient_file = services.upload_recipients(campaign=campaign, upload=upload)
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    recipient_file.refresh_from_db()
    return recipient_file


def people(count: int, *, domain: str = "example.com") -> list[dict[str, str]]:
    return [
        {"recipient": f"person{i}@{domain}", "name": f"Person {i}", "code": f"C{i:05d}"} for i in range(count)
    ]
