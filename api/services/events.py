"""Delivery events for API messages: the same forward-only rule as campaign messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from api.models import TransactionalEmail, TransactionalSms, TransactionalStatus
from campaigns.events import moves_forward
from campaigns.models import MessageStatus
from webhooks.services import emit_message_status

# Each API status as the campaign status it stands for, so both move by one rule (moves_forward).
_AS_CAMPAIGN = {
    TransactionalStatus.ACCEPTED: MessageStatus.QUEUED,
    TransactionalStatus.SENT: MessageStatus.SENT,
    TransactionalStatus.DELIVERED: MessageStatus.DELIVERED,
    TransactionalStatus.BOUNCED: MessageStatus.BOUNCED,
    TransactionalStatus.COMPLAINT: MessageStatus.UNSUBSCRIBED,
    TransactionalStatus.FAILED: MessageStatus.FAILED,
}
# Campaigns' lower-case statuses and the providers' words, as the event endpoints may pass them.
_ALIASES = {"COMPLAINED": "COMPLAINT", "UNDELIVERED": "FAILED", "ERROR": "FAILED"}


@dataclass(frozen=True)
class TransactionalEventResult:
    message: TransactionalEmail | TransactionalSms | None
    changed: bool


def _status(raw: str) -> TransactionalStatus | None:
    name = raw.strip().upper()
    name = _ALIASES.get(name, name)
    return TransactionalStatus(name) if name in TransactionalStatus.values else None


@transaction.atomic
def apply_transactional_event(
    *, provider_id: str, status: str, error_code: str = "", error: str = ""
) -> TransactionalEventResult:
    """Move the API email or SMS with this provider id (SES MessageId, Twilio SID) to `status`
    if that is forward.

    `status` may be ours ("DELIVERED") or campaigns' ("delivered", "bounced", "failed",
    "complained"). Unknown ids and statuses, late or repeated events change nothing.
    """
    message: TransactionalEmail | TransactionalSms | None = None
    if provider_id:
        message = TransactionalEmail.objects.select_for_update().filter(provider_id=provider_id).first()
        message = (
            message or TransactionalSms.objects.select_for_update().filter(provider_id=provider_id).first()
        )
    if message is None:
        return TransactionalEventResult(None, False)
    return TransactionalEventResult(message, _advance(message, status, error_code, error))


@transaction.atomic
def apply_sms_callback(
    *, sms_id: int, message_sid: str, status: str, error_code: str = "", error: str = ""
) -> TransactionalEventResult:
    """Move the API SMS `sms_id`, the one a signed callback URL names, to `status` if forward.

    The SID the callback carries only has to agree with the one recorded for this SMS; it never
    picks the message. With none recorded yet (the worker has not written it), it becomes this
    SMS's SID: a callback can only reach this URL for the message it was issued for.
    """
    sms = TransactionalSms.objects.select_for_update().filter(pk=sms_id).first()
    if sms is None or not message_sid or sms.provider_id not in ("", message_sid):
        return TransactionalEventResult(sms, False)
    adopted = not sms.provider_id
    sms.provider_id = message_sid
    changed = _advance(sms, status, error_code, error)
    if adopted and not changed:
        sms.save(update_fields=["provider_id", "updated_at"])
    return TransactionalEventResult(sms, changed)


def _advance(
    message: TransactionalEmail | TransactionalSms, status: str, error_code: str, error: str
) -> bool:
    """Save `message` at `status` if that moves it forward; whether it did."""
    target = _status(status)
    old = TransactionalStatus(message.status)
    if target is None or not moves_forward(_AS_CAMPAIGN[old], _AS_CAMPAIGN[target]):
        return False
    now = timezone.now()
    message.status = target
    if target == TransactionalStatus.SENT and message.sent_at is None:
        message.sent_at = now
    if target == TransactionalStatus.DELIVERED:
        message.delivered_at = now
    if isinstance(message, TransactionalSms) and target == TransactionalStatus.FAILED:
        message.errored_at = now
    if error_code or error:
        message.error_code, message.error = error_code[:64], error[:1000]
    message.save()
    emit_message_status(channel="sms" if isinstance(message, TransactionalSms) else "email", message=message)
    return True


def record_email_open(provider_id: str, at: datetime) -> bool:
    """The API email with this provider id was opened (the first time counts); whether it was new."""
    unopened = TransactionalEmail.objects.filter(provider_id=provider_id, opened_at__isnull=True)
    return unopened.update(opened_at=at) > 0
