"""Opening a protected message: the verifier check, its lockout schedule and per-address limits.

Every id, known or not, has the same attempt state in Redis, so an unknown id answers exactly as
a known one with a wrong password: five wrong answers, then a lock of 15 minutes that doubles
with each lock after. Times come from the caller (timezone.now()), never from Redis, so the
schedule can be tested by moving the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils import timezone

from campaigns.models import Message
from common.ratelimit import take
from common.redis import redis_key, shared_redis
from protected_email.models import ProtectedMessage, ProtectedTemplate

ATTEMPTS_PER_LOCK = 5
FIRST_LOCK_SECONDS = 15 * 60
# Past ten doublings (about 10 days) the lock stops growing; the payload expires anyway.
MAX_DOUBLINGS = 10
STATE_SECONDS = 120 * 24 * 3600
ADDRESS_ATTEMPTS = 100
ADDRESS_WINDOW_SECONDS = 3600

# Returns {attempt number, 0} or {-1, milliseconds until the lock ends}.
_BEGIN = """
local now = tonumber(ARGV[1])
local locked = tonumber(redis.call('HGET', KEYS[1], 'locked_until') or '0')
if locked > now then return {-1, locked - now} end
local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
if n > tonumber(ARGV[2]) then return {-1, 1000} end
return {n, 0}
"""
# Returns {wrong answers left, 0} or {0, milliseconds of the lock just set}.
_FAIL = """
local now, most = tonumber(ARGV[1]), tonumber(ARGV[2])
local n = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
if n < most then return {most - n, 0} end
local locks = redis.call('HINCRBY', KEYS[1], 'locks', 1)
local wait = tonumber(ARGV[3]) * 2 ^ math.min(locks - 1, tonumber(ARGV[4]))
redis.call('HSET', KEYS[1], 'attempts', 0, 'locked_until', now + wait)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
return {0, wait}
"""


@dataclass(frozen=True)
class Outcome:
    """What the recipient's page is told: the payload, or why not."""

    kind: str  # "opened", "wrong", "locked", "expired", "busy"
    payload: str = ""
    attempts_left: int = 0
    retry_after: int = 0  # seconds


def _state_key(message_id: str) -> str:
    return redis_key(f"protected:attempts:{hashlib.sha256(message_id.encode()).hexdigest()[:32]}")


def _now_ms(now: datetime) -> int:
    return int(now.timestamp() * 1000)


def parse_id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def find_message(message_id: str) -> ProtectedMessage | None:
    parsed = parse_id(message_id)
    if parsed is None:
        return None
    return ProtectedMessage.objects.select_related("campaign__owner__agency").filter(id=parsed).first()


def try_unlock(*, message_id: str, verifier: bytes, client: str) -> Outcome:
    """Check one answer for `message_id`; `verifier` is the raw bytes the browser derived."""
    if wait := take(
        f"protected-address:{client}", limit=ADDRESS_ATTEMPTS, window_seconds=ADDRESS_WINDOW_SECONDS
    ):
        return Outcome("busy", retry_after=max(1, int(wait)))
    found = find_message(message_id)
    if found is not None and found.expired:
        return Outcome("expired")
    key, now = _state_key(message_id), timezone.now()
    redis = shared_redis()
    attempt, wait_ms = redis.eval(_BEGIN, 1, key, _now_ms(now), ATTEMPTS_PER_LOCK, STATE_SECONDS * 1000)  # type: ignore[misc]
    if int(attempt) < 0:
        return Outcome("locked", retry_after=_seconds(int(wait_ms)))
    # An unknown id is compared against a random hash, so it costs the same and never matches.
    stored = found.verifier_hash if found is not None else secrets.token_hex(32)
    if hmac.compare_digest(hashlib.sha256(verifier).hexdigest(), stored) and found is not None:
        redis.hset(key, "attempts", 0)
        record_opened(found, now)
        return Outcome("opened", payload=found.payload)
    left, lock_ms = redis.eval(  # type: ignore[misc]
        _FAIL,
        1,
        key,
        _now_ms(now),
        ATTEMPTS_PER_LOCK,
        FIRST_LOCK_SECONDS * 1000,
        MAX_DOUBLINGS,
        STATE_SECONDS * 1000,
    )
    if int(left) == 0:
        return Outcome("locked", retry_after=_seconds(int(lock_ms)))
    return Outcome("wrong", attempts_left=int(left))


def _seconds(milliseconds: int) -> int:
    return max(1, -(-milliseconds // 1000))


@transaction.atomic
def record_opened(message: ProtectedMessage, now: datetime) -> None:
    """The first successful unlock of a message counts as Opened, with its time; later ones do not."""
    first = ProtectedMessage.objects.filter(id=message.id, opened_at__isnull=True).update(opened_at=now)
    if not first:
        return
    ProtectedTemplate.objects.filter(campaign_id=message.campaign_id).update(opened=F("opened") + 1)
    if message.message_id is not None:
        stamp = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
        # The export reads the recipient's columns from params: the time joins them there.
        Message.objects.filter(pk=message.message_id).update(
            params=RawSQL("params || jsonb_build_object('opened_at', %s::text)", [stamp])
        )
