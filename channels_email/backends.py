from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from channels_email.transport import OutgoingEmail, get_transport


def _outgoing(message: EmailMessage, to: str) -> OutgoingEmail:
    html = ""
    if isinstance(message, EmailMultiAlternatives):
        html = next((str(content) for content, mime in message.alternatives if mime == "text/html"), "")
    return OutgoingEmail(
        to=to,
        subject=str(message.subject),
        text=str(message.body),
        html=str(html),
        from_email=str(message.from_email),
        reply_to=", ".join(message.reply_to),
        headers={k: str(v) for k, v in message.extra_headers.items()},
    )


class ProviderEmailBackend(BaseEmailBackend):
    """Django's mail (login codes, notices to officers) through the configured email transport."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        outgoing = [_outgoing(message, to) for message in email_messages for to in message.recipients()]
        results = get_transport().send_batch(outgoing)
        failed = [result for result in results if not result.ok]
        if failed and not self.fail_silently:
            raise OSError(f"{len(failed)} email(s) not sent: {failed[0].error_code} {failed[0].error}")
        return len(email_messages) if not failed else 0
