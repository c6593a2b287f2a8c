"""A whole email campaign and a whole SMS campaign driven through the API only: create, template,
upload 1,000 rows, poll the ingest, send, poll progress to the end, export. A real Celery worker
ingests and sends; the fake provider stands in for SES and Twilio."""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.models import ApiSettings
from api.services.keys import create_api_key
from postman.celery import app
from tests.api.conftest import ApiClient
from tests.channels_sms.conftest import make_credential
from tests.webhooks.receiver import Receiver
from tests.workers import Worker, purge_queues, worker_environment
from webhooks.services import register_endpoint
from webhooks.signature import sign

pytestmark = pytest.mark.django_db(transaction=True)

BASE = "/api/v1/campaigns"
INVALID_PHONES = ["6123 4567", "call me", "+65 1234", "12345", "9123 45678"]


@pytest.fixture
def worker_and_provider(ses_provider: Any, settings: Any, tmp_path: Path) -> Iterator[Any]:
    """A worker that reads uploads from the same folder the API stores them in, sends email and
    SMS to the fake provider (Twilio's status callbacks off: no server listens for them) and
    calls webhook receivers on this machine."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    settings.TWILIO_BASE_URL = ses_provider.url
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    ses_provider.configure(twilio_callbacks=False)
    purge_queues()
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("webhooks")  # type: ignore[attr-defined]
    environment = worker_environment(ses_provider.url, MEDIA_ROOT=str(media), WEBHOOKS_ALLOW_LOOPBACK="1")
    process = Worker(
        environment, tmp_path / "worker.log", queues="transactional,campaigns,ingest,control,webhooks"
    )
    yield ses_provider
    process.stop()


@pytest.fixture
def client(officer: Any) -> ApiClient:
    # Polling every quarter second stays far under the limit; the limit has tests of its own.
    ApiSettings.objects.update_or_create(user=officer, defaults={"rate_per_second": 1000})
    return ApiClient(create_api_key(owner=officer, label="Campaign system")[1])


def call(client: ApiClient, method: str, url: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    response = getattr(client, method)(url, payload or {}, content_type="application/json")
    assert response.status_code in (200, 201), response.json()
    return dict(response.json())


def poll(client: ApiClient, url: str, until: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every answer from `url` until `until` holds for one (at most two minutes)."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120
    while not seen or not until(seen[-1]):
        assert time.monotonic() < deadline, seen[-1]
        if seen:
            time.sleep(0.25)
        response = client.get(url)
        assert response.status_code == 200, response.json()
        seen.append(response.json())
    return seen


def run_campaign(
    client: ApiClient, *, channel: str, template: dict[str, str], rows: str, send: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, str]]]:
    """The whole flow through the API; returns the ingest result, the progress seen and the export."""
    campaign = call(client, "post", BASE, {"name": f"Reminders by {channel}", "channel": channel})
    url = f"{BASE}/{campaign['id']}"
    call(client, "put", f"{url}/template", template)
    upload = SimpleUploadedFile("people.csv", rows.encode(), content_type="text/csv")
    accepted = client.post(f"{url}/recipients", {"file": upload})
    assert accepted.status_code == 202, accepted.json()
    ingest = poll(client, accepted["Location"], lambda f: f["status"] in ("ready", "failed"))[-1]
    assert ingest["status"] == "ready", ingest
    started = call(client, "post", f"{url}/send", send)
    assert started["status"] == "sending"
    progress = poll(client, url, lambda c: c["status"] == "sent")
    export = client.get(f"{url}/export")
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    return ingest, progress, list(csv.DictReader(io.StringIO(text)))


def assert_progress_only_moves_forward(progress: list[dict[str, Any]], sendable: int) -> None:
    done = [answer["progress"]["done"] for answer in progress]
    assert done == sorted(done)
    final = progress[-1]
    assert (final["progress"]["percent"], final["progress"]["done"], final["progress"]["sendable"]) == (
        100,
        sendable,
        sendable,
    )
    assert final["finished_at"] is not None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def test_email_campaign_through_the_api_only(
    client: ApiClient, officer: Any, worker_and_provider: Any, receiver: Receiver
) -> None:
    _, secret = register_endpoint(owner=officer, url=receiver.url(), campaign_milestones=True)
    lines = [f"person{i}@example.com,Person {i},C{i:04d}" for i in range(995)]
    lines += ["not-an-email,Bad,X", "also bad@example,Bad,X", "@example.com,Bad,X"]
    lines += ["person10@example.com,Again,X", "PERSON11@example.com,Again,X"]
    template = {
        "subject": "Your code, {{name}}",
        "body": "<p>Dear {{name}}, your code is <b>{{code}}</b>.</p>",
    }

    ingest, progress, exported = run_campaign(
        client,
        channel="email",
        template=template,
        rows="recipient,name,code\n" + "\n".join(lines) + "\n",
        send={"send_rate": 500},
    )

    assert (ingest["total"], ingest["valid"], ingest["invalid"], ingest["duplicates"]) == (1000, 995, 3, 2)
    rejected = client.get(ingest["rejected_rows_url"])
    rejected_text = b"".join(rejected.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert len(list(csv.DictReader(io.StringIO(rejected_text)))) == 5
    assert_progress_only_moves_forward(progress, 995)
    assert progress[-1]["counts"]["sent"] + progress[-1]["counts"]["delivered"] == 995
    assert len(exported) == 1000
    assert Counter(row["status"] for row in exported) == Counter({"sent": 995, "invalid": 3, "duplicate": 2})
    mail = {m["to"][0]: m for m in worker_and_provider.messages()}
    assert set(mail) == {f"person{i}@example.com" for i in range(995)}
    assert len(worker_and_provider.messages()) == 995
    assert mail["person7@example.com"]["subject"] == "Your code, Person 7"
    assert "Dear Person 7, your code is <b>C0007</b>." in mail["person7@example.com"]["html"]
    # The officer's webhook endpoint heard the campaign start and finish, by the API's own id.
    milestones = wait_for_milestones(receiver, 2)
    assert [(m["type"], m["data"]["id"], m["data"]["status"]) for m in milestones] == [
        ("campaign.started", progress[-1]["id"], "sending"),
        ("campaign.finished", progress[-1]["id"], "sent"),
    ]
    for request in receiver.requests:
        timestamp = int(request.headers["Postman-Webhook-Timestamp"])
        expected = sign(secret=secret, timestamp=timestamp, body=request.body)
        assert request.headers["Postman-Webhook-Signature"] == expected


def wait_for_milestones(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    """The campaign events the receiver got, in the order they happened, once there are `count`."""
    deadline = time.monotonic() + 60
    while len(receiver.requests) < count:
        assert time.monotonic() < deadline, receiver.requests
        time.sleep(0.25)
    events = [json.loads(request.body) for request in receiver.requests]
    return sorted(events, key=lambda event: event["created_at"])


def test_sms_campaign_through_the_api_only(client: ApiClient, officer: Any, worker_and_provider: Any) -> None:
    make_credential(officer, label="clinic-sms", max_rate=500)
    phones = [f"9{2000000 + i:07d}" for i in range(995)]
    lines = [f"{phone},Person {i},C{i:04d}" for i, phone in enumerate(phones)]
    lines += [f"{bad},Bad,X" for bad in INVALID_PHONES]

    ingest, progress, exported = run_campaign(
        client,
        channel="sms",
        template={"body": "Hi {{name}}, your code is {{code}}."},
        rows="recipient,name,code\n" + "\n".join(lines) + "\n",
        send={"label": "clinic-sms", "send_rate": 500},
    )

    assert (ingest["total"], ingest["valid"], ingest["invalid"]) == (1000, 995, 5)
    assert_progress_only_moves_forward(progress, 995)
    assert progress[-1]["sms"]["credential_label"] == "clinic-sms"
    assert len(exported) == 1000
    assert Counter(row["status"] for row in exported) == Counter({"sent": 995, "invalid": 5})
    received = worker_and_provider.messages("sms")
    assert sorted(m["to"] for m in received) == sorted(f"+65{phone}" for phone in phones)
    by_to = {m["to"]: m for m in received}
    assert by_to[f"+65{phones[7]}"]["body"] == "Hi Person 7, your code is C0007."
