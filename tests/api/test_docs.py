"""The API's documentation states the limits the code enforces, read from where they are set."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from api.services.email import MAX_ATTACHMENT_BYTES, MAX_CC_AND_BCC

pytestmark = pytest.mark.django_db


def test_docs_state_the_limits_the_settings_and_constants_set(settings: Any) -> None:
    settings.API_DEFAULT_RATE_PER_SECOND = 7
    settings.API_KEY_VALIDITY_MONTHS = 3
    settings.API_KEY_REMINDER_DAYS = (10, 2)
    settings.UPLOAD_MAX_BYTES = 50 * 1024 * 1024

    document = Client().get("/api/openapi.json").json()

    intro = document["info"]["description"]
    assert "Each officer may make 7 requests a second" in intro
    assert (
        "Keys expire (3 months unless chosen otherwise); the owner is\nemailed 10 and 2 days before." in intro
    )
    assert "(multipart,\n50 MB)" in intro
    send = document["paths"]["/api/v1/transactional/email/send"]["post"]
    too_many = send["responses"]["400"]["content"]["application/json"]["examples"]["too_many"]["value"]
    assert too_many["message"] == f"cc and bcc can have at most {MAX_CC_AND_BCC} addresses together."
    assert f"{MAX_ATTACHMENT_BYTES} bytes" in json.dumps(send["responses"]["413"])
