"""Sending a delivery: claim it, POST it signed, record the answer, and decide what next.

Retries are rows, not broker messages. A failed attempt sets `next_attempt_at`; a beat sweep
claims due rows with SELECT … FOR UPDATE SKIP LOCKED and queues one short task per attempt.
Celery countdown/ETA tasks would not do here: on Redis a worker holds ETA messages unacknowledged
in memory until they are due, and one due later than the broker's visibility timeout (an hour)
is handed to a second worker meanwhile, so hour-long backoffs would run twice; a queue purge or
a lost Redis would lose the schedule. Rows in PostgreSQL survive all of that, and the claim
makes any duplicate task a no-op.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from webhooks import events, transport
from webhooks.addresses import UnresolvableHost, UnsafeUrl, parse_url, resolve
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from webhooks.services import LEASE
from webhooks.signature import sign

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
EXCERPT_CHARS = 500
SWEEP_LIMIT = 500
USER_AGENT = "Postman-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    delivered: bool = False
    retry: bool = False
    status_code: int | None = None
    response: str = ""
    error: str = ""
    retry_after: float = 0.0


def claim_due_deliveries(*, limit: int = SWEEP_LIMIT) -> list[tuple[int, int]]:
    """(delivery id, claim) of deliveries now due, each claimed for LEASE; for the sweep to queue.

    SKIP LOCKED lets two sweeps (two beats, or a slow one overlapping the next) split the due
    rows instead of queueing each twice.
    """
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not due:
            return []
        WebhookDelivery.objects.filter(pk__in=due).update(claim=F("claim") + 1, next_attempt_at=now + LEASE)
        return list(WebhookDelivery.objects.filter(pk__in=due).values_list("pk", "claim"))


def attempt_delivery(*, delivery_id: int, claim: int) -> None:
    """Make the attempt this claim stands for; a superseded or finished one does nothing.

    The lease restarts now, so a task that waited long in the queue still has the whole lease
    to finish before the sweep may claim the delivery again.
    """
    started, clock = timezone.now(), time.monotonic()
    mine = WebhookDelivery.objects.filter(pk=delivery_id, claim=claim, status=DeliveryStatus.PENDING)
    if not mine.update(next_attempt_at=started + LEASE):
        return
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").filter(pk=delivery_id).first()
    if delivery is None:
        return
    if not delivery.endpoint.active:
        outcome = Outcome(error="Not sent: the endpoint was turned off.")
    else:
        try:
            outcome = _send(delivery)
        except Exception:
            # Our fault (a secret that no key decrypts, a bug): still recorded, so the delivery
            # is retried on schedule and given up after 24 hours instead of looping unseen.
            logger.exception("Webhook delivery %s could not be attempted", delivery_id)
            outcome = Outcome(retry=True, error="Postman could not make this attempt; it will try again.")
    _record(delivery_id, claim, started, int((time.monotonic() - clock) * 1000), outcome)


def _send(delivery: WebhookDelivery) -> Outcome:
    try:
        target = parse_url(delivery.endpoint.url)
        addresses = resolve(target)
    except UnsafeUrl as error:
        return Outcome(error=f"Refused: {error}")
    except UnresolvableHost as error:
        return Outcome(retry=True, error=str(error))
    body = events.body(delivery.event)
    timestamp = int(timezone.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Postman-Webhook-Id": str(delivery.event_id),
        "Postman-Webhook-Timestamp": str(timestamp),
        "Postman-Webhook-Signature": sign(secret=delivery.endpoint.secret(), timestamp=timestamp, body=body),
        "Connection": "close",
    }
    try:
        answer = transport.post(target=target, addresses=addresses, body=body, headers=headers)
    except transport.TransportError as error:
        return Outcome(retry=True, error=str(error))
    return judge(answer)


def judge(answer: transport.Answer) -> Outcome:
    """2xx delivers; 5xx and 429 are retried; any other answer (4xx, a redirect) is final."""
    code, excerpt = answer.status_code, _excerpt(answer.body)
    if 200 <= code < 300:
        return Outcome(delivered=True, status_code=code, response=excerpt)
    if code == 429:
        return Outcome(
            retry=True, status_code=code, response=excerpt, retry_after=_retry_after(answer.retry_after)
        )
    if code >= 500:
        return Outcome(retry=True, status_code=code, response=excerpt)
    error = "Redirects are not followed: register the address it redirects to." if 300 <= code < 400 else ""
    return Outcome(status_code=code, response=excerpt, error=error)


def _excerpt(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    return "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)[:EXCERPT_CHARS]


def _retry_after(value: str) -> float:
    """Seconds the receiver asked us to wait (delta-seconds or an HTTP date), at most an hour."""
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), MAX_RETRY_SECONDS))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    if moment.tzinfo is None:
        return 0.0
    return max(0.0, min((moment - timezone.now()).total_seconds(), MAX_RETRY_SECONDS))


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after `attempts` failures: 30 s doubling to an hour, plus up
    to 20% jitter so deliveries that failed together do not all return at once."""
    base = min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
    return base * random.uniform(1.0, 1.2)


@transaction.atomic
def _record(delivery_id: int, claim: int, started: datetime, duration_ms: int, outcome: Outcome) -> None:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    delivery.attempts += 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=started,
        duration_ms=duration_ms,
        status_code=outcome.status_code,
        response=outcome.response,
        error=outcome.error[:500],
    )
    now = timezone.now()
    delivery.last_attempt_at, delivery.last_status_code = started, outcome.status_code
    delivery.last_response, delivery.last_error = outcome.response, outcome.error[:500]
    if delivery.status == DeliveryStatus.PENDING:
        _advance(delivery, claim, outcome, now)
    if delivery.claim == claim:
        delivery.claim += 1  # spent: a second copy of this task (a broker redelivery) does nothing
    delivery.save()


def _advance(delivery: WebhookDelivery, claim: int, outcome: Outcome, now: datetime) -> None:
    if outcome.delivered:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
    elif not outcome.retry:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    elif delivery.claim == claim:
        # A newer claim means another attempt is already under way and will schedule the next.
        wait = max(retry_delay(delivery.attempts), outcome.retry_after)
        due = now + timedelta(seconds=wait)
        if due > delivery.give_up_at:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            delivery.last_error = f"Gave up after 24 hours. {delivery.last_error}".strip()[:500]
        else:
            delivery.next_attempt_at = due
