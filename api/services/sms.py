"""Transactional SMS: accept at once (ACCEPTED), send with the officer's own Twilio credential."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from api.errors import ApiError, invalid
from api.models import ApiKey, TransactionalSms, TransactionalStatus
from api.schemas import SmsSendIn
from api.services.delivery import DeliveryOutcome, claim, record
from api.services.events import apply_sms_callback
from campaigns.delivery import Delivery
from campaigns.models import Channel, Suppression
from channels_sms.callbacks import CallbackRefused, check_callback, delivery_error
from channels_sms.models import TwilioCredential
from channels_sms.segments import MAX_CHARACTERS
from channels_sms.sending import credential_bucket
from channels_sms.transport import OutgoingSms, account_for, send_one
from common import ratelimit, signing
from common.phones import normalise_phone
from common.recipients import InvalidRecipient


@transaction.atomic
def accept_sms(*, key: ApiKey, data: SmsSendIn, enqueue: Callable[[int], object]) -> TransactionalSms:
    owner = key.owner
    try:
        recipient = normalise_phone(data.recipient.strip())
    except InvalidRecipient as error:
        raise invalid("recipient", f"must be a valid mobile number ({error.reason.lower()})") from None
    body = data.body.replace("\r\n", "\n")
    if not body.strip():
        raise invalid("body", "is not allowed to be empty")
    if len(body) > MAX_CHARACTERS:
        raise invalid("body", f"must be at most {MAX_CHARACTERS} characters")
    credential = TwilioCredential.objects.filter(owner=owner, label=data.label.strip()).first()
    if credential is None:
        raise ApiError(
            400,
            "invalid_credential_label",
            f'You have no Twilio credentials labelled "{data.label.strip()}".',
        )
    suppression = Suppression.objects.applying_to(owner, Channel.SMS).filter(recipient=recipient).first()
    if suppression is not None:
        raise ApiError(
            400, "invalid_recipient", f"Recipient number is suppressed: {suppression.get_reason_display()}."
        )
    now = timezone.now()
    sms = TransactionalSms.objects.create(
        owner=owner,
        api_key=key,
        credential=credential,
        credential_label=credential.label,
        recipient=recipient,
        body=body,
        created_at=now,
        accepted_at=now,
    )
    transaction.on_commit(lambda: enqueue(sms.pk))
    return sms


_CALLBACK_PURPOSE = "api-sms-callback"


def callback_token(sms_id: int) -> str:
    return signing.sign(_CALLBACK_PURPOSE, str(sms_id))


def callback_url(sms_id: int) -> str:
    path = reverse("api:sms_status_callback", kwargs={"sms_id": sms_id, "token": callback_token(sms_id)})
    return f"{settings.SITE_URL}{path}"


def deliver_sms(*, sms_id: int) -> DeliveryOutcome:
    """Send one accepted SMS: claimed, sent and recorded as email is, with no transaction
    open while Twilio answers."""
    sms = TransactionalSms.objects.select_related("credential").filter(pk=sms_id).first()
    if sms is None or sms.status != TransactionalStatus.ACCEPTED:
        return DeliveryOutcome(True)
    if sms.credential is None:
        if not claim(TransactionalSms, sms_id):
            return DeliveryOutcome(True)
        return record(
            sms, Delivery(error_code="NoCredential", error="The credential was deleted.", permanent=True)
        )
    grant = ratelimit.acquire((credential_bucket(sms.credential),), 1)
    if grant.count == 0:
        return DeliveryOutcome(False, grant.wait_seconds)
    try:
        if not claim(TransactionalSms, sms_id):
            return DeliveryOutcome(True)  # sent, failed, or another attempt holds it
        outgoing = OutgoingSms(to=sms.recipient, body=sms.body, status_callback=callback_url(sms.pk))
        return record(sms, send_one(account_for(sms.credential), outgoing))
    finally:
        ratelimit.settle(grant)


def accept_status_callback(
    *, sms_id: int, token: str, url: str, params: Mapping[str, str], signature: str
) -> bool:
    """Check the callback is Twilio's, signed with the SMS's account, then move that SMS forward."""
    if not signing.is_valid(_CALLBACK_PURPOSE, str(sms_id), token):
        raise CallbackRefused
    sms = TransactionalSms.objects.select_related("credential").filter(pk=sms_id).first()
    if sms is None:
        raise CallbackRefused
    callback = check_callback(
        credential=sms.credential, known_sid=sms.provider_id, url=url, params=params, signature=signature
    )
    if not sms.provider_id and TransactionalSms.objects.filter(provider_id=callback.sid).exists():
        raise CallbackRefused  # another message's SID: this callback is not about this SMS
    if callback.status is None:
        return False
    return apply_sms_callback(
        sms_id=sms.pk,
        message_sid=callback.sid,
        status=callback.status,
        error_code=callback.error_code,
        error=delivery_error(callback.status, callback.error_code),
    ).changed
