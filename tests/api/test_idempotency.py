from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.models import ApiSettings, IdempotencyRecord, TransactionalEmail
from api.services.idempotency import purge_idempotency_records
from api.services.keys import create_api_key
from tests.api.conftest import EMAIL, ApiClient, send_json

SEND = "/api/v1/transactional/email/send"
PDF = b"%PDF-1.4\n%%EOF\n"

pytestmark = pytest.mark.django_db


def test_retry_with_the_same_key_and_body_returns_the_first_answer(api_client: ApiClient) -> None:
    first = send_json(api_client, EMAIL, HTTP_IDEMPOTENCY_KEY="order-1")
    second = send_json(api_client, EMAIL, HTTP_IDEMPOTENCY_KEY="order-1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert TransactionalEmail.objects.count() == 1


def test_same_key_with_a_different_body_is_422_and_sends_nothing(api_client: ApiClient) -> None:
    send_json(api_client, EMAIL, HTTP_IDEMPOTENCY_KEY="order-1")

    response = send_json(api_client, {**EMAIL, "subject": "Changed"}, HTTP_IDEMPOTENCY_KEY="order-1")

    assert response.status_code == 422
    assert response.json() == {
        "code": "idempotency_mismatch",
        "message": "This Idempotency-Key was already used with a different request.",
    }
    assert TransactionalEmail.objects.count() == 1


def test_same_fields_as_json_key_order_do_not_matter(api_client: ApiClient) -> None:
    first = api_client.post(
        SEND, json.dumps(EMAIL), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    reordered = dict(reversed(list(EMAIL.items())))
    second = api_client.post(
        SEND, json.dumps(reordered), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert second.json() == first.json()


def test_multipart_retry_with_the_same_file_is_replayed(api_client: ApiClient) -> None:
    payload = {**EMAIL, "from": "officer@agency.gov.sg"}

    first = api_client.post(
        SEND, {**payload, "attachments": SimpleUploadedFile("a.pdf", PDF)}, HTTP_IDEMPOTENCY_KEY="m"
    )
    second = api_client.post(
        SEND, {**payload, "attachments": SimpleUploadedFile("a.pdf", PDF)}, HTTP_IDEMPOTENCY_KEY="m"
    )
    changed = api_client.post(
        SEND, {**payload, "attachments": SimpleUploadedFile("a.pdf", PDF + b" ")}, HTTP_IDEMPOTENCY_KEY="m"
    )

    assert second.json() == first.json()
    assert changed.status_code == 422


def test_keys_are_per_api_key(officer: Any, api_client: ApiClient) -> None:
    other = ApiClient(create_api_key(owner=officer, label="Other")[1])

    send_json(api_client, EMAIL, HTTP_IDEMPOTENCY_KEY="shared")
    send_json(other, EMAIL, HTTP_IDEMPOTENCY_KEY="shared")

    assert TransactionalEmail.objects.count() == 2


def test_a_refused_request_is_not_remembered_so_a_corrected_retry_goes_through(api_client: ApiClient) -> None:
    refused = send_json(api_client, {**EMAIL, "recipient": "nope"}, HTTP_IDEMPOTENCY_KEY="order-2")
    corrected = send_json(api_client, EMAIL, HTTP_IDEMPOTENCY_KEY="order-2")

    assert (refused.status_code, corrected.status_code) == (400, 201)
    assert TransactionalEmail.objects.count() == 1


def test_key_is_forgotten_after_24_hours(api_client: ApiClient) -> None:
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        send_json(api_client, EMAIL, HTTP_IDEMPOTENCY_KEY="order-3")
    with time_machine.travel(now + timedelta(hours=23, minutes=59), tick=False):
        assert "Idempotent-Replayed" in send_json(api_client, EMAIL, HTTP_IDEMPOTENCY_KEY="order-3")
    with time_machine.travel(now + timedelta(hours=24, minutes=1), tick=False):
        late = send_json(api_client, {**EMAIL, "subject": "Next day"}, HTTP_IDEMPOTENCY_KEY="order-3")

    assert late.status_code == 201
    assert "Idempotent-Replayed" not in late
    assert TransactionalEmail.objects.count() == 2


def test_purge_deletes_records_older_than_a_day(api_client: ApiClient) -> None:
    now = timezone.now()
    with time_machine.travel(now - timedelta(hours=25), tick=False):
        send_json(api_client, EMAIL, HTTP_IDEMPOTENCY_KEY="old")
    send_json(api_client, EMAIL, HTTP_IDEMPOTENCY_KEY="new")

    assert purge_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.parametrize("value", ["x" * 256, "caf\u00e9", "tab\there"])
def test_invalid_idempotency_key_is_400(api_client: ApiClient, value: str) -> None:
    response = send_json(api_client, EMAIL, HTTP_IDEMPOTENCY_KEY=value)

    assert response.status_code == 400
    assert response.json() == {
        "code": "api_validation",
        "message": '"Idempotency-Key" must be 1 to 255 printable ASCII characters',
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_one_message(officer: Any) -> None:
    ApiSettings.objects.create(user=officer, rate_per_second=100)
    _, plain = create_api_key(owner=officer, label="Racy")
    answers: list[tuple[int, str]] = []
    barrier = threading.Barrier(6)

    def post() -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
        barrier.wait()
        response = send_json(client, EMAIL, HTTP_IDEMPOTENCY_KEY="race")
        answers.append((response.status_code, response.content.decode()))
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert TransactionalEmail.objects.count() == 1
    assert {status for status, _ in answers} == {201}
    assert len({content for _, content in answers}) == 1
