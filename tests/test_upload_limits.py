"""Uploads are cut off while they stream in: a body past the limit is never read, let alone stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, FakePayload, encode_multipart

from api.models import TransactionalEmail
from api.services.email import MAX_ATTACHMENT_BYTES
from api.services.keys import create_api_key
from campaigns.models import RecipientFile
from campaigns.recipient_files import MAX_FILE_BYTES
from tests.api.conftest import EMAIL, ApiClient
from tests.factories import make_email_campaign, people

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class CountingPayload(FakePayload):
    """The request body as the server reads it, counting every byte Django asks for."""

    def __init__(self, content: bytes) -> None:
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size: int = -1, /) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size: int | None = -1, /) -> bytes:
        data = super().readline(size)
        self.bytes_read += len(data)
        return data


def post_streamed(client: Client, url: str, fields: dict[str, Any]) -> tuple[Any, CountingPayload]:
    body = encode_multipart(BOUNDARY, fields)
    payload = CountingPayload(body)
    extra: dict[str, Any] = {"wsgi.input": payload}
    response = client.generic("POST", url, body, content_type=MULTIPART_CONTENT, **extra)
    return response, payload


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_limits_are_the_recipient_file_and_attachment_limits(settings: Any) -> None:
    assert (settings.UPLOAD_MAX_BYTES, settings.API_UPLOAD_MAX_BYTES) == (
        MAX_FILE_BYTES,
        MAX_ATTACHMENT_BYTES,
    )


@pytest.mark.parametrize("file_mb", [1.5, 8], ids=["cut while streaming", "refused by its length"])
def test_recipient_upload_past_the_limit_is_never_read_or_stored(
    file_mb: float, officer: Any, officer_client: Client, tmp_path: Path, settings: Any
) -> None:
    settings.UPLOAD_MAX_BYTES = 1 * MB
    campaign = make_email_campaign(officer, people(1), tmp_path=tmp_path)
    url = f"/campaigns/{campaign.pk}/recipients/"
    big = SimpleUploadedFile("list.csv", b"recipient\n" + b"a@example.com\n" * int(file_mb * MB / 14))

    response, payload = post_streamed(officer_client, url, {"file": big})

    assert payload.bytes_read < 1 * MB + 128 * 1024  # stopped at the limit (plus one read)
    assert response.status_code == 302
    page = officer_client.get(url).content.decode()
    assert "The file is larger than 1 MB. Split it into smaller files." in page
    assert RecipientFile.objects.filter(campaign=campaign).count() == 1  # only the earlier list
    assert (
        not (tmp_path / "media" / "recipient-files").exists()
        or len(list((tmp_path / "media" / "recipient-files").iterdir())) == 0
    )


def test_api_attachments_past_the_limit_are_cut_off_while_streaming(officer: Any) -> None:
    client = ApiClient(create_api_key(owner=officer, label="Appointments")[1])
    pdf = b"%PDF-1.4\n" + b"0" * (11 * MB)
    fields = {**EMAIL, "from": "officer@agency.gov.sg", "attachments": SimpleUploadedFile("a.pdf", pdf)}

    response, payload = post_streamed(client, "/api/v1/transactional/email/send", fields)

    assert payload.bytes_read < MAX_ATTACHMENT_BYTES + 128 * 1024
    assert response.status_code == 413
    assert response.json() == {
        "code": "attachment_limit",
        "message": f"Attachments can be at most {MAX_ATTACHMENT_BYTES} bytes in all.",
    }
    assert not TransactionalEmail.objects.exists()
