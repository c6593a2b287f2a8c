"""Email as a campaign channel: the engine's sender and the campaign steps that are email's own.

Registered with the campaign core from ChannelsEmailConfig.ready().
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from django.http import HttpResponse

from campaigns.channels import DraftMessage, campaign_bucket, register_channel
from campaigns.delivery import ClaimedMessage, Delivery
from campaigns.models import Campaign, Channel
from campaigns.services import first_rendered
from campaigns.views.access import OfficerRequest
from channels_email import steps
from channels_email.bulk import bulk_template_for, send_campaign_emails
from channels_email.identities import from_problem
from channels_email.rendering import EmailLayout, build_email, layout_for
from channels_email.transport import OutgoingEmail, account_bucket, get_transport
from channels_email.variants import variant_for
from common.ratelimit import Bucket

NORMALISER = "channels_email.addresses:normalise_email"


class EmailSender:
    def prepare(self, campaign: Campaign) -> EmailLayout:
        return layout_for(campaign)

    def build(
        self, prepared: EmailLayout, *, message_id: int, recipient: str, params: Mapping[str, str]
    ) -> OutgoingEmail:
        return build_email(prepared, message_id=message_id, recipient=recipient, params=params)

    def retarget(self, item: OutgoingEmail, to: str) -> OutgoingEmail:
        return replace(item, to=to, subject=f"[Test] {item.subject}")

    def send_batch(self, campaign: Campaign, items: Sequence[OutgoingEmail]) -> list[Delivery]:
        return get_transport().send_batch(items)

    def send_claimed(
        self, campaign: Campaign, prepared: EmailLayout, messages: Sequence[ClaimedMessage]
    ) -> list[Delivery] | None:
        """Through SES SendBulkEmail where the layout allows it; None sends them one by one."""
        if bulk_template_for(prepared) is None:
            return None
        return send_campaign_emails(prepared, messages)

    def buckets(self, campaign: Campaign) -> tuple[Bucket, ...]:
        buckets = [account_bucket()]
        if campaign.send_rate:
            buckets.append(campaign_bucket(campaign.pk, campaign.send_rate))
        return tuple(buckets)

    def after_load(self, campaign: Campaign) -> None:
        if variant := variant_for(campaign):
            variant.after_load(campaign)

    def after_duplicate(self, source: Campaign, copy: Campaign) -> None:
        if variant := variant_for(source):
            variant.after_duplicate(source, copy)

    def launch_problem(self, campaign: Campaign) -> str:
        return from_problem(officer=campaign.owner, address=campaign.from_email)


def first_email(campaign: Campaign) -> OutgoingEmail | None:
    """The first valid recipient's email, rendered exactly as it will be sent."""
    return first_rendered(campaign, EmailSender())


class EmailPages:
    def template_step(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse:
        return steps.template_page(request, campaign)

    def test_step(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse:
        return steps.test_page(request, campaign)

    def send_step(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse:
        return steps.send_page(request, campaign)

    def preview(self, campaign: Campaign) -> HttpResponse:
        email = first_email(campaign)
        return HttpResponse(email.html if email else "<p>There is no valid recipient to preview yet.</p>")

    def upload_context(self, campaign: Campaign) -> Mapping[str, object]:
        return {"channel_summary": "channels_email/_upload_preview.html", "preview": first_email(campaign)}

    def draft(self, campaign: Campaign, data: Mapping[str, str]) -> DraftMessage:
        return steps.draft_message(campaign, data)


def register() -> None:
    register_channel(Channel.EMAIL, sender=EmailSender(), pages=EmailPages(), normaliser=NORMALISER)
