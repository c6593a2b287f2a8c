from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from postman.celery import app
from tests.workers import Worker, purge_queues, worker_environment
from webhooks import delivery as sending
from webhooks.models import WebhookDelivery

README = Path(__file__).resolve().parents[2] / "README.md"


class FakeDns:
    """Answers for the names a test gives; every other name goes to the real resolver.

    DNS is the outside world: tests decide what a name resolves to, and count the lookups.
    """

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {}
        self.lookups: list[str] = []

    def __setitem__(self, name: str, addresses: list[str]) -> None:
        self.names[name] = addresses


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    fake = FakeDns()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in fake.names:
            fake.lookups.append(host)
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
                if ":" in a
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in fake.names[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake


@pytest.fixture
def loopback(settings: Any) -> Iterator[None]:
    """Callback URLs on 127.0.0.1, as in local development: the receiver runs here."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    yield


@pytest.fixture
def webhook_worker(ses_provider: Any, tmp_path: Path) -> Iterator[Worker]:
    """A real worker on the transactional and webhooks queues, allowed to call loopback."""
    purge_queues()
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("webhooks")  # type: ignore[attr-defined]
    environment = worker_environment(ses_provider.url, WEBHOOKS_ALLOW_LOOPBACK="1")
    worker = Worker(environment, tmp_path / "worker.log", queues="transactional,webhooks,control")
    yield worker
    worker.stop()


def attempt(delivery: WebhookDelivery) -> WebhookDelivery:
    """The first attempt, as the task queued after commit makes it; the row afterwards."""
    sending.attempt_delivery(delivery_id=delivery.pk, claim=delivery.claim)
    delivery.refresh_from_db()
    return delivery


def run_due() -> int:
    """What the beat sweep and the tasks it queues do, in process."""
    claims = sending.claim_due_deliveries()
    for delivery_id, claim in claims:
        sending.attempt_delivery(delivery_id=delivery_id, claim=claim)
    return len(claims)


def readme_example(language: str) -> str:
    """The verification example of that language in the README's webhooks section."""
    section = README.read_text().split("## Delivery webhooks", 1)[1].split("\n## ", 1)[0]
    match = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert match, f"no {language} example in the README"
    return match.group(1)
