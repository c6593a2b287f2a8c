from __future__ import annotations

from django.db import transaction

from accounts.selectors import is_allowed_email
from campaigns import services as campaign_services
from campaigns import transitions
from campaigns.models import (
    BodyFormat,
    Campaign,
    Channel,
    Message,
    MessageStatus,
    Suppression,
    SuppressionReason,
    unsubscribe_scope,
)
from campaigns.templating import CompiledTemplate, compile_template
from channels_email.templating import (
    check_link_schemes,
    compile_email_body,
    markdown_to_html,
    sanitize_email_html,
)

# Marks a message the recipient unsubscribed from by its link (a complaint has its own code).
UNSUBSCRIBED_CODE = "unsubscribed"
# A recipient who unsubscribes after delivery moves the message on; earlier states stay, since
# the message was never sent or its outcome is still due.
_UNSUBSCRIBABLE = (MessageStatus.SENT, MessageStatus.DELIVERED)


@transaction.atomic
def unsubscribe(*, message: Message, reason: str = "") -> None:
    """Suppress this recipient for the agency's later campaigns (idempotent)."""
    owner = message.campaign.owner
    if not is_unsubscribed(message):
        Suppression.objects.create(
            channel=Channel.EMAIL,
            recipient=message.recipient,
            reason=SuppressionReason.UNSUBSCRIBED,
            detail=reason.strip()[:1000],
            **unsubscribe_scope(owner),
        )
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status in _UNSUBSCRIBABLE:
        # The reason goes on the message too, so the campaign's export shows it.
        transitions.move_message(
            locked, MessageStatus.UNSUBSCRIBED, error_code=UNSUBSCRIBED_CODE, error=reason.strip()[:1000]
        )


@transaction.atomic
def resubscribe(*, message: Message) -> None:
    """Undo an unsubscribe: lift the suppression and count the message as it was before."""
    Suppression.objects.unsubscribes_of(message.campaign.owner, Channel.EMAIL).filter(
        recipient=message.recipient
    ).delete()
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status == MessageStatus.UNSUBSCRIBED and locked.error_code == UNSUBSCRIBED_CODE:
        before = MessageStatus.DELIVERED if locked.delivered_at else MessageStatus.SENT
        transitions.move_message(locked, before, error_code="", error="")


def is_unsubscribed(message: Message) -> bool:
    return (
        Suppression.objects.unsubscribes_of(message.campaign.owner, Channel.EMAIL)
        .filter(recipient=message.recipient)
        .exists()
    )


def compile_email_template(*, subject: str, body: str, body_format: str) -> tuple[str, list[str]]:
    """The sanitised HTML body and the keywords both parts use; raises TemplateError."""
    html = markdown_to_html(body) if body_format == BodyFormat.MARKDOWN else sanitize_email_html(body)
    if body_format == BodyFormat.MARKDOWN:
        compile_template(body)  # report errors at positions in what the officer wrote
    check_link_schemes(body, is_markdown=body_format == BodyFormat.MARKDOWN)
    compiled: list[CompiledTemplate] = [compile_template(subject), compile_email_body(html)]
    keywords = sorted(set().union(*(template.keywords for template in compiled)))
    return html, keywords


def save_email_template(
    *,
    campaign: Campaign,
    subject: str,
    body: str,
    body_format: str,
    sender_name: str,
    reply_to: str,
    from_email: str = "",
    show_agency_logo: bool = True,
    track_opens: bool = False,
) -> Campaign:
    """Save a template; if the uploaded list now lacks a column, the list must be uploaded again."""
    for value, what in [
        (subject, "The subject"),
        (sender_name, "The sender name"),
        (reply_to, "The reply-to address"),
    ]:
        campaign_services.require_one_line(value.strip(), what)
    if not sender_name.strip() and campaign.owner.agency_id is None:
        raise campaign_services.CampaignError("Enter a sender name: your account has no agency name to use.")
    html, keywords = compile_email_template(subject=subject, body=body, body_format=body_format)
    return campaign_services.save_template(
        campaign=campaign,
        keywords=keywords,
        subject=subject.strip(),
        body=body,
        body_format=body_format,
        body_html=html,
        sender_name=sender_name.strip(),
        reply_to=reply_to.strip(),
        from_email=from_email,
        show_agency_logo=show_agency_logo,
        track_opens=track_opens,
    )


def send_email_test(*, campaign: Campaign, to: str) -> None:
    """The first recipient's email, marked [Test], to a government address such as the officer's."""
    if not is_allowed_email(to):
        # A test carries the agency's name and content: keep it to government addresses.
        raise campaign_services.CampaignError("Send tests to a government address, such as your own.")
    campaign_services.send_test(campaign=campaign, to=to)
