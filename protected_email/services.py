"""Writing a protected campaign's two templates, and expiring payloads after their retention."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from campaigns import transitions
from campaigns.models import Campaign, RecipientFileStatus
from campaigns.services import CampaignError
from campaigns.templating import RECIPIENT, TemplateError, TemplateProblem, compile_template
from channels_email.services import compile_email_template
from channels_email.templating import check_link_schemes, compile_email_body, sanitize_email_html
from protected_email.loading import UPLOAD_COLUMNS
from protected_email.models import ProtectedMessage, ProtectedTemplate

LINK = "protectedlink"
EMAIL_KEYWORDS = frozenset({RECIPIENT, LINK})
KEYWORD_TOKEN = re.compile(r"\{\{[ \t]*([A-Za-z0-9_]+)[ \t]*\}\}")


def _problem(text: str, start: int, token: str, message: str) -> TemplateProblem:
    line = text.count("\n", 0, start) + 1
    column = start - text.rfind("\n", 0, start)
    return TemplateProblem(
        message.replace("$where", f"line {line}, column {column}"), token, line, column, start
    )


def check_email_keywords(text: str, *, part: str, needs_link: bool) -> None:
    """The email itself may carry only the recipient's address and the link to their message:
    anything personal belongs in the protected message. Raises TemplateError with positions."""
    problems = []
    for match in KEYWORD_TOKEN.finditer(text):
        if match[1].lower() not in EMAIL_KEYWORDS:
            message = (
                f'Keyword "{match[0]}" at $where: the {part} of a protected email may use only '
                "{{recipient}} and {{protectedlink}}. Put it in the protected message instead."
            )
            problems.append(_problem(text, match.start(), match[0], message))
    if needs_link and not any(m[1].lower() == LINK for m in KEYWORD_TOKEN.finditer(text)):
        message = "The email must contain {{protectedlink}}, the link to the recipient's protected message."
        problems.append(TemplateProblem(message, "", 1, 1, 0))
    if problems:
        raise TemplateError(problems)


def compile_protected_message(text: str) -> tuple[str, list[str]]:
    """The protected message's sanitised HTML and its keywords; raises TemplateError."""
    compile_template(text)  # report errors at positions in what the officer wrote
    check_link_schemes(text, is_markdown=False)
    html = sanitize_email_html(text)
    compiled = compile_email_body(html)
    return html, sorted(compiled.keywords)


@transaction.atomic
def save_protected_templates(
    *,
    campaign: Campaign,
    subject: str,
    body: str,
    body_format: str,
    sender_name: str,
    reply_to: str,
    message: str,
    from_email: str = "",
    show_agency_logo: bool = True,
    track_opens: bool = False,
) -> Campaign:
    """Save the email and the protected message. A changed protected message voids the
    encrypted list: its payloads hold the old text, so it must be encrypted again."""
    if not campaign.is_editable:
        raise CampaignError("This campaign has been sent or scheduled; it can no longer be changed.")
    if not sender_name.strip() and campaign.owner.agency_id is None:
        raise CampaignError("Enter a sender name: your account has no agency name to use.")
    check_email_keywords(subject, part="subject", needs_link=False)
    check_email_keywords(body, part="body", needs_link=True)
    html, _ = compile_email_template(subject=subject, body=body, body_format=body_format)
    message_html, message_keywords = compile_protected_message(message)
    campaign.subject, campaign.body, campaign.body_format = subject.strip(), body, body_format
    campaign.body_html, campaign.sender_name, campaign.reply_to = html, sender_name.strip(), reply_to.strip()
    campaign.from_email, campaign.show_agency_logo = from_email, show_agency_logo
    campaign.track_opens = track_opens
    # The recipient file of a protected campaign is the encrypted one: these are its columns.
    campaign.keywords = UPLOAD_COLUMNS
    campaign.template_version += 1
    campaign.save()
    template, created = ProtectedTemplate.objects.get_or_create(campaign=campaign)
    if not created and template.body_html != message_html:
        _void_encrypted_list(campaign)
    template.body, template.body_html, template.keywords = message, message_html, message_keywords
    template.save()
    return campaign


def _void_encrypted_list(campaign: Campaign) -> None:
    current = campaign.recipient_files.first()
    if current is None or current.status != RecipientFileStatus.READY:
        return
    ProtectedMessage.objects.filter(campaign=campaign).delete()
    transitions.discard_loaded(campaign)
    current.status = RecipientFileStatus.FAILED
    current.error = "The protected message changed. Encrypt the recipient file again and upload it."
    current.save(update_fields=["status", "error"])


def expire_payloads(*, limit: int = 10_000) -> int:
    """Delete the ciphertext of messages past their retention; the rows stay, so the page can
    say the message expired and whom to ask. Returns how many expired."""
    ids = list(
        ProtectedMessage.objects.filter(expires_at__lte=timezone.now())
        .exclude(payload="")
        .values_list("id", flat=True)[:limit]
    )
    return ProtectedMessage.objects.filter(id__in=ids).update(payload="", verifier_hash="")
