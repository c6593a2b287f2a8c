"""Transactional email: accept a request at once (ACCEPTED), send it on the transactional queue."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from api.attachments import AttachmentRefused, IncomingFile, check_attachment
from api.errors import ApiError, invalid
from api.models import (
    ApiKey,
    Classification,
    TransactionalAttachment,
    TransactionalEmail,
)
from api.schemas import EmailSendIn
from api.services.delivery import DeliveryOutcome, claim, record
from campaigns.delivery import Delivery
from campaigns.models import Channel, Suppression
from campaigns.plain_text import html_to_text
from channels_email.addresses import normalise_email
from channels_email.identities import usable_from_addresses
from channels_email.rendering import letterhead, platform_sender, via_postman
from channels_email.templating import sanitize_email_html
from channels_email.transport import EmailAttachment, OutgoingEmail, account_bucket, get_transport
from common import ratelimit
from common.controls import first_control
from common.recipients import InvalidRecipient

MAX_BODY_BYTES = 1024 * 1024
MAX_SUBJECT_CHARS = 998
MAX_CC_AND_BCC = 49  # SES takes 50 recipients a message; the main recipient is the fiftieth
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
EMPTY_MESSAGE = "Message is invalid as the subject or body only contains invalid HTML tags."
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _address(raw: str, field: str) -> str:
    if not isinstance(raw, str) or not raw.isascii():
        raise invalid(field, "must be a valid email address")
    try:
        return normalise_email(raw)
    except InvalidRecipient:
        raise invalid(field, "must be a valid email address") from None


def _addresses(raw: Sequence[object], field: str) -> list[str]:
    found: list[str] = []
    for value in raw:
        if not isinstance(value, str):
            raise invalid(field, "must contain only email addresses")
        address = _address(value, field)
        if address in found:
            raise invalid(field, f"contains {address} twice")
        found.append(address)
    return found


def resolve_from(*, owner: User, raw: str | None) -> tuple[str, bool]:
    """The From header to send with, and whether it is the shared default sender.

    Like Postman: the default address (under any display name, which then reads "… via Postman")
    or an address verified in SES for the officer (their own, or one granted to their agency).
    """
    default_name, default_address = platform_sender()
    agency_name = via_postman(owner.agency.shown_name) if owner.agency else default_name
    if raw is None or not raw.strip():
        return formataddr((agency_name, default_address)), True
    if found := first_control(raw.strip()):
        raise invalid("from", f"must not contain line breaks or control characters (found {found})")
    name, address = parseaddr(raw)
    name = name.strip()
    address = address.strip().lower()
    if address == default_address:
        if name and name != default_name:
            name = via_postman(name)
        return formataddr((name or agency_name, default_address)), True
    if address and address in usable_from_addresses(owner):
        return formataddr((name, address)) if name else address, False
    raise ApiError(
        400,
        "invalid_from_address",
        f"Invalid 'from' email address: use {default_address} or an address verified for you "
        "under From addresses.",
    )


def _subject(raw: str) -> str:
    subject = " ".join(_CONTROL.sub(" ", raw).split())
    if not subject:
        raise invalid("subject", "is not allowed to be empty")
    if len(subject) > MAX_SUBJECT_CHARS:
        raise invalid("subject", f"must be at most {MAX_SUBJECT_CHARS} characters")
    return subject


def _body(raw: str) -> str:
    if not raw.strip():
        raise invalid("body", "is not allowed to be empty")
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise invalid("body", f"must be at most {MAX_BODY_BYTES} bytes (1 MiB)")
    clean = sanitize_email_html(raw)
    if not html_to_text(clean).strip() and "<img" not in clean:
        raise ApiError(400, "invalid_template", EMPTY_MESSAGE)
    return clean


def _suppressions(owner: User, addresses: Sequence[str]) -> dict[str, str]:
    """Suppressed addresses with the reason, as for the owner's campaigns."""
    rows = Suppression.objects.applying_to(owner, Channel.EMAIL).filter(recipient__in=list(addresses))
    return {row.recipient: row.get_reason_display() for row in rows}


@dataclass(frozen=True)
class CheckedAttachment:
    incoming: IncomingFile
    mimetype: str


def _attachments(files: Sequence[IncomingFile], *, default_sender: bool) -> list[CheckedAttachment]:
    if not files:
        return []
    if sum(f.size for f in files) > MAX_ATTACHMENT_BYTES:
        raise ApiError(
            413, "attachment_limit", f"Attachments can be at most {MAX_ATTACHMENT_BYTES} bytes in all."
        )
    if default_sender:
        # As in Postman: files only from an address the officer answers for, never the shared one.
        raise ApiError(403, "unauthorized", "Attachments can only be sent with your own address as 'from'.")
    checked = []
    for incoming in files:
        try:
            kind = check_attachment(incoming.name, incoming.read())
        except AttachmentRefused as refused:
            raise ApiError(400, "attachment_format", str(refused)) from None
        checked.append(CheckedAttachment(incoming, kind.mimetype))
    return checked


