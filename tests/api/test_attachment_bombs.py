"""A decompression bomb attached to an API email is refused without being inflated."""

from __future__ import annotations

import functools
import io
import struct
import tracemalloc
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.models import TransactionalEmail
from tests.api.conftest import EMAIL, ApiClient
from tests.api.test_email_send import own

pytestmark = pytest.mark.django_db

SEND = "/api/v1/transactional/email/send"
INFLATED = 200 * 1024 * 1024


@functools.cache
def odt_bomb() -> bytes:
    """An OpenDocument file whose "mimetype" member inflates ~1000 to 1, to 200 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("mimetype", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(INFLATED // len(block)):
                member.write(block)
        archive.writestr("content.xml", "<x/>")
    return buffer.getvalue()


def understated(bomb: bytes) -> bytes:
    """The same bomb whose directory claims its member is only 100 bytes long."""
    data = bytearray(bomb)
    entry = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, entry + 24, 100)
    return bytes(data)


def peak_memory_of(send: Any) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        response = send()
        return response, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_attachment_zip_bomb_is_a_clear_400_and_never_inflated(api_client: ApiClient) -> None:
    bomb = odt_bomb()
    assert len(bomb) < 400 * 1024

    response, peak = peak_memory_of(
        lambda: api_client.post(SEND, own({**EMAIL, "attachments": SimpleUploadedFile("letter.odt", bomb)}))
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "attachment_format",
        "message": 'Attachment "letter.odt" is compressed far more than documents are (a zip bomb?), '
        "so it cannot be attached.",
    }
    assert peak < 16 * 1024 * 1024  # the file itself and the request: no inflated megabytes
    assert not TransactionalEmail.objects.exists()


def test_attachment_bomb_with_understated_sizes_is_read_only_a_few_bytes(api_client: ApiClient) -> None:
    bomb = understated(odt_bomb())

    response, peak = peak_memory_of(
        lambda: api_client.post(SEND, own({**EMAIL, "attachments": SimpleUploadedFile("letter.odt", bomb)}))
    )

    assert response.status_code == 400
    assert response.json()["code"] == "attachment_format"
    assert peak < 16 * 1024 * 1024
    assert not TransactionalEmail.objects.exists()
