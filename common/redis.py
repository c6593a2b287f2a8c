"""The one Redis client every process shares, and the prefix on every key Postman keeps there."""

from __future__ import annotations

import functools

from django.conf import settings
from redis import Redis


@functools.cache
def redis_client(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=10, health_check_interval=30)


def shared_redis() -> Redis:
    return redis_client(settings.REDIS_URL)


def redis_key(name: str) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:{name}"
