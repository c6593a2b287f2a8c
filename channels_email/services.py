from __future__ import annotations

from django.db import transaction
from django.db.models import F

from campaigns.models import CampaignStats, Channel, Message, MessageStatus, Suppression, SuppressionReason

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
        Message.objects.filter(pk=locked.pk).update(status=MessageStatus.UNSUBSCRIBED)
        CampaignStats.objects.filter(pk=locked.campaign_id).update(
            **{locked.status: F(locked.status) - 1, "unsubscribed": F("unsubscribed") + 1}
        )


@transaction.atomic
def resubscribe(*, message: Message) -> None:
    Suppression.objects.filter(
        channel=Channel.EMAIL,
        recipient=message.recipient,
        reason=SuppressionReason.UNSUBSCRIBED,
        **_scope(message),
    ).delete()


def is_unsubscribed(message: Message) -> bool:
    return Suppression.objects.filter(
        channel=Channel.EMAIL,
        recipient=message.recipient,
        reason=SuppressionReason.UNSUBSCRIBED,
        **_scope(message),
    ).exists()
