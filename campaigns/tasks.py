"""Celery tasks: take ids, call a service, re-enqueue while work remains."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, close_old_connections
from redis.exceptions import RedisError

from campaigns import control, dispatch, engine, notices, services
from campaigns.channels import sender_for
from campaigns.ingest import ingest_progress_key
from campaigns.models import Campaign, RecipientFile


@shared_task(name="campaigns.ingest_recipient_file")
def ingest_recipient_file(recipient_file_id: int) -> None:
    recipient_file = RecipientFile.objects.select_related("campaign__owner").get(pk=recipient_file_id)
    key = ingest_progress_key(recipient_file_id)

    def progress(rows: int) -> None:
        cache.set(key, rows, timeout=3600)

    services.process_recipient_file(recipient_file=recipient_file, progress=progress)


@shared_task(name="campaigns.start_sending")
def start_sending(campaign_id: int) -> None:
    campaign = Campaign.objects.get(pk=campaign_id)
    for _ in range(engine.task_count(sender_for(campaign).buckets(campaign))):
        send_campaign.delay(campaign_id)


# A dropped database or Redis connection ends the slice; the task comes back shortly and the
# rows it held return through their lease, so nothing is lost.
_OUTAGES = (DatabaseError, RedisError)


@shared_task(
    name="campaigns.send_campaign",
    autoretry_for=_OUTAGES,
    retry_backoff=1,
    retry_backoff_max=30,
    max_retries=None,
)
def send_campaign(campaign_id: int) -> None:
    close_old_connections()
    if engine.run_for(campaign_id, seconds=settings.CAMPAIGN_SEND_SLICE_SECONDS):
        send_campaign.delay(campaign_id)


@shared_task(name="campaigns.sweep_stale_batches")
def sweep_stale_batches() -> int:
    """Requeue rows whose worker died, and restart campaigns left with nobody sending them."""
    returned = engine.sweep_stale()
    for campaign_id in engine.stalled_campaigns():
        send_campaign.delay(campaign_id)
    return returned


@shared_task(name="campaigns.launch_due_campaigns")
def launch_due_campaigns() -> list[int]:
    return control.launch_due_campaigns()


@shared_task(name="campaigns.notify_owner")
def notify_owner(campaign_id: int, event: str) -> None:
    campaign = Campaign.objects.select_related("owner", "stats").get(pk=campaign_id)
    notices.send_owner_notice(campaign=campaign, event=event)


# Looked up at each call, so a test may replace a task's delay.
dispatch.connect(dispatch.START_SENDING, lambda *args: start_sending.delay(*args))
dispatch.connect(dispatch.INGEST_RECIPIENT_FILE, lambda *args: ingest_recipient_file.delay(*args))
dispatch.connect(dispatch.NOTIFY_OWNER, lambda *args: notify_owner.delay(*args))
