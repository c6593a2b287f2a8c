"""Everything that changes SMS state: credentials, a campaign's credential, status callbacks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import User
from campaigns import control
from campaigns import services as campaign_services
from campaigns.events import apply_delivery_event
from campaigns.models import Campaign, CampaignStatus, Channel, Message, MessageStatus
from campaigns.templating import compile_template
from channels_sms import encryption
from channels_sms.callbacks import CallbackRefused, check_callback, delivery_error, token_is_valid
from channels_sms.models import SmsCampaignSettings, TwilioCredential
from channels_sms.sending import campaign_credential
from channels_sms.transport import TwilioAccount, VerificationError, verify
from common import ratelimit
from common.phones import is_singapore_mobile

# Campaign states in which a credential is still needed to send.
_IN_FLIGHT = (CampaignStatus.SENDING, CampaignStatus.SCHEDULED, CampaignStatus.PAUSED)


class CredentialError(Exception):
    """A credential request that cannot be done; the message is shown to the officer."""


def _last4(secret: str) -> str:
    return secret[-4:]


@sensitive_variables("auth_token", "api_key_secret", "account")
def add_credential(
    *,
    owner: User,
    label: str,
    account_sid: str,
    auth_token: str,
    api_key_sid: str = "",
    api_key_secret: str = "",
    messaging_service_sid: str = "",
    from_number: str = "",
    max_rate: int,
    test_number: str,
) -> TwilioCredential:
    """Verify with Twilio by sending a test SMS, then store the secrets encrypted."""
    if TwilioCredential.objects.filter(owner=owner, label=label).exists():
        raise CredentialError(f"You already have a credential called “{label}”.")
    username, password = (api_key_sid, api_key_secret) if api_key_sid else (account_sid, auth_token)
    account = TwilioAccount(account_sid, username, password, messaging_service_sid, from_number)
    try:
        verify(account, auth_token=auth_token, test_number=test_number)
    except VerificationError as error:
        raise CredentialError(str(error)) from None
    return TwilioCredential.objects.create(
        owner=owner,
        label=label,
        account_sid=account_sid,
        auth_token_encrypted=encryption.encrypt(auth_token),
        auth_token_last4=_last4(auth_token),
        api_key_sid=api_key_sid,
        api_key_secret_encrypted=encryption.encrypt(api_key_secret) if api_key_sid else "",
        api_key_secret_last4=_last4(api_key_secret) if api_key_sid else "",
        messaging_service_sid=messaging_service_sid,
        from_number=from_number,
        max_rate=max_rate,
        verified_at=timezone.now(),
        verified_number=test_number,
    )


@transaction.atomic
def delete_credential(*, credential: TwilioCredential) -> None:
    busy = Campaign.objects.filter(sms_settings__credential=credential, status__in=_IN_FLIGHT)
    names = list(busy.values_list("name", flat=True)[:3])
    if names:
        listed = ", ".join(f"“{name}”" for name in names)
        raise CredentialError(
            f"{listed} still need{'s' if len(names) == 1 else ''} this credential to send. "
            "Delete it once they have finished."
        )
    credential.delete()


def choose_credential(*, campaign: Campaign, credential: TwilioCredential) -> SmsCampaignSettings:
    if campaign.channel != Channel.SMS:
        raise campaign_services.CampaignError("Only an SMS campaign sends with Twilio credentials.")
    if credential.owner_id != campaign.owner_id:
        # Views offer only the officer's own; this holds even if a caller gets it wrong.
        raise campaign_services.CampaignError("Choose one of your own Twilio credentials.")
    if not campaign.is_editable:
        raise campaign_services.CampaignError(
            "This campaign has been sent or scheduled; it can no longer change."
        )
    sms_settings, _ = SmsCampaignSettings.objects.update_or_create(
        campaign=campaign, defaults={"credential": credential}
    )
    return sms_settings


@transaction.atomic
def launch_sms_campaign(
    *, campaign: Campaign, by: User, credential: TwilioCredential, send_rate: int
) -> Campaign:
    choose_credential(campaign=campaign, credential=credential)
    return campaign_services.launch_campaign(campaign=campaign, by=by, send_rate=send_rate)


@transaction.atomic
def schedule_sms_campaign(
    *, campaign: Campaign, by: User, credential: TwilioCredential, send_rate: int, at: datetime
) -> Campaign:
    """Schedule a draft SMS campaign to send through `credential` at `at`, or move a scheduled
    campaign's time; cancelling is as for email."""
    if campaign.is_editable:
        choose_credential(campaign=campaign, credential=credential)
    elif campaign_credential(campaign) != credential:
        raise campaign_services.CampaignError(
            "A scheduled campaign keeps the credential it was scheduled with. "
            "Cancel the schedule to change it."
        )
    return control.schedule_campaign(campaign=campaign, by=by, at=at, send_rate=send_rate)


