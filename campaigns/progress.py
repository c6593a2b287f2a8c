"""Sends per second, kept in Redis for the progress page's rate, time left and chart.

Counts are per campaign and per second in a hash that expires a day after the last send. They
are for display only: the authoritative numbers are the counters in CampaignStats.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from redis.exceptions import RedisError

from common.redis import redis_client, redis_key

logger = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 10
KEEP_SECONDS = 24 * 60 * 60


def _key(campaign_id: int) -> str:
    return redis_key(f"progress:{campaign_id}:sent")


def record_sent(campaign_id: int, count: int, *, now: float | None = None) -> None:
    if count <= 0:
        return
    second = int(now if now is not None else time.time())
    redis = redis_client(settings.REDIS_URL)
    try:
        with redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(_key(campaign_id), str(second), count)
            pipe.expire(_key(campaign_id), KEEP_SECONDS)
            pipe.execute()
    except RedisError:
        # Display only; the batch's results are already recorded in the database.
        logger.warning("Could not record sends per second; Redis is unavailable")


@dataclass(frozen=True)
class Timeline:
    per_second: dict[int, int]

    def rate(self, now: float) -> float:
        """Messages per second over the last few whole seconds, or since the first send if that
        was more recent (so a send's first seconds are not averaged with the quiet before it)."""
        if not self.per_second:
            return 0.0
        window = max(1, min(RATE_WINDOW_SECONDS, int(now) - min(self.per_second)))
        start = int(now) - window
        recent = sum(count for second, count in self.per_second.items() if start <= second < int(now))
        return recent / window

    def steps(self, points: int = 60) -> tuple[int, list[tuple[int, int]]]:
        """The step in seconds, and (start second, sent) for every step from the first send to
        the last, quiet ones included so the chart shows pauses, at most `points` of them."""
        if not self.per_second:
            return 1, []
        first, last = min(self.per_second), max(self.per_second)
        width = max(1, -(-(last - first + 1) // points))
        grouped = dict.fromkeys(range(first, last + 1, width), 0)
        for second, count in self.per_second.items():
            start = first + (second - first) // width * width
            grouped[start] += count
        return width, sorted(grouped.items())


def timeline(campaign_id: int) -> Timeline:
    raw = redis_client(settings.REDIS_URL).hgetall(_key(campaign_id))
    return Timeline({int(second): int(count) for second, count in raw.items()})


def time_left(remaining: int, rate: float) -> int | None:
    """Seconds left at the current rate, or None when nothing is moving."""
    if remaining <= 0:
        return 0
    if rate <= 0:
        return None
    return int(remaining / rate) + 1
