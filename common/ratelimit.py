"""Send rates shared by every worker: a sliding one-second window per bucket in Redis.

A token bucket lets a burst and its refill land in the same second, so it cannot promise "never
more than N in any one-second window". Here each grant is a member of a sorted set, counted
from when it was granted until one second after its sends finished (`settle`). Sends of two
grants that never shared the window cannot fall within one second of each other, whatever the
network latency, so the provider never sees more than N in any second.

Until it is settled a grant is scored HOLD_SECONDS ahead, so it stays counted however long its
sends take (a loaded machine, a slow provider); a grant whose worker died and never settled it
frees its share after HOLD_SECONDS, longer than any provider call may take.

`take` is the same idea for slower quotas (so many uses an hour), one use at a time.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from redis.exceptions import RedisError

from common.redis import redis_key, shared_redis

logger = logging.getLogger(__name__)

WINDOW_MS = 1000
# How long an unsettled grant counts: longer than any provider call's timeouts allow.
HOLD_SECONDS = 60
_ACQUIRE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local grant = tonumber(ARGV[1])
local hold = tonumber(ARGV[3])
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[3 + i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - 1000)
  local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  local used = 0
  for j = 1, #entries, 2 do
    used = used + tonumber(string.match(entries[j], '^(%d+):'))
  end
  local free = limit - used
  if free < grant then grant = math.max(free, 0) end
  if free <= 0 and #entries > 0 then
    local first = tonumber(entries[2])
    -- A settled grant frees its share a second after its score; one still sending, when it settles.
    if first <= now then wait = math.max(wait, first + 1000 - now) else wait = math.max(wait, 50) end
  end
end
if grant > 0 then
  for _, key in ipairs(KEYS) do
    redis.call('ZADD', key, now + hold, grant .. ':' .. ARGV[2])
    redis.call('PEXPIRE', key, 600000)
  end
end
return {grant, math.max(wait, 1)}
"""
_SETTLE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, 600000)
end
return 1
"""


@dataclass(frozen=True)
class Bucket:
    key: str
    per_second: int


@dataclass(frozen=True)
class Grant:
    count: int
    wait_seconds: float
    member: str
    buckets: tuple[Bucket, ...]


def acquire(buckets: tuple[Bucket, ...], wanted: int, *, settled: bool = False) -> Grant:
    """Take up to `wanted` sends from every bucket at once; 0 means wait `wait_seconds`.

    The grant counts until `settle(grant)`; `settled=True` takes it as done at once (a request
    metered on arrival, with nothing sent after), counted for the next second.
    """
    if not buckets:
        return Grant(wanted, 0.0, "", ())
    token = uuid.uuid4().hex
    keys = [redis_key(f"rate:{bucket.key}") for bucket in buckets]
    limits = [bucket.per_second for bucket in buckets]
    granted, wait_ms = shared_redis().eval(  # type: ignore[misc]
        _ACQUIRE, len(keys), *keys, wanted, token, 0 if settled else HOLD_SECONDS * 1000, *limits
    )
    return Grant(int(granted), int(wait_ms) / 1000, f"{int(granted)}:{token}", buckets)


def settle(grant: Grant) -> None:
    """The grant's sends are done: count them for one more second from now.

    Best effort: the messages are already out, and failing here would leave their results
    unrecorded (and so sent again). Without the settle, the grant counts for HOLD_SECONDS.
    """
    if grant.buckets and grant.count:
        keys = [redis_key(f"rate:{bucket.key}") for bucket in grant.buckets]
        try:
            shared_redis().eval(_SETTLE, len(keys), *keys, grant.member)
        except RedisError:
            logger.warning("Could not settle a send-rate grant; Redis is unavailable")


_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(tonumber(oldest[2]) + window - now, 1)
"""


def take(key: str, *, limit: int, window_seconds: int) -> float:
    """Count one use of `key` if fewer than `limit` fell in the last `window_seconds` (a sliding
    window, shared by every process); 0.0 if counted, else the seconds until one is free."""
    wait_ms = shared_redis().eval(  # type: ignore[misc]
        _TAKE, 1, redis_key(f"quota:{key}"), limit, window_seconds * 1000, uuid.uuid4().hex
    )
    return int(wait_ms) / 1000
