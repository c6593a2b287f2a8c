"""With a real worker: an API email's status changes reach a local receiver through the queues."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.utils import timezone

from api.models import ApiSettings
from api.services.keys import create_api_key
from tests.api.conftest import EMAIL, ApiClient, send_json
from tests.webhooks.conftest import readme_example
from tests.webhooks.receiver import Receiver, Reply
from tests.workers import Worker
from webhooks import tasks
from webhooks.models import WebhookDelivery
from webhooks.services import register_endpoint

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback")]


def wait_for(condition: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_api_email_status_reaches_the_receiver_signed_and_a_retry_goes_through_the_sweep(
    officer: Any, webhook_worker: Worker
) -> None:
    ApiSettings.objects.update_or_create(user=officer, defaults={"rate_per_second": 1000})
    client = ApiClient(create_api_key(owner=officer, label="Appointments system")[1])
    with Receiver(Reply(500, b"restarting"), Reply(200, b"ok")) as receiver:
        _, secret = register_endpoint(owner=officer, url=receiver.url(), campaign_milestones=False)

        email_id = send_json(client, EMAIL).json()["id"]
        wait_for(lambda: receiver.requests)
        delivery = wait_for(lambda: WebhookDelivery.objects.filter(attempts=1).first())
        assert (delivery.status, delivery.last_status_code) == ("pending", 500)
        # Bring the retry forward instead of waiting 30 s; beat would queue the sweep every 10 s.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        tasks.send_due_deliveries.delay()
        wait_for(lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="delivered").exists())

    namespace: dict[str, Any] = {}
    exec(readme_example("python"), namespace)
    first, second = receiver.requests
    assert first.body == second.body
    assert b'"status":"SENT"' in first.body and f'"id":{email_id}'.encode() in first.body
    assert all(namespace["verify"](secret, r.headers, r.body) for r in receiver.requests)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
