"""Delivery events from providers (SES via SNS, Twilio callbacks) moving messages forward.

Events arrive late, twice or out of order. A status only ever moves up the ranking below, so
a Delivery after a Bounce, or a repeated "sent" after "delivered", changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.db import transaction
from django.utils import timezone

from campaigns import transitions
from campaigns.models import Message, MessageStatus

RANK: dict[str, int] = {
    MessageStatus.QUEUED.value: 0,
    MessageStatus.SENDING.value: 1,
    MessageStatus.SENT.value: 2,
    MessageStatus.DELIVERED.value: 3,
    MessageStatus.FAILED.value: 4,
    MessageStatus.BOUNCED.value: 4,
    MessageStatus.UNSUBSCRIBED.value: 5,
}


def moves_forward(old: str, new: str) -> bool:
    """Whether an event saying `new` moves a message at `old` on: the one forward-only rule for
    campaign messages and API messages alike. A status off the ranking (invalid, suppressed…)
    is final; an unknown `new` moves nothing."""
    return old in RANK and RANK.get(new, -1) > RANK[old]


@dataclass(frozen=True)
class EventResult:
    message: Message | None
    changed: bool


@transaction.atomic
def apply_delivery_event(
    *, provider_id: str, status: str, error_code: str = "", error: str = ""
) -> EventResult:
    """Move the message with this provider id to `status` if that is forward; counters follow."""
    message = (
        Message.objects.select_for_update(of=("self",))
        .filter(provider_id=provider_id)
        .select_related("campaign")
        .first()
        if provider_id
        else None
    )
    if message is None:
        return EventResult(None, False)
    if not moves_forward(message.status, status):
        return EventResult(message, False)
    fields: dict[str, object] = {}
    if status == MessageStatus.DELIVERED:
        fields["delivered_at"] = timezone.now()
    if error_code or error:
        fields.update(error_code=error_code[:64], error=error[:1000])
    transitions.move_message(message, status, **fields)
    message.refresh_from_db()
    return EventResult(message, True)


class OtherMessageEvent(Protocol):
    def __call__(self, *, provider_id: str, status: str, error_code: str, error: str) -> object: ...


# Where an event goes whose provider id is no campaign message's: the transactional API
# registers itself here (api.apps), since the same provider accounts send its messages.
_OTHER_HANDLERS: list[OtherMessageEvent] = []


def handle_other_messages(handler: OtherMessageEvent) -> None:
    if handler not in _OTHER_HANDLERS:
        _OTHER_HANDLERS.append(handler)


def apply_other_message_event(
    *, provider_id: str, status: str, error_code: str = "", error: str = ""
) -> None:
    """Hand an event no campaign message matched to the other senders that registered."""
    for handler in _OTHER_HANDLERS:
        handler(provider_id=provider_id, status=status, error_code=error_code, error=error)
