"""Sending deliveries to a local receiver: signature, retries and backoff, final answers, replay."""

from __future__ import annotations

import base64
import io
import itertools
import json
import logging
import socket
import subprocess
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from tests.webhooks.conftest import attempt, readme_example, run_due
from tests.webhooks.receiver import Receiver, Reply
from webhooks import delivery as sending
from webhooks import encryption, transport
from webhooks.models import DeliveryStatus, EventType, WebhookAttempt, WebhookDelivery, WebhookEvent
from webhooks.services import (
    WebhookError,
    emit,
    purge_old_events,
    register_endpoint,
    replay_delivery,
    set_endpoint_active,
)
from webhooks.signature import sign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback")]

DATA = {"channel": "email", "id": 42, "status": "DELIVERED", "error_code": None}


def due(delivery: WebhookDelivery) -> datetime:
    assert delivery.next_attempt_at is not None, "not pending"
    return delivery.next_attempt_at


def endpoint_for(officer: Any, receiver: Receiver, **options: Any) -> tuple[Any, str]:
    return register_endpoint(owner=officer, url=receiver.url(), campaign_milestones=False, **options)


def emitted(officer: Any, data: dict[str, Any] | None = None) -> WebhookDelivery:
    emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data=data or DATA)
    return WebhookDelivery.objects.select_related("event").get()


def python_verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    namespace: dict[str, Any] = {}
    exec(readme_example("python"), namespace)  # the README's example, as a receiver would paste it
    return bool(namespace["verify"](secret, headers, body))


def node_verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    harness = (
        readme_example("js")
        + "\nlet input = '';\nprocess.stdin.on('data', (c) => (input += c));\n"
        + "process.stdin.on('end', () => { const r = JSON.parse(input);\n"
        + "  console.log(verify(r.secret, r.headers, Buffer.from(r.body, 'base64'))); });\n"
    )
    lowered = {name.lower(): value for name, value in headers.items()}
    payload = json.dumps({"secret": secret, "headers": lowered, "body": base64.b64encode(body).decode()})
    result = subprocess.run(
        ["node", "-e", harness], input=payload, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip() == "true"


def test_delivery_is_signed_as_documented_and_verifies_in_python_and_node(officer: Any) -> None:
    with Receiver() as receiver:
        _, secret = endpoint_for(officer, receiver)
        delivery = attempt(emitted(officer))

    [request] = receiver.requests
    headers, body = request.headers, request.body
    assert request.method == "POST"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Postman-Webhooks/1"
    assert headers["Postman-Webhook-Id"] == str(delivery.event_id)
    assert abs(int(headers["Postman-Webhook-Timestamp"]) - timezone.now().timestamp()) < 5
    assert json.loads(body) == {
        "id": str(delivery.event_id),
        "type": "message.status_changed",
        "created_at": delivery.event.created_at.isoformat(),
        "data": DATA,
    }
    assert python_verify(secret, headers, body) is True
    assert node_verify(secret, headers, body) is True
    # A changed body, another secret or a stale timestamp do not verify.
    assert python_verify(secret, headers, body.replace(b"42", b"43")) is False
    assert node_verify(secret, headers, body.replace(b"42", b"43")) is False
    assert python_verify("whsec_other", headers, body) is False
    stale = int(headers["Postman-Webhook-Timestamp"]) - 301
    old = {**headers, "Postman-Webhook-Timestamp": str(stale)}
    old["Postman-Webhook-Signature"] = sign(secret=secret, timestamp=stale, body=body)
    assert python_verify(secret, old, body) is False
    assert node_verify(secret, old, body) is False
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_receiver_failing_twice_gets_the_event_three_times_and_it_is_delivered(officer: Any) -> None:
    with Receiver(Reply(500, b"database down"), Reply(503, b"busy"), Reply(200, b"thanks")) as receiver:
        endpoint_for(officer, receiver)
        start = timezone.now()
        with time_machine.travel(start, tick=True) as clock:
            delivery = attempt(emitted(officer))
            assert delivery.status == DeliveryStatus.PENDING
            first_wait = (due(delivery) - timezone.now()).total_seconds()
            assert run_due() == 0  # not before its time
            clock.move_to(due(delivery) + timedelta(seconds=1))
            assert run_due() == 1
            delivery.refresh_from_db()
            second_wait = (due(delivery) - timezone.now()).total_seconds()
            clock.move_to(due(delivery) + timedelta(seconds=1))
            assert run_due() == 1

    delivery.refresh_from_db()
    assert 29 <= first_wait <= 36 and 59 <= second_wait <= 72  # 30 s then 60 s, plus jitter
    assert len(receiver.requests) == 3
    assert {r.headers["Postman-Webhook-Id"] for r in receiver.requests} == {str(delivery.event_id)}
    assert len({r.body for r in receiver.requests}) == 1
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert delivery.last_response == "thanks"
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    log = list(
        WebhookAttempt.objects.filter(delivery=delivery).values_list("number", "status_code", "response")
    )
    assert log == [(1, 500, "database down"), (2, 503, "busy"), (3, 200, "thanks")]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 408, 410, 422])
