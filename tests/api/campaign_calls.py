"""Calls the campaign API tests make, as a client would make them with a key."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from campaigns.tasks import ingest_recipient_file
from tests.channels_sms.conftest import phones
from tests.factories import csv_bytes

BASE = "/api/v1/campaigns"
TEMPLATE = {"subject": "Hello {{name}}", "body": "<p>Dear {{name}}, your code is {{code}}.</p>"}


def post(client: Client, url: str, payload: dict[str, Any] | None = None) -> Any:
    return client.post(url, payload or {}, content_type="application/json")


def put(client: Client, url: str, payload: dict[str, Any]) -> Any:
    return client.put(url, payload, content_type="application/json")


def create(client: Client, channel: str = "email", name: str = "Clinic reminders") -> dict[str, Any]:
    response = post(client, BASE, {"name": name, "channel": channel})
    assert response.status_code == 201, response.json()
    return dict(response.json())


def upload(client: Client, campaign_id: int, content: bytes, name: str = "people.csv") -> Any:
    return client.post(f"{BASE}/{campaign_id}/recipients", {"file": SimpleUploadedFile(name, content)})


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def ingest(file_json: dict[str, Any]) -> None:
    """What the worker does with the upload: the ingest task, run inline."""
    ingest_recipient_file(file_json["id"])


def ready_campaign(client: Client, rows: list[dict[str, str]]) -> dict[str, Any]:
    campaign = create(client)
    assert put(client, f"{BASE}/{campaign['id']}/template", TEMPLATE).status_code == 200
    accepted = upload(client, campaign["id"], csv_bytes(rows))
    assert accepted.status_code == 202, accepted.json()
    ingest(accepted.json())
    return dict(client.get(f"{BASE}/{campaign['id']}").json())


def sms_ready(client: Client) -> dict[str, Any]:
    campaign = create(client, "sms")
    put(client, f"{BASE}/{campaign['id']}/template", {"body": "Hi {{name}}, your code is {{code}}."})
    accepted = upload(client, campaign["id"], csv_bytes(phones(3)))
    ingest(accepted.json())
    return dict(client.get(f"{BASE}/{campaign['id']}").json())
