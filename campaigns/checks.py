"""System checks: the sending settings agree with each other."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def check_sending_timings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The lease, heartbeat, sweep and broker timings must fit together, or recovery breaks."""
    lease = settings.CAMPAIGN_LEASE_SECONDS
    errors: list[CheckMessage] = []
    if lease < 1:
        errors.append(Error("CAMPAIGN_LEASE_SECONDS must be at least 1.", id="campaigns.E001"))
    if lease / 3 > settings.CAMPAIGN_HEARTBEAT_SECONDS:
        errors.append(
            Error(
                "CAMPAIGN_HEARTBEAT_SECONDS must be at least a third of CAMPAIGN_LEASE_SECONDS: a worker "
                "beats when it renews its lease, and a shorter heartbeat restarts campaigns still sending.",
                id="campaigns.E002",
            )
        )
    if not 0 < settings.CAMPAIGN_SWEEP_SECONDS <= lease:
        errors.append(
            Error(
                "CAMPAIGN_SWEEP_SECONDS must be above 0 and at most CAMPAIGN_LEASE_SECONDS.",
                id="campaigns.E003",
            )
        )
    longest = max(settings.INGEST_TIME_LIMIT_SECONDS, settings.CAMPAIGN_SEND_SLICE_SECONDS + lease)
    if longest >= settings.CELERY_VISIBILITY_TIMEOUT_SECONDS:
        errors.append(
            Error(
                f"CELERY_VISIBILITY_TIMEOUT_SECONDS must be more than {longest:.0f} s (the ingest's time "
                "limit, or a sending slice plus the lease): a running task would go to a second worker.",
                id="campaigns.E004",
            )
        )
    return errors


@register()
def check_every_status_has_a_counter(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Progress reads CampaignStats only: a status without a counter would vanish from it."""
    from campaigns.models import MessageStatus
    from campaigns.transitions import COUNTER, counter_fields

    fields = counter_fields()
    return [
        Error(f"Message status {status.value!r} has no counter in CampaignStats.", id="campaigns.E005")
        for status in MessageStatus
        if COUNTER.get(status) not in fields
    ]