def test_a_4xx_answer_is_final(officer: Any, status: int) -> None:
    with Receiver(Reply(status, b"no such hook")) as receiver:
        endpoint_for(officer, receiver)
        delivery = attempt(emitted(officer))
        with time_machine.travel(timezone.now() + timedelta(hours=2)):
            assert run_due() == 0

    assert len(receiver.requests) == 1
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, status)
    assert (delivery.last_response, delivery.next_attempt_at) == ("no such hook", None)


def test_429_is_retried_after_its_retry_after(officer: Any) -> None:
    with Receiver(Reply(429, b"slow down", {"Retry-After": "600"}), Reply(204, b"")) as receiver:
        endpoint_for(officer, receiver)
        delivery = attempt(emitted(officer))
        wait = (due(delivery) - timezone.now()).total_seconds()
        with time_machine.travel(due(delivery) - timedelta(seconds=30)):
            assert run_due() == 0
        with time_machine.travel(due(delivery) + timedelta(seconds=1)):
            assert run_due() == 1

    delivery.refresh_from_db()
    assert 595 <= wait <= 601
    assert [r.method for r in receiver.requests] == ["POST", "POST"]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 204)


def test_a_redirect_is_not_followed(officer: Any) -> None:
    with Receiver() as target, Receiver(Reply(302, b"", {"Location": target.url("/elsewhere")})) as receiver:
        endpoint_for(officer, receiver)
        delivery = attempt(emitted(officer))

    assert len(receiver.requests) == 1 and target.requests == []
    assert (delivery.status, delivery.last_status_code) == ("failed", 302)
    assert delivery.last_error == "Redirects are not followed: register the address it redirects to."


def test_no_answer_within_the_time_limit_is_retried(officer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "TOTAL_TIMEOUT", 1.0)
    with Receiver(Reply(drip=True)) as receiver:
        endpoint_for(officer, receiver)
        delivery = attempt(emitted(officer))

    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error == "No answer within 1 s."
    [logged] = WebhookAttempt.objects.filter(delivery=delivery)
    assert 900 <= logged.duration_ms < 3000  # held to the limit although the receiver kept talking


def test_a_refused_connection_is_retried(officer: Any) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    register_endpoint(owner=officer, url=f"http://127.0.0.1:{port}/hooks", campaign_milestones=False)

    delivery = attempt(emitted(officer))

    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error.startswith("Could not connect (127.0.0.1: Connection refused")


def test_only_the_start_of_a_long_answer_is_read_and_kept(officer: Any) -> None:
    with Receiver(Reply(500, b"x" * 5_000_000)) as receiver:
        endpoint_for(officer, receiver)
        delivery = attempt(emitted(officer))

    assert delivery.last_response == "x" * 500


