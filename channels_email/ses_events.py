"""SES delivery events (from a configuration set's event destination or identity notifications).

- Delivery → the message is delivered.
- Bounce, Permanent → bounced, and the address is suppressed for every later campaign; then the
  campaign is checked against the halt threshold.
- Bounce, Transient or Undetermined → failed, with the bounce subtype as the reason (retryable).
- Complaint (other than "not-spam") → the address is suppressed and the message counts as
  unsubscribed: the recipient asked, in their mail client's way, for no more.
- Open and Click (where the configuration set tracks them) → opened / clicked, once per message
  (engagement.py); they never move a message's status.

Every move goes through apply_delivery_event (campaign messages) or apply_transactional_event
(API emails), so events arriving late, twice or out of order
never move a message backwards. Events for messages we do not know (other senders on the same
SES account) still suppress bounced and complaining addresses.
"""

from __future__ import annotations

from typing import Any

from campaigns.control import halt_if_bouncing
from campaigns.events import EventResult, apply_delivery_event, apply_other_message_event
from campaigns.models import Channel, MessageStatus, Suppression, SuppressionReason
from channels_email import engagement
from channels_email.addresses import normalise_email
from common.recipients import InvalidRecipient


class SesEventInvalid(ValueError):
    """Not an SES event we can read."""


def record_ses_event(event: Any) -> str:
    """Apply one SES event; returns its type (events of other types are ignored)."""
    if not isinstance(event, dict):
        raise SesEventInvalid("the event is not a JSON object")
    kind = event.get("eventType") or event.get("notificationType")
    mail = event.get("mail")
    if not isinstance(kind, str) or not isinstance(mail, dict) or not isinstance(mail.get("messageId"), str):
        raise SesEventInvalid("the event has no type or mail.messageId")
    provider_id = mail["messageId"]
    if kind == "Delivery":
        _apply(provider_id, MessageStatus.DELIVERED)
    elif kind == "Bounce":
        _bounce(provider_id, _part(event, "bounce"))
    elif kind == "Complaint":
        _complaint(provider_id, _part(event, "complaint"))
    elif kind in (engagement.OPEN, engagement.CLICK):
        detail = event.get(kind.lower())
        at = engagement.event_time(detail.get("timestamp") if isinstance(detail, dict) else None)
        engagement.record_engagement(provider_id=provider_id, kind=kind, at=at)
    return kind


def _apply(
    provider_id: str, status: str, *, error_code: str = "", error: str = "", api_status: str = ""
) -> EventResult:
    """Move the campaign message with this id, or else the API email sent from the same account."""
    result = apply_delivery_event(provider_id=provider_id, status=status, error_code=error_code, error=error)
    if result.message is None:
        apply_other_message_event(
            provider_id=provider_id, status=api_status or status, error_code=error_code, error=error
        )
    return result


def _part(event: dict[str, Any], name: str) -> dict[str, Any]:
    part = event.get(name)
    if not isinstance(part, dict):
        raise SesEventInvalid(f"a {name} event without its {name} object")
    return part


def _addresses(entries: Any) -> list[dict[str, Any]]:
    return [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []


def _bounce(provider_id: str, bounce: dict[str, Any]) -> None:
    recipients = _addresses(bounce.get("bouncedRecipients"))
    subtype = str(bounce.get("bounceSubType") or "General")
    diagnostic = next((str(r["diagnosticCode"]) for r in recipients if r.get("diagnosticCode")), "")
    reason = f"{subtype}: {diagnostic}" if diagnostic else subtype
    if bounce.get("bounceType") != "Permanent":
        _apply(provider_id, MessageStatus.FAILED, error_code="Transient bounce", error=reason)
        return
    result = _apply(provider_id, MessageStatus.BOUNCED, error_code="Hard bounce", error=reason)
    _suppress(result, recipients, SuppressionReason.BOUNCED, reason)
    if result.changed and result.message is not None:
        halt_if_bouncing(campaign_id=result.message.campaign_id)


def _complaint(provider_id: str, complaint: dict[str, Any]) -> None:
    feedback = str(complaint.get("complaintFeedbackType") or "")
    if feedback == "not-spam":
        return  # the recipient's provider says they took it back
    reason = f"Complaint: {feedback}" if feedback else "Complaint"
    result = _apply(
        provider_id, MessageStatus.UNSUBSCRIBED, error_code="Complaint", error=reason, api_status="complained"
    )
    _suppress(result, _addresses(complaint.get("complainedRecipients")), SuppressionReason.COMPLAINED, reason)


def _suppress(result: EventResult, entries: list[dict[str, Any]], reason: str, detail: str) -> None:
    """Suppress for everyone (no agency): the address itself is the problem, not the sender."""
    addresses = {result.message.recipient} if result.message is not None else set()
    for entry in entries:
        try:
            addresses.add(normalise_email(str(entry.get("emailAddress") or "")))
        except InvalidRecipient:
            continue
    for address in sorted(addresses):
        Suppression.objects.get_or_create(
            channel=Channel.EMAIL,
            recipient=address,
            reason=reason,
            agency=None,
            owner=None,
            defaults={"detail": detail[:1000]},
        )
