from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from api.models import ApiSettings
from api.services.keys import create_api_key
from channels_email.models import SenderAddress


class ApiClient(Client):
    """A test client that sends one API key as Postman's clients do."""

    def __init__(self, plain_key: str, **defaults: Any) -> None:
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {plain_key}", **defaults)
        self.plain_key = plain_key


@pytest.fixture
def api_key(officer: Any) -> tuple[Any, str]:
    """A key whose owner may make 1,000 requests a second: tests that send a dozen messages
    would otherwise meet the rate limit, which has tests of its own (test_auth.py).

    The owner's own address is verified for sending, as SES would report after setup."""
    ApiSettings.objects.update_or_create(user=officer, defaults={"rate_per_second": 1000})
    SenderAddress.objects.create(address=officer.email, owner=officer, verified=True)
    return create_api_key(owner=officer, label="Appointments system")


@pytest.fixture
def api_client(api_key: tuple[Any, str]) -> ApiClient:
    return ApiClient(api_key[1])


@pytest.fixture
def other_api_client(other_officer: Any) -> ApiClient:
    ApiSettings.objects.update_or_create(user=other_officer, defaults={"rate_per_second": 1000})
    return ApiClient(create_api_key(owner=other_officer, label="Other system")[1])


def send_json(client: Client, payload: dict[str, Any], **extra: Any) -> Any:
    return client.post("/api/v1/transactional/email/send", payload, content_type="application/json", **extra)


EMAIL = {
    "recipient": "resident@example.com",
    "subject": "Your appointment",
    "body": "<p>Dear resident, see you on <b>3 March</b>.</p>",
}