def test_retries_stop_after_24_hours(officer: Any) -> None:
    with Receiver(*[Reply(500) for _ in range(60)]) as receiver:
        endpoint_for(officer, receiver)
        with time_machine.travel(timezone.now(), tick=False) as clock:
            delivery = attempt(emitted(officer))
            while delivery.status == DeliveryStatus.PENDING:
                clock.move_to(due(delivery) + timedelta(seconds=1))
                run_due()
                delivery.refresh_from_db()

    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "Gave up after 24 hours."
    assert attempts[-1].started_at <= delivery.give_up_at == delivery.created_at + timedelta(hours=24)
    assert attempts[-1].started_at > delivery.created_at + timedelta(hours=22)  # hourly at the end
    assert len(receiver.requests) == len(attempts) == delivery.attempts
    assert 26 <= len(attempts) <= 32
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in itertools.pairwise(attempts)]
    assert gaps[0] < gaps[1] < gaps[2] < gaps[3] and max(gaps) <= 3600 * 1.2 + 1


def test_replay_sends_the_same_event_again_and_is_recorded_apart(officer: Any) -> None:
    with Receiver(Reply(404)) as receiver:
        endpoint_for(officer, receiver)
        original = attempt(emitted(officer))
        again = replay_delivery(delivery=original)
        again = attempt(again)

    assert [r.headers["Postman-Webhook-Id"] for r in receiver.requests] == [str(original.event_id)] * 2
    assert receiver.requests[0].body == receiver.requests[1].body
    assert (original.status, again.status, again.attempts) == ("failed", "delivered", 1)
    assert again.replay_of_id == original.pk and again.event_id == original.event_id
    assert WebhookEvent.objects.count() == 1


def test_a_delivery_still_retrying_cannot_be_replayed(officer: Any) -> None:
    with Receiver(Reply(500)) as receiver:
        endpoint_for(officer, receiver)
        delivery = attempt(emitted(officer))

    with pytest.raises(WebhookError, match="still being retried"):
        replay_delivery(delivery=delivery)
    assert WebhookDelivery.objects.count() == 1


def test_turning_an_endpoint_off_stops_its_retries_and_new_events(officer: Any) -> None:
    with Receiver(Reply(500)) as receiver:
        endpoint, _ = endpoint_for(officer, receiver)
        delivery = attempt(emitted(officer))
        set_endpoint_active(endpoint=endpoint, active=False)
        with time_machine.travel(due(delivery) + timedelta(seconds=1)):
            run_due()
        emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data=DATA)

    delivery.refresh_from_db()
    assert len(receiver.requests) == 1
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.last_error == "Not sent: the endpoint was turned off."
    assert WebhookDelivery.objects.count() == 1


def test_a_stale_or_repeated_task_does_nothing(officer: Any) -> None:
    with Receiver(Reply(500)) as receiver:
        endpoint_for(officer, receiver)
        delivery = emitted(officer)
        with time_machine.travel(due(delivery) + timedelta(seconds=1)):
            assert run_due() == 1  # the first task was lost: the sweep took over with claim 2
        sending.attempt_delivery(delivery_id=delivery.pk, claim=1)  # the lost task turns up
        sending.attempt_delivery(delivery_id=delivery.pk, claim=2)  # and the sweep's twice

    delivery.refresh_from_db()
    assert len(receiver.requests) == 1
    assert (delivery.status, delivery.attempts, delivery.claim) == ("pending", 1, 3)


def test_emit_reaches_only_the_owners_endpoints_that_want_the_event(officer: Any, other_officer: Any) -> None:
    with Receiver() as receiver:
        messages_only, _ = endpoint_for(officer, receiver)
        milestones, _ = register_endpoint(owner=officer, url=receiver.url("/m"), campaign_milestones=True)
        register_endpoint(owner=other_officer, url=receiver.url("/other"), campaign_milestones=True)

        status = emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data=DATA)
        started = emit(owner_id=officer.pk, event=EventType.CAMPAIGN_STARTED, data={"id": 7})

    assert status is not None and started is not None
    assert set(status.deliveries.values_list("endpoint", flat=True)) == {messages_only.pk, milestones.pk}
    assert list(started.deliveries.values_list("endpoint", flat=True)) == [milestones.pk]
    assert not WebhookEvent.objects.filter(owner=other_officer).exists()


