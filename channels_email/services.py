from __future__ import annotations

from django.db import transaction

from campaigns import transitions
from campaigns.models import Channel, Message, MessageStatus, Suppression, SuppressionReason

# Marks a message the recipient unsubscribed from by its link (a complaint has its own code).
UNSUBSCRIBED_CODE = "unsubscribed"
# A recipient who unsubscribes after delivery moves the message on; earlier states stay, since
# the message was never sent or its outcome is still due.
_UNSUBSCRIBABLE = (MessageStatus.SENT, MessageStatus.DELIVERED)


def _scope(message: Message) -> dict[str, object]:
    owner = message.campaign.owner
    return {"agency_id": owner.agency_id} if owner.agency_id else {"owner_id": owner.pk}


@transaction.atomic
def unsubscribe(*, message: Message, reason: str = "") -> None:
    """Suppress this recipient for the agency's later campaigns (idempotent)."""
    scope = _scope(message)
    exists = Suppression.objects.filter(
        channel=Channel.EMAIL, recipient=message.recipient, reason=SuppressionReason.UNSUBSCRIBED, **scope
    ).exists()
    if not exists:
        Suppression.objects.create(
            channel=Channel.EMAIL,
            recipient=message.recipient,
            reason=SuppressionReason.UNSUBSCRIBED,
            detail=reason.strip()[:1000],
            **scope,
        )
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status in _UNSUBSCRIBABLE:
        # The reason goes on the message too, so the campaign's export shows it.
        transitions.move_message(
            locked, MessageStatus.UNSUBSCRIBED, error_code=UNSUBSCRIBED_CODE, error=reason.strip()[:1000]
        )


@transaction.atomic
def resubscribe(*, message: Message) -> None:
    """Undo an unsubscribe: lift the suppression and count the message as it was before."""
    Suppression.objects.filter(
        channel=Channel.EMAIL,
        recipient=message.recipient,
        reason=SuppressionReason.UNSUBSCRIBED,
        **_scope(message),
    ).delete()
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status == MessageStatus.UNSUBSCRIBED and locked.error_code == UNSUBSCRIBED_CODE:
        before = MessageStatus.DELIVERED if locked.delivered_at else MessageStatus.SENT
        transitions.move_message(locked, before, error_code="", error="")


def is_unsubscribed(message: Message) -> bool:
    return Suppression.objects.filter(
        channel=Channel.EMAIL,
        recipient=message.recipient,
        reason=SuppressionReason.UNSUBSCRIBED,
        **_scope(message),
    ).exists()
