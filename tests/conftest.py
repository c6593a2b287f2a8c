from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from redis import Redis

from tests.factories import make_officer

# Browser tests call the ORM from Playwright's sync API, which runs inside an event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Rate-limit counters live in Redis: each test starts without any."""
    redis = Redis.from_url(settings.REDIS_URL)
    prefix = settings.REDIS_KEY_PREFIX
    for key in redis.scan_iter(match=f"{prefix}:*", count=1000):
        redis.delete(key)
    yield


@pytest.fixture(autouse=True)
def _mail_through_inbox(settings: Any) -> None:
    """Django's test runner swaps in a memory backend; tests read mail from the dev inbox."""
    settings.EMAIL_BACKEND = "channels_email.backends.ProviderEmailBackend"


@pytest.fixture
def counters_hold() -> Iterator[None]:
    """After the test, every campaign's counters equal its messages counted by status."""
    from tests.counters import assert_every_campaign_counters_match

    yield
    assert_every_campaign_counters_match()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def officer(db: None) -> Any:
    return make_officer("officer@agency.gov.sg")


@pytest.fixture
def other_officer(db: None) -> Any:
    return make_officer("someone.else@other.gov.sg")


@pytest.fixture
def officer_client(officer: Any) -> Client:
    client = Client()
    client.force_login(officer)
    return client


@pytest.fixture
def fake_provider() -> Iterator[Any]:
    from fake_provider.server import FakeProvider

    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def ses_provider(fake_provider: Any, settings: Any) -> Iterator[Any]:
    """Email goes through boto3 sesv2 to the fake provider on loopback."""
    from channels_email.transport import ses_client

    settings.EMAIL_PROVIDER = "ses"
    settings.SES_ENDPOINT_URL = fake_provider.url
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test-key")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test-secret")
    ses_client.cache_clear()
    yield fake_provider
    ses_client.cache_clear()


@pytest.fixture
def worker(transactional_db: None, ses_provider: Any, tmp_path: Any) -> Iterator[Any]:
    from tests.workers import start_worker

    process = start_worker(ses_provider.url, tmp_path)
    yield process
    process.stop()