def test_emit_without_endpoints_writes_nothing(officer: Any) -> None:
    assert emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data=DATA) is None
    assert (WebhookEvent.objects.count(), WebhookDelivery.objects.count()) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_deliveries_are_queued_only_when_the_change_commits(
    officer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webhooks import tasks

    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(tasks.attempt_delivery, "delay", lambda *args: queued.append(args))
    register_endpoint(owner=officer, url="http://127.0.0.1:9/hooks", campaign_milestones=False)

    with pytest.raises(RuntimeError), transaction.atomic():
        emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data=DATA)
        raise RuntimeError("the status change rolls back")
    assert (WebhookEvent.objects.count(), queued) == (0, [])

    with transaction.atomic():
        emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data=DATA)
        assert queued == []
    assert queued == [(WebhookDelivery.objects.get().pk, 1)]


def test_secret_is_stored_encrypted_only(officer: Any) -> None:
    endpoint, secret = register_endpoint(owner=officer, url="http://127.0.0.1:9/", campaign_milestones=False)

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM webhooks_webhookendpoint")
        row = " ".join(str(value) for value in cursor.fetchone())
    assert secret not in row and secret[6:20] not in row
    assert encryption.decrypt(endpoint.secret_encrypted) == secret
    assert endpoint.secret_last4 == secret[-4:]


def test_rotating_keys_keeps_every_secret_usable(officer: Any, settings: Any) -> None:
    old, new = settings.WEBHOOKS_SECRET_KEYS[0], Fernet.generate_key()
    endpoint, secret = register_endpoint(owner=officer, url="http://127.0.0.1:9/", campaign_milestones=False)
    settings.WEBHOOKS_SECRET_KEYS = [new.decode(), old]

    call_command("rotate_webhook_secrets", stdout=io.StringIO())
    settings.WEBHOOKS_SECRET_KEYS = [new.decode()]

    endpoint.refresh_from_db()
    assert endpoint.secret() == secret


def test_events_are_forgotten_after_the_retention_period(officer: Any, settings: Any) -> None:
    settings.WEBHOOKS_RETENTION_DAYS = 30
    with Receiver() as receiver:
        endpoint_for(officer, receiver)
        with time_machine.travel(timezone.now() - timedelta(days=31)):
            attempt(emitted(officer))
        recent = emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data=DATA)

    assert purge_old_events() == 1
    assert recent is not None
    assert list(WebhookEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert WebhookDelivery.objects.count() == 1 and WebhookAttempt.objects.count() == 0


def test_at_most_five_endpoints(officer: Any) -> None:
    for port in range(5):
        register_endpoint(owner=officer, url=f"http://127.0.0.1:{port + 1}/", campaign_milestones=False)

    with pytest.raises(WebhookError, match="at most 5 endpoints"):
        register_endpoint(owner=officer, url="http://127.0.0.1:6/", campaign_milestones=False)


def test_an_attempt_that_fails_on_our_side_is_recorded_and_retried(officer: Any, settings: Any) -> None:
    with Receiver() as receiver:
        endpoint_for(officer, receiver)
        delivery = emitted(officer)
        settings.WEBHOOKS_SECRET_KEYS = [Fernet.generate_key().decode()]  # the secret's key is gone
        delivery = attempt(delivery)

    assert receiver.requests == []
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "Postman could not make this attempt; it will try again."


def test_the_secret_is_never_logged(officer: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with Receiver(Reply(500), Reply(200)) as receiver:
        _, secret = endpoint_for(officer, receiver)
        delivery = attempt(emitted(officer))
        with time_machine.travel(due(delivery) + timedelta(seconds=1)):
            run_due()

    assert len(receiver.requests) == 2
    assert secret not in caplog.text and secret[6:] not in caplog.text
