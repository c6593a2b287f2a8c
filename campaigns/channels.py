"""What the sending engine needs from a channel: render one message, send a batch, rate buckets.

The engine speaks only to this interface; each channel app turns it into provider calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from django.conf import settings

from campaigns.delivery import ClaimedMessage, Delivery
from campaigns.models import Campaign, Channel
from channels_email.bulk import bulk_template_for, send_campaign_emails
from channels_email.rendering import build_email, layout_for
from channels_email.transport import get_transport
from channels_sms import lengths as sms_lengths
from channels_sms import rendering as sms_rendering
from channels_sms import sending as sms_sending
from common.ratelimit import Bucket


class ChannelSender(Protocol):
    def prepare(self, campaign: Campaign) -> Any: ...

    def build(self, prepared: Any, *, message_id: int, recipient: str, params: Mapping[str, str]) -> Any: ...

    def retarget(self, item: Any, to: str) -> Any: ...

    def send_batch(self, campaign: Campaign, items: Sequence[Any]) -> list[Delivery]: ...

    def buckets(self, campaign: Campaign) -> tuple[Bucket, ...]: ...

    def after_load(self, campaign: Campaign) -> None:
        """Recipients were loaded or the template changed: a channel's own checks of each message."""


@runtime_checkable
class ClaimedBatchSender(Protocol):
    """A sender that sends claimed messages its own way (SES bulk calls) rather than one built item each."""

    def send_claimed(
        self, campaign: Campaign, prepared: Any, messages: Sequence[ClaimedMessage]
    ) -> list[Delivery]: ...


def send_claimed(
    sender: ChannelSender, campaign: Campaign, prepared: Any, messages: Sequence[ClaimedMessage]
) -> list[Delivery]:
    """Send claimed messages through `sender`; one result per message, in order."""
    if isinstance(sender, ClaimedBatchSender):
        return sender.send_claimed(campaign, prepared, messages)
    return send_built(sender, campaign, prepared, messages)


def send_built(
    sender: ChannelSender, campaign: Campaign, prepared: Any, messages: Sequence[ClaimedMessage]
) -> list[Delivery]:
    """Build one item per claimed message and send them as a batch."""
    items = [
        sender.build(prepared, message_id=m.id, recipient=m.recipient, params=m.params) for m in messages
    ]
    return sender.send_batch(campaign, items)


class EmailSender:
    def prepare(self, campaign: Campaign) -> Any:
        return layout_for(campaign)

    def build(self, prepared: Any, *, message_id: int, recipient: str, params: Mapping[str, str]) -> Any:
        return build_email(prepared, message_id=message_id, recipient=recipient, params=params)

    def retarget(self, item: Any, to: str) -> Any:
        return replace(item, to=to, subject=f"[Test] {item.subject}")

    def send_batch(self, campaign: Campaign, items: Sequence[Any]) -> list[Delivery]:
        return get_transport().send_batch(items)

    def send_claimed(
        self, campaign: Campaign, prepared: Any, messages: Sequence[ClaimedMessage]
    ) -> list[Delivery]:
        if bulk_template_for(prepared) is None:
            return send_built(self, campaign, prepared, messages)
        return send_campaign_emails(prepared, messages)

    def buckets(self, campaign: Campaign) -> tuple[Bucket, ...]:
        buckets = [Bucket(f"email:{settings.EMAIL_PROVIDER}", settings.EMAIL_MAX_SEND_RATE)]
        if campaign.send_rate:
            buckets.append(Bucket(f"campaign:{campaign.pk}", campaign.send_rate))
        return tuple(buckets)

    def after_load(self, campaign: Campaign) -> None:
        pass


class SmsSender:
    def prepare(self, campaign: Campaign) -> Any:
        return sms_rendering.layout_for(campaign)

    def build(self, prepared: Any, *, message_id: int, recipient: str, params: Mapping[str, str]) -> Any:
        return sms_rendering.build_sms(prepared, message_id=message_id, recipient=recipient, params=params)

    def retarget(self, item: Any, to: str) -> Any:
        # A test has no message of its own to report on: no status callback.
        return replace(item, to=to, body=f"[Test] {item.body}", status_callback="")

    def send_batch(self, campaign: Campaign, items: Sequence[Any]) -> list[Delivery]:
        return sms_sending.send_for_campaign(campaign, items)

    def buckets(self, campaign: Campaign) -> tuple[Bucket, ...]:
        return sms_sending.rate_buckets(campaign)

    def after_load(self, campaign: Campaign) -> None:
        sms_lengths.check_lengths(campaign)


SENDERS: dict[str, ChannelSender] = {Channel.EMAIL: EmailSender(), Channel.SMS: SmsSender()}


def sender_for(campaign: Campaign) -> ChannelSender:
    return SENDERS[campaign.channel]
