"""Celery tasks: take ids, call a service, re-enqueue while work remains."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from campaigns import engine, services
from campaigns.models import RecipientFile

# A sending task works this long, then hands over to a fresh task: short tasks keep a killed
# worker's loss small and let other campaigns' tasks interleave.
SEND_SLICE_SECONDS = 20.0


def ingest_progress_key(recipient_file_id: int) -> str:
    return f"ingest-progress:{recipient_file_id}"


@shared_task(name="campaigns.ingest_recipient_file", acks_late=True)
def ingest_recipient_file(recipient_file_id: int) -> None:
    recipient_file = RecipientFile.objects.select_related("campaign__owner").get(pk=recipient_file_id)
    key = ingest_progress_key(recipient_file_id)

    def progress(rows: int) -> None:
        cache.set(key, rows, timeout=3600)

    services.process_recipient_file(recipient_file=recipient_file, progress=progress)


@shared_task(name="campaigns.start_sending", acks_late=True)
def start_sending(campaign_id: int) -> None:
    for _ in range(settings.CAMPAIGN_SEND_CONCURRENCY):
        send_campaign.delay(campaign_id)


@shared_task(name="campaigns.send_campaign", acks_late=True)
def send_campaign(campaign_id: int) -> None:
    if engine.run_for(campaign_id, seconds=SEND_SLICE_SECONDS):
        send_campaign.delay(campaign_id)


@shared_task(name="campaigns.sweep_stale_batches")
def sweep_stale_batches() -> int:
    """Requeue rows whose worker died, and restart campaigns left with nobody sending them."""
    returned = engine.sweep_stale()
    for campaign_id in engine.stalled_campaigns():
        send_campaign.delay(campaign_id)
    return returned
