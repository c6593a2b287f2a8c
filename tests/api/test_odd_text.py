"""Odd text in a request body is a 400 naming the field, never a 500: a lone surrogate in JSON
("\\ud800"), or in a form the bytes that would encode one (ED A0 80), which are not UTF-8."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from django.test import Client

from api.models import TransactionalEmail, TransactionalSms
from tests.api.conftest import EMAIL, ApiClient

pytestmark = pytest.mark.django_db

SEND_EMAIL = "/api/v1/transactional/email/send"
SEND_SMS = "/api/v1/transactional/sms/send"
SMS = {"recipient": "9123 4567", "body": "Your OTP is 123456.", "label": "clinic-sms"}
LONE = "x\ud800y"
LONE_BYTES = b"x\xed\xa0\x80y"  # what "encoding" the lone surrogate as if it were UTF-8 gives
BOUNDARY = "odd-text-boundary"


def json_body(fields: dict[str, Any], odd: str) -> tuple[bytes, str]:
    value: Any = [LONE] if odd in ("cc", "bcc") else LONE
    return json.dumps({**fields, odd: value}).encode(), "application/json"


def urlencoded_body(fields: dict[str, Any], odd: str) -> tuple[bytes, str]:
    pairs = [(name, str(value).encode()) for name, value in fields.items() if name != odd]
    encoded = [f"{urllib.parse.quote(name)}={urllib.parse.quote(value)}" for name, value in pairs]
    encoded.append(f"{odd}={urllib.parse.quote(LONE_BYTES)}")
    return "&".join(encoded).encode(), "application/x-www-form-urlencoded"


def multipart_body(fields: dict[str, Any], odd: str) -> tuple[bytes, str]:
    values = {name: str(value).encode() for name, value in fields.items()} | {odd: LONE_BYTES}
    body = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
        for name, value in values.items()
    )
    return body + f"--{BOUNDARY}--\r\n".encode(), f"multipart/form-data; boundary={BOUNDARY}"


ENCODINGS = {"json": json_body, "urlencoded": urlencoded_body, "multipart": multipart_body}


def post(client: Client, url: str, body: bytes, content_type: str) -> Any:
    return client.generic("POST", url, body, content_type=content_type)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("field", ["recipient", "subject", "body", "from", "reply_to", "tag", "cc", "bcc"])
def test_email_field_with_a_lone_surrogate_is_400_naming_it(
    field: str, encoding: str, api_client: ApiClient
) -> None:
    body, content_type = ENCODINGS[encoding](EMAIL, field)

    response = post(api_client, SEND_EMAIL, body, content_type)

    assert (response.status_code, response.json()) == (
        400,
        {"code": "api_validation", "message": f'"{field}" must be valid UTF-8 text'},
    )
    assert not TransactionalEmail.objects.exists()


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("field", ["recipient", "body", "label"])
def test_sms_field_with_a_lone_surrogate_is_400_naming_it(
    field: str, encoding: str, api_client: ApiClient
) -> None:
    body, content_type = ENCODINGS[encoding](SMS, field)

    response = post(api_client, SEND_SMS, body, content_type)

    assert (response.status_code, response.json()) == (
        400,
        {"code": "api_validation", "message": f'"{field}" must be valid UTF-8 text'},
    )
    assert not TransactionalSms.objects.exists()


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_form_bodies_in_utf8_are_still_read_as_sent(encoding: str, api_client: ApiClient) -> None:
    fields = {**EMAIL, "subject": "Zoë's appointment 日本"}
    body, content_type = ENCODINGS[encoding](fields, "tag")
    body = body.replace(urllib.parse.quote(LONE_BYTES).encode(), b"clinic").replace(LONE_BYTES, b"clinic")

    response = post(api_client, SEND_EMAIL, body, content_type)

    assert response.status_code == 201
    assert (response.json()["params"]["subject"], response.json()["tag"]) == (
        "Zoë's appointment 日本",
        "clinic",
    )
