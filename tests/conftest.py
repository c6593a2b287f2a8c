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
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    for key in redis.scan_iter(match=f"{prefix}:*", count=1000):
        redis.delete(key)
    yield


@pytest.fixture(autouse=True)
def _mail_through_inbox(settings: Any) -> None:
    """Django's test runner swaps in a memory backend; tests read mail from the dev inbox."""
    settings.EMAIL_BACKEND = "channels_email.backends.ProviderEmailBackend"


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
