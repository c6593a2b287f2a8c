"""Email transports: the one interface the sending engine and Django's mail use.

`send_batch(emails) -> results`, one result per email in order. A result is either a provider
id or an error with `permanent` telling the engine whether to retry (throttling, timeouts) or
give up (a rejected address).
"""

from __future__ import annotations

import functools
import smtplib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import formataddr
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from campaigns.delivery import Delivery
from channels_email.errors import ses_words
from channels_email.models import InboxMessage
from common.ratelimit import Bucket

THROTTLE_CODES = {"Throttling", "TooManyRequestsException", "LimitExceededException"}
# An email the email library refuses to build, e.g. a line break inside an address.
INVALID_MESSAGE = "InvalidMessage"
PERMANENT_CODES = {
    "MessageRejected",
    "BadRequestException",
    "MailFromDomainNotVerifiedException",
    "NotFoundException",
}


@dataclass(frozen=True)
class EmailAttachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    html: str
    text: str
    from_email: str = ""
    reply_to: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    # Used by single API messages; campaign emails leave them empty.
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    attachments: tuple[EmailAttachment, ...] = ()
    configuration_set: str = ""  # "" means settings.SES_CONFIGURATION_SET


def mime_message(email: OutgoingEmail, connection: Any = None) -> EmailMultiAlternatives:
    """The email as a Django message: MIME for SES Raw and SMTP. Bcc never becomes a header."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=email.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        cc=list(email.cc) or None,
        bcc=list(email.bcc) or None,
        reply_to=[email.reply_to] if email.reply_to else None,
        headers=email.headers,
        connection=connection,
    )
    message.attach_alternative(email.html, "text/html")
    for attachment in email.attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message


class EmailTransport(Protocol):
    def send_batch(self, emails: Sequence[OutgoingEmail]) -> list[Delivery]: ...


class InboxTransport:
    def send_batch(self, emails: Sequence[OutgoingEmail]) -> list[Delivery]:
        rows = InboxMessage.objects.bulk_create(
            InboxMessage(
                to=email.to,
                from_email=email.from_email or settings.DEFAULT_FROM_EMAIL,
                reply_to=email.reply_to,
                subject=email.subject,
                text=email.text,
                html=email.html,
                headers={**email.headers, **_inbox_extras(email)},
            )
            for email in emails
        )
        return [Delivery(provider_id=f"inbox-{row.pk}") for row in rows]


def _inbox_extras(email: OutgoingEmail) -> dict[str, str]:
    # The dev inbox has no columns for these; its headers show what would have gone out.
    extras = {"Cc": ", ".join(email.cc), "Bcc": ", ".join(email.bcc)}
    extras["X-Attachments"] = ", ".join(f"{a.filename} ({len(a.content)} bytes)" for a in email.attachments)
    return {name: value for name, value in extras.items() if value}


@functools.cache
def ses_client() -> Any:
    # One client per process: boto3 clients are thread-safe and keep a connection pool.
    return boto3.client(
        "sesv2",
        region_name=settings.AWS_REGION,
        endpoint_url=settings.SES_ENDPOINT_URL,
        # One attempt per call: the engine decides retries, with the shared rate limits in view.
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            max_pool_connections=32,
            # Well within the shared rate's hold on an unsettled grant (common.ratelimit).
            connect_timeout=5,
            read_timeout=20,
        ),
    )


class SesTransport:
    """Amazon SES v2 SendEmail. Calls run on a small thread pool: each is one HTTPS round trip."""

    threads = 8

    def send_batch(self, emails: Sequence[OutgoingEmail]) -> list[Delivery]:
        if len(emails) <= 1:
            return [self.send_one(email) for email in emails]
        with ThreadPoolExecutor(max_workers=min(self.threads, len(emails))) as pool:
            return list(pool.map(self.send_one, emails))

    def send_one(self, email: OutgoingEmail) -> Delivery:
        try:
            request = self._request(email)
        except ValueError as error:
            # The email library refuses this email (a line break in an address, say): only it fails.
            return Delivery(error_code=INVALID_MESSAGE, error=str(error), permanent=True)
        try:
            response = ses_client().send_email(**request)
        except ClientError as error:
            return ses_error_result(error)
        except BotoCoreError as error:
            return unreachable(error)
        return Delivery(provider_id=response["MessageId"])

    def _request(self, email: OutgoingEmail) -> dict[str, Any]:
        request: dict[str, Any] = {
            "FromEmailAddress": email.from_email or settings.DEFAULT_FROM_EMAIL,
            "Destination": _destination(email),
            "Content": {
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                    },
                    "Headers": [{"Name": k, "Value": v} for k, v in email.headers.items()],
                }
            },
        }
        if email.attachments:
            # Simple content cannot carry files: send the whole MIME message instead.
            request["Content"] = {"Raw": {"Data": mime_message(email).message().as_bytes()}}
        if email.reply_to:
            request["ReplyToAddresses"] = [email.reply_to]
        if email.configuration_set or settings.SES_CONFIGURATION_SET:
            request["ConfigurationSetName"] = email.configuration_set or settings.SES_CONFIGURATION_SET
        return request


def ses_error_result(error: ClientError) -> Delivery:
    found = error.response.get("Error", {})
    return ses_result(found.get("Code", "Unknown"), found.get("Message", str(error)))


def ses_result(code: str, message: str) -> Delivery:
    """An SES error code as the engine reads it: throttling is retried, permanent errors are final;
    the reason in plain words, for the officer."""
    return Delivery(
        error_code=code,
        error=ses_words(code, message),
        permanent=code in PERMANENT_CODES,
        throttled=code in THROTTLE_CODES,
    )


def unreachable(error: BotoCoreError) -> Delivery:
    return Delivery(error_code="ConnectionError", error=f"Amazon SES could not be reached: {error}")


def _destination(email: OutgoingEmail) -> dict[str, list[str]]:
    destination = {"ToAddresses": [email.to]}
    if email.cc:
        destination["CcAddresses"] = list(email.cc)
    if email.bcc:
        destination["BccAddresses"] = list(email.bcc)
    return destination


class SmtpTransport:
    """One pooled SMTP connection per batch."""

    def send_batch(self, emails: Sequence[OutgoingEmail]) -> list[Delivery]:
        connection = SmtpBackend(
            host=settings.SMTP_HOST,
            port=settings.SMTP_PORT,
            username=settings.SMTP_USER,
            password=settings.SMTP_PASSWORD,
            use_tls=settings.SMTP_USE_TLS,
            fail_silently=False,
        )
        results: list[Delivery] = []
        try:
            connection.open()
            for email in emails:
                results.append(self._send(connection, email))
        except (OSError, smtplib.SMTPException) as error:
            results.extend(Delivery(error_code="SMTPError", error=str(error)) for _ in emails[len(results) :])
        finally:
            connection.close()
        return results

    def _send(self, connection: SmtpBackend, email: OutgoingEmail) -> Delivery:
        message = mime_message(email, connection)
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as error:
            return Delivery(error_code="SMTPRecipientsRefused", error=str(error), permanent=True)
        except ValueError as error:
            # Raised while the MIME message is built, before anything reaches the server.
            return Delivery(error_code=INVALID_MESSAGE, error=str(error), permanent=True)
        return Delivery(provider_id=message.extra_headers.get("Message-ID", "smtp"))


TRANSPORTS: dict[str, type[EmailTransport]] = {
    "inbox": InboxTransport,
    "ses": SesTransport,
    "smtp": SmtpTransport,
}


def account_bucket() -> Bucket:
    """The email provider account's ceiling: every campaign and API email takes from it."""
    return Bucket(f"email:{settings.EMAIL_PROVIDER}", settings.EMAIL_MAX_SEND_RATE)


def get_transport() -> EmailTransport:
    return TRANSPORTS[settings.EMAIL_PROVIDER]()


def sender(name: str, address: str) -> str:
    return formataddr((name, address)) if name else address
