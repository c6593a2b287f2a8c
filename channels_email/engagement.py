"""Opens and clicks from SES events, where the configuration set tracks them.

Each message is counted opened once and clicked once, whatever the number of events: a click
also counts as an open (the recipient saw the email, even with images blocked). Figures are
approximate: image blocking hides opens, and mail privacy proxies and link scanners make some.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaigns import transitions
from campaigns.models import Message

OPEN, CLICK = "Open", "Click"

# Opens of emails that are not campaign messages (the API's): their app registers a handler
# (api.apps), called with the provider id and the time; it answers whether anything changed.
_OTHER_OPENS: list[Callable[[str, datetime], bool]] = []


def handle_other_opens(handler: Callable[[str, datetime], bool]) -> None:
    if handler not in _OTHER_OPENS:
        _OTHER_OPENS.append(handler)


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
        return any([handler(provider_id, at) for handler in _OTHER_OPENS])
    moved: dict[str, datetime] = {}
    if message.opened_at is None:
        moved["opened_at"] = at
    if kind == CLICK and message.clicked_at is None:
        moved["clicked_at"] = at
    if not moved:
        return False
    Message.objects.filter(pk=message.pk).update(**moved)
    transitions.count_engagement(message.campaign_id, [name.removesuffix("_at") for name in moved])
    return True
