"""The sending engine: claim a batch, render, send within the shared rates, record per batch.

A message moves QUEUED → SENDING (claimed, with a lease) → SENT / FAILED / …, forward only.
Results are written only to rows still in SENDING, so a late or repeated write never moves a
message back. If a worker dies mid-batch, its rows stay in SENDING until the lease runs out and
the sweeper returns them to QUEUED: at most one batch (BATCH_SIZE) per killed worker can be
sent twice, and nothing is lost.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from redis.exceptions import RedisError

from campaigns import notices
from campaigns.channels import send_claimed, sender_for
from campaigns.delivery import Delivery
from campaigns.models import Campaign, CampaignStats, CampaignStatus, MessageStatus
from campaigns.progress import record_sent
from common import ratelimit
from common.redis import redis_key, shared_redis
from webhooks.services import emit_campaign_milestone

BATCH_SIZE = 200
MAX_ATTEMPTS = 5
MAX_BACKOFF_SECONDS = 8.0
# Tries to write a sent batch's results through a dropped database connection (about 30 s).
RECORD_ATTEMPTS = 10
# How long a sending task waits before looking again when other workers hold the last batches.
IDLE_WAIT_SECONDS = 1.0
# A sending campaign without a heartbeat for this long is restarted by the sweeper.
HEARTBEAT_SECONDS = 90
# How often a worker in the middle of a batch looks whether the campaign was paused or halted.
STOP_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Claimed:
    id: int
    recipient: str
    params: dict[str, str]
    attempts: int


_CLAIM_SQL = """
WITH batch AS (
    SELECT id FROM campaigns_message
    WHERE campaign_id = %s AND status = 'queued' AND id > %s
    ORDER BY id LIMIT %s
    FOR UPDATE SKIP LOCKED
)
UPDATE campaigns_message AS m
SET status = 'sending', attempts = m.attempts + 1, lease_expires_at = %s, updated_at = %s
FROM batch WHERE m.id = batch.id
RETURNING m.id, m.recipient, m.params, m.attempts
"""


def claim_batch(*, campaign_id: int, limit: int = BATCH_SIZE) -> list[Claimed]:
    """Claim up to `limit` queued messages, in id order after the campaign's cursor.

    The cursor keeps each claim from walking over rows other workers already took. Rows put
    back behind it (throttled, swept) are found by one scan from the start once it runs dry.
    """
    cursor_value = CampaignStats.objects.filter(pk=campaign_id).values_list("claim_cursor", flat=True).first()
    rows = _claim_after(campaign_id, cursor_value or 0, limit)
    if not rows and cursor_value:
        rows = _claim_after(campaign_id, 0, limit)
    return rows


@transaction.atomic
def _claim_after(campaign_id: int, after_id: int, limit: int) -> list[Claimed]:
    now = timezone.now()
    with connection.cursor() as cursor:
        lease = timedelta(seconds=settings.CAMPAIGN_LEASE_SECONDS)
        cursor.execute(_CLAIM_SQL, [campaign_id, after_id, limit, now + lease, now])
        rows = [Claimed(r[0], r[1], _params(r[2]), r[3]) for r in cursor.fetchall()]
    if rows:
        CampaignStats.objects.filter(pk=campaign_id).update(
            queued=F("queued") - len(rows),
            sending=F("sending") + len(rows),
            claim_cursor=max(r.id for r in rows),
        )
    return rows


def _params(value: Any) -> dict[str, str]:
    # psycopg2 decodes jsonb to a dict; a json column would arrive as text.
    return dict(json.loads(value) if isinstance(value, str) else value)


@dataclass(frozen=True)
class Outcome:
    status: str
    provider_id: str = ""
    error_code: str = ""
    error: str = ""
    permanent: bool = False  # a failure the provider called final: never retried


def outcome_for(delivery: Delivery, attempts: int) -> Outcome:
    if delivery.ok:
        return Outcome(MessageStatus.SENT, provider_id=delivery.provider_id)
    if delivery.status:
        return Outcome(delivery.status, error_code=delivery.error_code, error=delivery.error)
    retry = delivery.throttled or (not delivery.permanent and attempts < MAX_ATTEMPTS)
    status = MessageStatus.QUEUED if retry else MessageStatus.FAILED
    return Outcome(status, error_code=delivery.error_code, error=delivery.error, permanent=delivery.permanent)


_RECORD_SQL = """
UPDATE campaigns_message AS m
SET status = v.status, provider_id = v.provider_id, error_code = v.error_code, error = v.error,
    error_permanent = v.permanent,
    sent_at = CASE WHEN v.status = 'sent' THEN %s ELSE m.sent_at END,
    lease_expires_at = NULL, updated_at = %s
