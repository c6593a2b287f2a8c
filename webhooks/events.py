"""What a delivery carries: the envelope and the data of each event type.

The sending apps pass their own rows; these builders read only the attributes named in the
protocols below, so webhooks imports neither campaigns nor api and both may call it.
The data holds ids and statuses, never a recipient or a message body: the receiver sent the
message and can look it up with its id.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from webhooks.models import EventType, WebhookEvent

MILESTONES = {
    "started": EventType.CAMPAIGN_STARTED,
    "paused": EventType.CAMPAIGN_PAUSED,
    "resumed": EventType.CAMPAIGN_RESUMED,
    "halted": EventType.CAMPAIGN_HALTED,
    "finished": EventType.CAMPAIGN_FINISHED,
}


class ApiMessage(Protocol):
    """An API email or SMS (api.models.TransactionalEmail, TransactionalSms)."""

    pk: Any
    owner_id: int
    status: str
    error_code: str
    sent_at: datetime | None
    delivered_at: datetime | None


class CampaignLike(Protocol):
    """A campaign (campaigns.models.Campaign)."""

    pk: Any
    owner_id: int
    name: str
    channel: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    halted_reason: str


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def message_data(*, channel: str, message: ApiMessage) -> dict[str, Any]:
    return {
        "channel": channel,
        "id": message.pk,
        "status": message.status,
        "error_code": message.error_code or None,
        "sent_at": _time(message.sent_at),
        "delivered_at": _time(message.delivered_at),
    }


def campaign_data(campaign: CampaignLike) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "channel": campaign.channel,
        "status": campaign.status,
        "started_at": _time(campaign.started_at),
        "finished_at": _time(campaign.finished_at),
        "halted_reason": campaign.halted_reason or None,
    }


def body(event: WebhookEvent) -> bytes:
    """The JSON posted for an event: the same bytes on every attempt and replay."""
    envelope = {
        "id": str(event.id),
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "data": event.data,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()
