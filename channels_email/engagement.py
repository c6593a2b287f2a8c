"""Opens and clicks from SES events, where the configuration set tracks them.

Each message is counted opened once and clicked once, whatever the number of events: a click
also counts as an open (the recipient saw the email, even with images blocked). Figures are
approximate: image blocking hides opens, and mail privacy proxies and link scanners make some.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from api.models import TransactionalEmail
from campaigns.models import CampaignStats, Message

OPEN, CLICK = "Open", "Click"


def event_time(raw: object) -> datetime:
    moment = parse_datetime(raw) if isinstance(raw, str) else None
    return moment if moment is not None and timezone.is_aware(moment) else timezone.now()


@transaction.atomic
def record_engagement(*, provider_id: str, kind: str, at: datetime) -> bool:
    """Mark the message with this provider id opened (and clicked); whether anything changed."""
    if not provider_id:
        return False
    message = (
        Message.objects.select_for_update()
        .filter(provider_id=provider_id)
        .only("pk", "campaign_id", "opened_at", "clicked_at")
        .first()
    )
    if message is None:
        changed = TransactionalEmail.objects.filter(provider_id=provider_id, opened_at__isnull=True)
        return changed.update(opened_at=at) > 0
    moved: dict[str, datetime] = {}
    if message.opened_at is None:
        moved["opened_at"] = at
    if kind == CLICK and message.clicked_at is None:
        moved["clicked_at"] = at
    if not moved:
        return False
    Message.objects.filter(pk=message.pk).update(**moved)
    counters = {name.removesuffix("_at"): F(name.removesuffix("_at")) + 1 for name in moved}
    CampaignStats.objects.filter(pk=message.campaign_id).update(**counters)
    return True
