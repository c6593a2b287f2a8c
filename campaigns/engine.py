"""The sending engine: claim a batch, render, send within the shared rates, record per grant.

A message moves QUEUED → SENDING (claimed, with a lease) → SENT / FAILED / …, forward only.
Results are written only to rows still in SENDING under the claim that sent them, so a late or
repeated write never moves a message back.

A batch is a few seconds of sending at the campaign's rate (`batch_size`), and the worker
renews its lease every third of CAMPAIGN_LEASE_SECONDS while it sends; the sweeper returns
only rows whose lease ran out. Each rate grant (a quarter second of sending, `grant_size`) is
recorded as soon as the provider answers. So the duplicate bound is:
- a live worker that renews: none (two renewals may be missed before its rows can be taken);
- a task killed, or stuck in one provider call past the lease: the grant it had in flight, at
  most max(1, rate // 4) messages: 1 at 1/s, 2 at 10/s, 125 at 500/s (SES's full speed here).
  Its other claimed rows are sent once, by whoever claims them after the sweep.
- a worker process killed: one grant for each sending task it was running. A campaign starts
  one task per TASK_RATE (50/s) of its rate, at most CAMPAIGN_SEND_CONCURRENCY (8, the threads
  of the Procfile's campaigns worker): 1 at 1/s and at 10/s, 8 * 125 = 1,000 at 500/s (a
  grant is never over a batch, 200). Grants count against the rates until their sends are
  done, so a worker killed while its database answers promptly has sent at most about one
  second's worth unrecorded.
Nothing is lost: every row claimed by a dead worker comes back through its lease.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from campaigns import notices
from campaigns.channels import ChannelSender, ClaimedBatchSender, sender_for
from campaigns.delivery import Delivery, could_not_build
from campaigns.models import Campaign, CampaignActionKind, CampaignStats, CampaignStatus, MessageStatus
from campaigns.progress import record_sent
from campaigns.services import record_action
from campaigns.transitions import MAX_BATCH, Claimed, Outcome, claim_batch, record_results, renew, sweep_stale
from common import ratelimit
from common.redis import redis_key, shared_redis
from webhooks.services import emit_campaign_milestone

logger = logging.getLogger(__name__)

BATCH_SIZE = MAX_BATCH
MAX_BACKOFF_SECONDS = 8.0
# Tries to write a sent batch's results through a dropped database connection (about 30 s).
RECORD_ATTEMPTS = 10
# How long a sending task waits before looking again when other workers hold the last batches.
IDLE_WAIT_SECONDS = 1.0
# How often a worker in the middle of a batch looks whether the campaign was paused or halted.
STOP_CHECK_SECONDS = 1.0
# Error codes of messages that failed on our side rather than the provider's.
SEND_ERROR = "SendError"
# Losing the database or Redis is an outage, not a fault of one message: the task retries.
_OUTAGES = (DatabaseError, RedisError)


def outcome_for(delivery: Delivery, attempts: int) -> Outcome:
    if delivery.ok:
        return Outcome(MessageStatus.SENT, provider_id=delivery.provider_id)
    if delivery.status:
        return Outcome(delivery.status, error_code=delivery.error_code, error=delivery.error)
    status = MessageStatus.FAILED if delivery.retries_end(attempts) else MessageStatus.QUEUED
    return Outcome(status, error_code=delivery.error_code, error=delivery.error, permanent=delivery.permanent)


def batch_size(buckets: Sequence[ratelimit.Bucket]) -> int:
    """A few seconds of sending at the slowest of the rates, at most BATCH_SIZE.

    A claim is then never much older than its lease's renewal interval, and what a pause, a
    slice's end or a dead worker holds up is seconds of sending, not minutes.
    """
    if not buckets:
        return BATCH_SIZE
    slowest = min(bucket.per_second for bucket in buckets)
    return max(1, min(BATCH_SIZE, int(slowest * settings.CAMPAIGN_BATCH_SECONDS)))


# Messages a second one sending task is asked to carry before a campaign gets another task.
TASK_RATE = 50


def task_count(buckets: Sequence[ratelimit.Bucket]) -> int:
    """Sending tasks a campaign starts: enough for its slowest rate, at most CAMPAIGN_SEND_CONCURRENCY.

    A slow campaign keeps to one task, so it holds one thread of the worker and a killed worker
    can repeat at most its one grant in flight; a fast one spreads over several.
    """
    if not buckets:
        return settings.CAMPAIGN_SEND_CONCURRENCY
    slowest = min(bucket.per_second for bucket in buckets)
    return max(1, min(settings.CAMPAIGN_SEND_CONCURRENCY, -(-slowest // TASK_RATE)))


def grant_size(buckets: Sequence[ratelimit.Bucket], wanted: int) -> int:
    """Messages asked of the rate limiter at once: a quarter second's worth, so sends spread out.

    It is also all that a worker has sent and not yet recorded at any moment.
    """
    if not buckets:
        return wanted
    return max(1, min(wanted, *(max(1, bucket.per_second // 4) for bucket in buckets)))


def send_batch(
    campaign: Campaign,
    batch: Sequence[Claimed],
    *,
    sleep: Callable[[float], None],
    until: float = float("inf"),
) -> Counter[str]:
    """Render and send one claimed batch within the campaign's rates, recording each grant's sends.

    The lease is renewed as the batch goes, and a row whose lease this worker no longer holds
    (it stalled past it and the sweeper took the row back) is left to whoever holds it now.
    """
    sender = sender_for(campaign)
    prepared = sender.prepare(campaign)
    buckets = sender.buckets(campaign)
    chunk = grant_size(buckets, len(batch))
    lease = Lease(campaign.pk, batch)
    changed: Counter[str] = Counter()
    pending = list(batch)
    still_sending = _stop_check(campaign.pk, until)
    try:
        while pending and still_sending():
            pending = lease.keep(pending)
            if not pending:
                break
            grant = ratelimit.acquire(buckets, min(chunk, len(pending)))
            if grant.count == 0:
                sleep(grant.wait_seconds)
                continue
            part, pending = pending[: grant.count], pending[grant.count :]
            try:
                outcomes = _send_part(sender, prepared, campaign, part)
            finally:
                ratelimit.settle(grant)
            changed += _record_surviving_outages(campaign.pk, outcomes, lease.held, sleep=sleep)
            record_sent(campaign.pk, sum(1 for o in outcomes.values() if o.status == MessageStatus.SENT))
    except RedisError:
        # Without the shared rate nothing more may go out: put the rest back, then let the
        # task retry. What already went out is recorded.
        _put_back(campaign.pk, pending, lease, sleep=sleep)
        raise
    # Paused, halted or out of time mid-batch: what was not sent goes back to the queue.
    changed += _put_back(campaign.pk, pending, lease, sleep=sleep)
    return changed


def _put_back(
    campaign_id: int, pending: Sequence[Claimed], lease: Lease, *, sleep: Callable[[float], None]
) -> Counter[str]:
    outcomes = {message.id: Outcome(MessageStatus.QUEUED) for message in pending}
    return _record_surviving_outages(campaign_id, outcomes, lease.held, sleep=sleep)


class Lease:
    """A worker's hold on its claimed rows, renewed while it sends.

    A row is held under the attempt number its claim gave it: once the sweeper has taken a row
    back and another worker claimed it again, the attempt differs, so the first worker neither
    renews, sends nor records it.
    """

    def __init__(self, campaign_id: int, batch: Sequence[Claimed]) -> None:
        self.campaign_id = campaign_id
        self.held = {message.id: message.attempts for message in batch}
        self.renewed_at = time.monotonic()

    def keep(self, pending: list[Claimed]) -> list[Claimed]:
        """Renew the lease when due; the pending rows this worker still holds."""
        if time.monotonic() - self.renewed_at < renew_interval():
            return pending
        self.renewed_at = time.monotonic()
        kept = renew({message.id: self.held[message.id] for message in pending})
        ids = [message.id for message in pending]
        heartbeat(self.campaign_id)
        if len(kept) < len(ids):
            logger.warning(
                "Campaign %s: %s claimed messages were taken back before this worker renewed its lease",
                self.campaign_id,
                len(ids) - len(kept),
            )
        return [message for message in pending if message.id in kept]


def renew_interval() -> float:
    """A third of the lease: two renewals can be missed before the sweeper may take the rows."""
    return settings.CAMPAIGN_LEASE_SECONDS / 3


def _send_part(
    sender: ChannelSender, prepared: Any, campaign: Campaign, part: Sequence[Claimed]
) -> dict[int, Outcome]:
    """Build and send one rate grant's messages; a message that cannot be built or sent fails alone.

    A failure here that is not an outage (a value the email library refuses, a bug in a
    renderer) would otherwise end the task with its rows in SENDING, and the sweeper would hand
    them back to fail again, for ever.
    """
    if isinstance(sender, ClaimedBatchSender):
        try:
            claimed = sender.send_claimed(campaign, prepared, part)
        except _OUTAGES:
            raise
        except Exception as error:
            logger.exception("Could not send %s messages of campaign %s", len(part), campaign.pk)
            failed = _failed(SEND_ERROR, "could not be handed to the provider", error, permanent=False)
            return {message.id: failed for message in part}
        if claimed is not None:
            return {
                message.id: outcome_for(delivery, message.attempts)
                for message, delivery in zip(part, claimed, strict=True)
            }
    outcomes: dict[int, Outcome] = {}
    built: list[tuple[Claimed, Any]] = []
    for message in part:
        try:
            item = sender.build(
                prepared, message_id=message.id, recipient=message.recipient, params=message.params
            )
        except _OUTAGES:
            raise
        except Exception as error:
            logger.exception("Could not build message %s of campaign %s", message.id, campaign.pk)
            outcomes[message.id] = outcome_for(could_not_build(error), message.attempts)
        else:
            built.append((message, item))
    if not built:
        return outcomes
    try:
        deliveries = sender.send_batch(campaign, [item for _, item in built])
    except _OUTAGES:
        raise
    except Exception as error:
        # The transport gives one result per message, so this is a fault on our side that we
        # cannot pin on one message: these fail, and may be retried once it is fixed.
        logger.exception("Could not send %s messages of campaign %s", len(built), campaign.pk)
        failed = _failed(SEND_ERROR, "could not be handed to the provider", error, permanent=False)
        return outcomes | {message.id: failed for message, _ in built}
    for (message, _), delivery in zip(built, deliveries, strict=True):
        outcomes[message.id] = outcome_for(delivery, message.attempts)
    return outcomes


def _failed(code: str, what: str, error: Exception, *, permanent: bool) -> Outcome:
    reason = f"This message {what} because of an error on our side ({type(error).__name__}: {error})."
    return Outcome(MessageStatus.FAILED, error_code=code, error=reason, permanent=permanent)


def _record_surviving_outages(
    campaign_id: int, outcomes: dict[int, Outcome], held: Mapping[int, int], *, sleep: Callable[[float], None]
) -> Counter[str]:
    """Record a sent batch even if the database connection drops meanwhile.

    These messages have gone out; losing their results would leave them to the sweeper, which
    sends them again. Reconnecting and retrying for a while keeps a database blip from
    turning into duplicates.
    """
    for attempt in range(RECORD_ATTEMPTS):
        try:
            return record_results(campaign_id=campaign_id, outcomes=outcomes, held=held)
        except (OperationalError, InterfaceError):
            if attempt == RECORD_ATTEMPTS - 1:
                raise
            connection.close()
            sleep(min(2.0**attempt * 0.1, 5.0))
    raise AssertionError("unreachable")


def _stop_check(campaign_id: int, until: float) -> Callable[[], bool]:
    """A check that the task's slice has time left and, at most once a second, that the
    campaign is still sending (not paused or halted).

    At slow rates a batch takes seconds to send; this lets a pause or halt take hold within a
    second, and ends a slice on time so other campaigns' tasks get their turn on the worker.
    """
    checked_at = time.monotonic()

    def still_sending() -> bool:
        nonlocal checked_at
        if time.monotonic() >= until:
            return False
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
            campaign = Campaign.objects.get(pk=campaign_id)
            record_action(campaign, CampaignActionKind.FINISHED, by=None, detail=_finished_detail(stats))
            notices.campaign_finished(campaign_id)
            emit_campaign_milestone(campaign=campaign, milestone="finished")
    return True


def _finished_detail(stats: CampaignStats) -> str:
    detail = f"{stats.sent_so_far:,} sent"
    if stats.failed:
        detail += f", {stats.failed:,} failed"
    return detail


def run_for(campaign_id: int, *, seconds: float, sleep: Callable[[float], None] = time.sleep) -> bool:
    """Send batches for up to `seconds`; true while work may remain (the caller re-enqueues)."""
    deadline = time.monotonic() + seconds
    backoff = 0.0
    while time.monotonic() < deadline:
        heartbeat(campaign_id)
        campaign = Campaign.objects.select_related("owner__agency").get(pk=campaign_id)
        if campaign.status != CampaignStatus.SENDING:
            return False
        batch = claim_batch(campaign_id=campaign_id, limit=batch_size(sender_for(campaign).buckets(campaign)))
        if not batch:
            if finish_if_done(campaign_id) or not _others_in_flight(campaign_id):
                return False
            # Another worker still holds a batch (or died holding one, until the sweeper frees
            # it): look again in a moment rather than spinning through tasks.
            sleep(IDLE_WAIT_SECONDS)
            continue
        changed = send_batch(campaign, batch, sleep=sleep, until=deadline)
        throttled = changed[MessageStatus.QUEUED] > 0
        backoff = min(MAX_BACKOFF_SECONDS, max(0.25, backoff * 2)) if throttled else 0.0
        if backoff:
            sleep(backoff)
    return True


def heartbeat(campaign_id: int) -> None:
    """A task is working on this campaign: the sweeper leaves it alone until this expires."""
    shared_redis().set(redis_key(f"sending:{campaign_id}"), 1, ex=settings.CAMPAIGN_HEARTBEAT_SECONDS)


def stalled_campaigns() -> list[int]:
    """Sending campaigns that no task has worked on lately (their worker died with the task)."""
    ids = list(Campaign.objects.filter(status=CampaignStatus.SENDING).values_list("pk", flat=True))
    if not ids:
        return []
    beats = shared_redis().mget([redis_key(f"sending:{i}") for i in ids])
    return [campaign_id for campaign_id, beat in zip(ids, beats, strict=True) if beat is None]


def _others_in_flight(campaign_id: int) -> bool:
    return CampaignStats.objects.filter(pk=campaign_id, sending__gt=0).exists()


__all__ = ["Claimed", "Outcome", "claim_batch", "record_results", "sweep_stale"]
