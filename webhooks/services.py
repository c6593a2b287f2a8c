"""Endpoints, events and replays. Sending an attempt lives in delivery.py.

`emit` is the one door in: the API and the campaign engine call it (through `emit_message_status`
and `emit_campaign_milestone`) inside the transaction that changed the state, so an event exists
exactly when its change committed, and its deliveries are queued only after that commit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from webhooks import encryption, events
from webhooks.addresses import UnsafeUrl, check_url
from webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from webhooks.signature import new_secret

logger = logging.getLogger(__name__)

MAX_ENDPOINTS = 5
RETRY_WINDOW = timedelta(hours=24)
# A claimed attempt must start within this lease, or the sweep claims the delivery again. Well
# above transport.TOTAL_TIMEOUT, so a slow receiver is never called twice at once.
LEASE = timedelta(minutes=2)
PURGE_BATCH = 5000


class WebhookError(Exception):
    """A request the officer can fix; the message says how."""


@transaction.atomic
def register_endpoint(*, owner: User, url: str, campaign_milestones: bool) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret, which exists in plain text only in this answer."""
    User.objects.select_for_update().filter(pk=owner.pk).first()  # one registration at a time
    if WebhookEndpoint.objects.filter(owner=owner).count() >= MAX_ENDPOINTS:
        raise WebhookError(f"You can have at most {MAX_ENDPOINTS} endpoints. Delete one you no longer use.")
    try:
        check_url(url)
    except UnsafeUrl as error:
        raise WebhookError(str(error)) from None
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        owner=owner,
        url=url,
        secret_encrypted=encryption.encrypt(secret),
        secret_last4=secret[-4:],
        campaign_milestones=campaign_milestones,
    )
    return endpoint, secret


def set_endpoint_active(*, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    """Off: nothing new is sent to it, and deliveries still retrying stop at their next attempt."""
    endpoint.active = active
    endpoint.save(update_fields=["active"])
    return endpoint


def delete_endpoint(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def rotate_secret_keys() -> int:
    """Re-encrypt every stored secret under the first of WEBHOOKS_SECRET_KEYS; returns how many."""
    count = 0
    for endpoint in WebhookEndpoint.objects.only("pk", "secret_encrypted").iterator(chunk_size=500):
        endpoint.secret_encrypted = encryption.reencrypt(endpoint.secret_encrypted)
        endpoint.save(update_fields=["secret_encrypted"])
        count += 1
    return count


def emit(*, owner_id: int, event: str, data: Mapping[str, Any]) -> WebhookEvent | None:
    """Record an event for the owner's endpoints that want it and queue one delivery to each
    once the caller's transaction commits. Nothing is written when no endpoint wants it."""
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(owner_id=owner_id, active=True).only(
            "pk", "campaign_milestones"
        )
        if endpoint.wants(event)
    ]
    if not endpoints:
        return None
    with transaction.atomic():
        now = timezone.now()
        record = WebhookEvent.objects.create(owner_id=owner_id, type=event, data=dict(data), created_at=now)
        deliveries = WebhookDelivery.objects.bulk_create(
            [_new_delivery(endpoint.pk, record, now) for endpoint in endpoints]
        )
        for delivery in deliveries:
            _send_after_commit(delivery)
    return record


def emit_message_status(*, channel: str, message: events.ApiMessage) -> WebhookEvent | None:
    """After an API email or SMS moved to a new status."""
    data = events.message_data(channel=channel, message=message)
    return emit(owner_id=message.owner_id, event=EventType.MESSAGE_STATUS, data=data)


def emit_campaign_milestone(*, campaign: events.CampaignLike, milestone: str) -> WebhookEvent | None:
    """After a campaign started, paused, resumed, halted or finished."""
    event = events.MILESTONES[milestone]
    return emit(owner_id=campaign.owner_id, event=event, data=events.campaign_data(campaign))


@transaction.atomic
def replay_delivery(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the same event (same id, so a receiver that has it can tell) to the endpoint again."""
    locked = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    if locked.status == DeliveryStatus.PENDING:
        raise WebhookError("This delivery is still being retried; it can be replayed once it has finished.")
    if not locked.endpoint.active:
        raise WebhookError("This endpoint is turned off. Turn it on to replay deliveries to it.")
    replay = _new_delivery(locked.endpoint_id, locked.event, timezone.now())
    replay.replay_of = locked
    replay.save()
    _send_after_commit(replay)
    return replay


def _new_delivery(endpoint_id: int, event: WebhookEvent, now: Any) -> WebhookDelivery:
    # Claimed from birth: the task queued after commit holds claim 1; should it be lost, the
    # sweep takes the delivery over when the lease ends.
    return WebhookDelivery(
        endpoint_id=endpoint_id,
        event=event,
        claim=1,
        next_attempt_at=now + LEASE,
        give_up_at=now + RETRY_WINDOW,
        created_at=now,
    )


def _send_after_commit(delivery: WebhookDelivery) -> None:
    from webhooks.tasks import attempt_delivery

    # robust: a broker outage must not fail the status change that emitted the event; the
    # sweep sends the delivery when its lease ends.
    transaction.on_commit(lambda: attempt_delivery.delay(delivery.pk, delivery.claim), robust=True)


def purge_old_events(*, now: Any = None) -> int:
    """Forget events (with their deliveries and attempts) older than WEBHOOKS_RETENTION_DAYS."""
    before = (now or timezone.now()) - timedelta(days=settings.WEBHOOKS_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(
            WebhookEvent.objects.filter(created_at__lt=before)
            .exclude(deliveries__status=DeliveryStatus.PENDING)
            .values_list("pk", flat=True)[:PURGE_BATCH]
        )
        if not ids:
            return deleted
        WebhookEvent.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
