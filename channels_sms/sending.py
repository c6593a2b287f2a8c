"""What the sending engine's SmsSender calls: the campaign's credential, its send, its rates."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from campaigns.channels import campaign_bucket
from campaigns.delivery import Delivery
from campaigns.models import (
    Campaign,
    Channel,
    MessageStatus,
    Suppression,
    SuppressionReason,
    unsubscribe_scope,
)
from channels_sms.models import TwilioCredential
from channels_sms.transport import OutgoingSms, TwilioSender, account_for
from common.ratelimit import Bucket

NO_CREDENTIAL = "NoCredential"


def campaign_credential(campaign: Campaign) -> TwilioCredential | None:
    """The credential chosen for the campaign, and only if the campaign's owner still owns it."""
    return TwilioCredential.objects.filter(
        campaign_settings__campaign=campaign, owner_id=campaign.owner_id
    ).first()


def send_for_campaign(campaign: Campaign, messages: Sequence[OutgoingSms]) -> list[Delivery]:
    credential = campaign_credential(campaign)
    if credential is None:
        missing = Delivery(
            error_code=NO_CREDENTIAL,
            error="The campaign has no Twilio credential: choose one of yours in SMS settings.",
            permanent=True,
        )
        return [missing for _ in messages]
    results = TwilioSender().send_batch(account_for(credential), messages)
    _suppress_unsubscribed(
        campaign,
        [sms.to for sms, r in zip(messages, results, strict=True) if r.status == MessageStatus.UNSUBSCRIBED],
    )
    return results


def _suppress_unsubscribed(campaign: Campaign, numbers: list[str]) -> None:
    """Recipients who replied STOP: the agency's later SMS campaigns skip them at upload."""
    if not numbers:
        return
    owner = campaign.owner
    known = set(
        Suppression.objects.unsubscribes_of(owner, Channel.SMS)
        .filter(recipient__in=numbers)
        .values_list("recipient", flat=True)
    )
    Suppression.objects.bulk_create(
        Suppression(
            channel=Channel.SMS,
            recipient=number,
            reason=SuppressionReason.UNSUBSCRIBED,
            detail="Twilio error 21610: the recipient replied STOP.",
            **unsubscribe_scope(owner),
        )
        for number in sorted(set(numbers) - known)
    )


def credential_bucket(credential: TwilioCredential) -> Bucket:
    """The credential's ceiling: the one bucket every send through it takes from, campaign or API,
    so together they never pass what the officer said the Twilio account allows."""
    return Bucket(f"twilio:{credential.pk}", credential.max_rate)


def rate_buckets(campaign: Campaign) -> tuple[Bucket, ...]:
    """The campaign's own rate, and its Twilio account's ceiling shared with every other sender."""
    buckets = [campaign_bucket(campaign.pk, campaign.send_rate or settings.SMS_DEFAULT_RATE)]
    credential = campaign_credential(campaign)
    if credential is not None:
        buckets.append(credential_bucket(credential))
    return tuple(buckets)