FROM (VALUES {values}) AS v(id, status, provider_id, error_code, error, permanent)
WHERE m.id = v.id AND m.status = 'sending'
RETURNING m.id, v.status
"""


@transaction.atomic
def record_results(*, campaign_id: int, outcomes: dict[int, Outcome]) -> Counter[str]:
    """Write a batch's outcomes and move the campaign's counters by what actually changed."""
    if not outcomes:
        return Counter()
    now = timezone.now()
    values = ", ".join(["(%s::bigint, %s, %s, %s, %s, %s::boolean)"] * len(outcomes))
    params: list[Any] = [now, now]
    for message_id, outcome in outcomes.items():
        params += [
            message_id,
            outcome.status,
            outcome.provider_id,
            outcome.error_code,
            outcome.error[:1000],
            outcome.permanent,
        ]
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_SQL.format(values=values), params)
        changed = Counter(status for _, status in cursor.fetchall())
    moved = sum(changed.values())
    if moved:
        updates: dict[str, Any] = {"sending": F("sending") - moved}
        for status, count in changed.items():
            updates[status] = F(status) + count
        if changed[MessageStatus.QUEUED]:
            # Requeued rows sit behind the cursor; pull it back so the next claim finds them.
            lowest = min(i for i, o in outcomes.items() if o.status == MessageStatus.QUEUED)
            updates["claim_cursor"] = lowest - 1
        CampaignStats.objects.filter(pk=campaign_id).update(**updates)
    return changed


def send_batch(
    campaign: Campaign, batch: Sequence[Claimed], *, sleep: Callable[[float], None]
) -> Counter[str]:
    """Render and send one claimed batch within the campaign's rates, then record it."""
    sender = sender_for(campaign)
    prepared = sender.prepare(campaign)
    buckets = sender.buckets(campaign)
    chunk = max(1, min(len(batch), *(max(1, b.per_second // 4) for b in buckets))) if buckets else len(batch)
    outcomes: dict[int, Outcome] = {}
    pending = list(batch)
    still_sending = _stop_check(campaign.pk)
    outage: RedisError | None = None
    while pending and still_sending():
        try:
            grant = ratelimit.acquire(buckets, min(chunk, len(pending)))
        except RedisError as error:
            # Without the shared rate nothing more may go out: record what already did (or the
            # sweeper would send it again), put the rest back, then let the task retry.
            outage = error
            break
        if grant.count == 0:
            sleep(grant.wait_seconds)
            continue
        part, pending = pending[: grant.count], pending[grant.count :]
        deliveries = send_claimed(sender, campaign, prepared, part)
        ratelimit.settle(grant)
        for message, delivery in zip(part, deliveries, strict=True):
            outcomes[message.id] = outcome_for(delivery, message.attempts)
    # Paused, halted or cut off from Redis mid-batch: what was not sent goes back to the queue.
    outcomes.update((message.id, Outcome(MessageStatus.QUEUED)) for message in pending)
    changed = _record_surviving_outages(campaign.pk, outcomes, sleep=sleep)
    if outage is not None:
        raise outage
    record_sent(campaign.pk, changed[MessageStatus.SENT])
    return changed


def _record_surviving_outages(
    campaign_id: int, outcomes: dict[int, Outcome], *, sleep: Callable[[float], None]
) -> Counter[str]:
    """Record a sent batch even if the database connection drops meanwhile.

    These messages have gone out; losing their results would leave them to the sweeper, which
    sends them again. Reconnecting and retrying for a while keeps a database blip from
    turning into duplicates.
    """
    for attempt in range(RECORD_ATTEMPTS):
        try:
            return record_results(campaign_id=campaign_id, outcomes=outcomes)
        except (OperationalError, InterfaceError):
            if attempt == RECORD_ATTEMPTS - 1:
                raise
            connection.close()
            sleep(min(2.0**attempt * 0.1, 5.0))
    raise AssertionError("unreachable")


def _stop_check(campaign_id: int) -> Callable[[], bool]:
    """A check, at most once a second, that the campaign is still sending (not paused or halted).

    At slow rates a batch takes minutes to send; this lets a pause or halt take hold within a
    second instead of at the end of the batch.
    """
    checked_at = time.monotonic()

    def still_sending() -> bool:
        nonlocal checked_at
        if time.monotonic() - checked_at < STOP_CHECK_SECONDS:
            return True
        checked_at = time.monotonic()
        try:
            return Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).exists()
        except (OperationalError, InterfaceError):
            # A dropped connection must not cost the results of what this batch already sent:
            # keep going, and let the recording below reconnect.
            return True

    return still_sending


def finish_if_done(campaign_id: int) -> bool:
    """Mark a sending campaign Sent once nothing is queued or in flight; true if it is done."""
    with transaction.atomic():
        stats = CampaignStats.objects.select_for_update().get(pk=campaign_id)
        if stats.queued > 0 or stats.sending > 0:
            return False
        finished = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).update(
            status=CampaignStatus.SENT, finished_at=timezone.now()
        )
        if finished:
            notices.campaign_finished(campaign_id)
            emit_campaign_milestone(campaign=Campaign.objects.get(pk=campaign_id), milestone="finished")
    return True


def run_for(campaign_id: int, *, seconds: float, sleep: Callable[[float], None] = time.sleep) -> bool:
    """Send batches for up to `seconds`; true while work may remain (the caller re-enqueues)."""
    deadline = time.monotonic() + seconds
    backoff = 0.0
    while time.monotonic() < deadline:
        _heartbeat(campaign_id)
        campaign = Campaign.objects.select_related("owner__agency").get(pk=campaign_id)
        if campaign.status != CampaignStatus.SENDING:
            return False
        batch = claim_batch(campaign_id=campaign_id)
        if not batch:
            if finish_if_done(campaign_id) or not _others_in_flight(campaign_id):
                return False
            # Another worker still holds a batch (or died holding one, until the sweeper frees
            # it): look again in a moment rather than spinning through tasks.
            sleep(IDLE_WAIT_SECONDS)
            continue
        changed = send_batch(campaign, batch, sleep=sleep)
        throttled = changed[MessageStatus.QUEUED] > 0
        backoff = min(MAX_BACKOFF_SECONDS, max(0.25, backoff * 2)) if throttled else 0.0
        if backoff:
            sleep(backoff)
    return True


def _heartbeat(campaign_id: int) -> None:
    shared_redis().set(redis_key(f"sending:{campaign_id}"), 1, ex=HEARTBEAT_SECONDS)


def stalled_campaigns() -> list[int]:
    """Sending campaigns that no task has worked on lately (their worker died with the task)."""
    ids = list(Campaign.objects.filter(status=CampaignStatus.SENDING).values_list("pk", flat=True))
    if not ids:
        return []
    beats = shared_redis().mget([redis_key(f"sending:{i}") for i in ids])
    return [campaign_id for campaign_id, beat in zip(ids, beats, strict=True) if beat is None]


def _others_in_flight(campaign_id: int) -> bool:
    return CampaignStats.objects.filter(pk=campaign_id, sending__gt=0).exists()


def sweep_stale(*, now: Any = None) -> int:
    """Return messages whose lease ran out (their worker died) to the queue."""
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE campaigns_message SET status = 'queued', lease_expires_at = NULL, updated_at = %s
            WHERE status = 'sending' AND lease_expires_at < %s
            RETURNING campaign_id
            """,
            [now, now],
        )
        per_campaign = Counter(row[0] for row in cursor.fetchall())
        for campaign_id, count in per_campaign.items():
            CampaignStats.objects.filter(pk=campaign_id).update(
                queued=F("queued") + count, sending=F("sending") - count, claim_cursor=0
            )
    return sum(per_campaign.values())