@transaction.atomic
def accept_email(
    *, key: ApiKey, data: EmailSendIn, files: Sequence[IncomingFile], enqueue: Callable[[int], object]
) -> TransactionalEmail:
    """Check and store one email as ACCEPTED; `enqueue(id)` runs once the row is committed."""
    owner = key.owner
    recipient = _address(data.recipient, "recipient")
    subject, body = _subject(data.subject), _body(data.body)
    reply_to = _address(data.reply_to, "reply_to") if data.reply_to else owner.email
    cc, bcc = _addresses(data.cc, "cc"), _addresses(data.bcc, "bcc")
    if len(cc) + len(bcc) > MAX_CC_AND_BCC:
        raise ApiError(
            400, "too_many_recipients", f"cc and bcc can have at most {MAX_CC_AND_BCC} addresses together."
        )
    from_address, default_sender = resolve_from(owner=owner, raw=data.from_)
    attachments = _attachments(files, default_sender=default_sender)
    suppressed = _suppressions(owner, [recipient, *cc, *bcc])
    if recipient in suppressed:
        raise ApiError(400, "invalid_recipient", f"Recipient email is suppressed: {suppressed[recipient]}.")
    now = timezone.now()
    email = TransactionalEmail.objects.create(
        owner=owner,
        api_key=key,
        recipient=recipient,
        from_address=from_address,
        reply_to=reply_to,
        subject=subject,
        body=body,
        # Suppressed cc/bcc addresses are dropped, as Postman does, rather than refusing the email.
        cc=[a for a in cc if a not in suppressed],
        bcc=[a for a in bcc if a not in suppressed],
        tag=data.tag or "",
        classification=data.classification or "",
        disable_tracking=data.disable_tracking,
        attachments_metadata=[
            {"fileName": a.incoming.name, "fileSize": a.incoming.size, "hash": a.incoming.sha256}
            for a in attachments
        ],
        created_at=now,
        accepted_at=now,
    )
    for position, attachment in enumerate(attachments):
        stored = TransactionalAttachment(
            email=email, position=position, name=attachment.incoming.name, content_type=attachment.mimetype
        )
        stored.file.save(f"{email.pk}-{position}.bin", ContentFile(attachment.incoming.read()), save=True)
    transaction.on_commit(lambda: enqueue(email.pk))
    return email


def build_outgoing(email: TransactionalEmail) -> OutgoingEmail:
    classification = Classification(email.classification).label if email.classification else ""
    html = render_to_string(
        "api/email/transactional.html",
        {
            **letterhead(email.owner.agency),
            "classification": classification,
            "body": email.body,
        },
    )
    text = html_to_text(email.body)
    files = tuple(EmailAttachment(a.name, _read(a), a.content_type) for a in email.pending_attachments.all())
    return OutgoingEmail(
        to=email.recipient,
        subject=email.subject,
        html=html,
        text=f"[{classification.upper()}]\n\n{text}" if classification else text,
        from_email=email.from_address,
        reply_to=email.reply_to,
        cc=tuple(email.cc),
        bcc=tuple(email.bcc),
        attachments=files,
        configuration_set=settings.SES_NO_TRACKING_CONFIGURATION_SET if email.disable_tracking else "",
    )


def _read(attachment: TransactionalAttachment) -> bytes:
    with attachment.file.open("rb") as handle:
        return handle.read()


def deliver_email(*, email_id: int) -> DeliveryOutcome:
    """Send one accepted email; the caller retries after `retry_in` when not done.

    Claimed, sent and recorded in three steps, none holding a transaction across SES's answer.
    """
    # The provider account's ceiling, shared with campaigns, and the API's own share of it.
    api_share = ratelimit.Bucket(f"email-api:{settings.EMAIL_PROVIDER}", settings.API_EMAIL_MAX_SEND_RATE)
    grant = ratelimit.acquire((account_bucket(), api_share), 1)
    if grant.count == 0:
        return DeliveryOutcome(False, grant.wait_seconds)
    try:
        if not claim(TransactionalEmail, email_id):
            return DeliveryOutcome(True)  # sent, failed, or another attempt holds it
        email = TransactionalEmail.objects.select_related("owner__agency").get(pk=email_id)
        try:
            outgoing = build_outgoing(email)
        except (ValueError, OSError) as error:
            # A message that cannot be built (a header the email library refuses, an attachment
            # gone from storage) fails with its reason instead of being retried for ever.
            result = Delivery(error_code="InvalidMessage", error=str(error), permanent=True)
        else:
            result = get_transport().send_batch([outgoing])[0]
        return _record(email, result)
    finally:
        ratelimit.settle(grant)


@transaction.atomic
def _record(email: TransactionalEmail, result: Delivery) -> DeliveryOutcome:
    outcome = record(email, result)
    if outcome.done:
        _discard_attachments(email)
    return outcome


def _discard_attachments(email: TransactionalEmail) -> None:
    """The files were needed only to send: remove them once the email is done, sent or not."""
    names = [a.file.name for a in email.pending_attachments.all() if a.file.name]
    email.pending_attachments.all().delete()

    def delete_files() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete_files)