def send_sms_test(*, campaign: Campaign, credential: TwilioCredential, to: str) -> None:
    """Send the first recipient's message to `to` with `credential`, remembered for the send.

    A test goes only to the officer's own Singapore mobile, and at most SMS_TESTS_PER_HOUR an
    hour: a test carries the agency's sender and any text, and leaves no campaign behind.
    """
    require_own_mobile(owner=campaign.owner, to=to)
    if campaign.is_editable:
        choose_credential(campaign=campaign, credential=credential)
    elif campaign_credential(campaign) != credential:
        # Once sent, the campaign's credential is fixed; a test shows what recipients got.
        raise campaign_services.CampaignError("Tests of a sent campaign go through the credential it used.")
    _count_test(campaign.owner)
    campaign_services.send_test(campaign=campaign, to=to)


def verified_mobiles(owner: User) -> list[str]:
    """The officer's own numbers: each received the SMS that verified one of their credentials,
    sent at their request through their own Twilio account; only Singapore mobiles count."""
    numbers = TwilioCredential.objects.filter(owner=owner).exclude(verified_number="")
    found = numbers.order_by("created_at").values_list("verified_number", flat=True)
    return [number for number in dict.fromkeys(found) if is_singapore_mobile(number)]


def require_own_mobile(*, owner: User, to: str) -> None:
    own = verified_mobiles(owner)
    if to in own:
        return
    if not own:
        raise campaign_services.CampaignError(
            "Test SMS go only to your own Singapore mobile, and you have none verified yet: add a "
            "Twilio credential (SMS settings) with your mobile as its test number."
        )
    raise campaign_services.CampaignError(
        f"Test SMS go only to your own Singapore mobile: {', '.join(own)}. "
        "To use another, add a Twilio credential with it as the test number."
    )


def _count_test(owner: User) -> None:
    wait = ratelimit.take(f"sms-tests:{owner.pk}", limit=settings.SMS_TESTS_PER_HOUR, window_seconds=3600)
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        raise campaign_services.CampaignError(
            f"You have sent {settings.SMS_TESTS_PER_HOUR} test SMS in the last hour, the most allowed. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )


def rotate_credential_keys() -> int:
    """Re-encrypt every stored secret under the first of SMS_CREDENTIAL_KEYS; returns how many."""
    count = 0
    for credential in TwilioCredential.objects.only(
        "pk", "auth_token_encrypted", "api_key_secret_encrypted"
    ).iterator(chunk_size=500):
        credential.auth_token_encrypted = encryption.reencrypt(credential.auth_token_encrypted)
        if credential.api_key_secret_encrypted:
            credential.api_key_secret_encrypted = encryption.reencrypt(credential.api_key_secret_encrypted)
        credential.save(update_fields=["auth_token_encrypted", "api_key_secret_encrypted"])
        count += 1
    return count


class CallbackOutcome(StrEnum):
    APPLIED = "applied"  # the message moved forward
    UNCHANGED = "unchanged"  # a late, repeated or intermediate status: nothing to do
    PENDING = "pending"  # the engine has not recorded the send yet: try again shortly
    DROPPED = "dropped"  # for an earlier attempt of this message, superseded


def accept_status_callback(
    *, message_id: int, token: str, url: str, params: Mapping[str, str], signature: str
) -> CallbackOutcome:
    """Check a status callback is Twilio's own for this message, then apply or defer it."""
    if not token_is_valid(message_id, token):
        raise CallbackRefused
    message = (
        Message.objects.filter(pk=message_id, campaign__channel=Channel.SMS)
        .values("provider_id", "campaign_id", "campaign__owner_id")
        .first()
    )
    if message is None:
        raise CallbackRefused
    credential = TwilioCredential.objects.filter(
        campaign_settings__campaign_id=message["campaign_id"], owner_id=message["campaign__owner_id"]
    ).first()
    callback = check_callback(
        credential=credential, known_sid=message["provider_id"], url=url, params=params, signature=signature
    )
    if callback.status is None:
        return CallbackOutcome.UNCHANGED
    sid, status, error_code = callback.sid, callback.status, callback.error_code
    outcome = apply_status(message_id=message_id, message_sid=sid, status=status, error_code=error_code)
    if outcome == CallbackOutcome.PENDING:
        from channels_sms.tasks import apply_status_callback

        transaction.on_commit(lambda: apply_status_callback.delay(message_id, sid, status.value, error_code))
    return outcome


def apply_status(*, message_id: int, message_sid: str, status: str, error_code: str) -> CallbackOutcome:
    """Move the message forward to `status` once the engine has recorded Twilio's SID for it.

    Twilio can call back before the worker that sent the message has written its batch's results
    (they are written per batch); such a callback is PENDING and applied later, never dropped.
    """
    row = Message.objects.filter(pk=message_id).values("status", "provider_id").first()
    if row is None:
        return CallbackOutcome.DROPPED
    if row["status"] in (MessageStatus.QUEUED, MessageStatus.SENDING) and not row["provider_id"]:
        return CallbackOutcome.PENDING
    if row["provider_id"] != message_sid:
        return CallbackOutcome.DROPPED
    error = delivery_error(status, error_code)
    result = apply_delivery_event(provider_id=message_sid, status=status, error_code=error_code, error=error)
    return CallbackOutcome.APPLIED if result.changed else CallbackOutcome.UNCHANGED


def save_sms_template(*, campaign: Campaign, body: str) -> Campaign:
    """Save a plain-text template; a loaded list is checked again against the new message."""
    compiled = compile_template(body)
    return campaign_services.save_template(campaign=campaign, keywords=compiled.keywords, body=body)
