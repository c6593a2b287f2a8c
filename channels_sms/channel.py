"""SMS as a campaign channel: the engine's sender and the campaign steps that are SMS's own.

Registered with the campaign core from ChannelsSmsConfig.ready().
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from django.http import HttpResponse

from campaigns.channels import DraftMessage, register_channel
from campaigns.delivery import Delivery
from campaigns.models import Campaign, Channel
from campaigns.services import first_rendered
from campaigns.views.access import OfficerRequest
from channels_sms import lengths as sms_lengths
from channels_sms import rendering as sms_rendering
from channels_sms import selectors, views
from channels_sms import sending as sms_sending
from channels_sms.models import SmsCampaignSettings
from channels_sms.rendering import SmsLayout
from channels_sms.services import choose_credential
from channels_sms.transport import OutgoingSms
from common.ratelimit import Bucket

NORMALISER = "common.phones:normalise_phone"


class SmsSender:
    def prepare(self, campaign: Campaign) -> SmsLayout:
        return sms_rendering.layout_for(campaign)

    def build(
        self, prepared: SmsLayout, *, message_id: int, recipient: str, params: Mapping[str, str]
    ) -> OutgoingSms:
        return sms_rendering.build_sms(prepared, message_id=message_id, recipient=recipient, params=params)

    def retarget(self, item: OutgoingSms, to: str) -> OutgoingSms:
        # A test has no message of its own to report on: no status callback.
        return replace(item, to=to, body=f"[Test] {item.body}", status_callback="")

    def send_batch(self, campaign: Campaign, items: Sequence[OutgoingSms]) -> list[Delivery]:
        return sms_sending.send_for_campaign(campaign, items)

    def buckets(self, campaign: Campaign) -> tuple[Bucket, ...]:
        return sms_sending.rate_buckets(campaign)

    def after_load(self, campaign: Campaign) -> None:
        sms_lengths.check_lengths(campaign)

    def after_duplicate(self, source: Campaign, copy: Campaign) -> None:
        """The copy sends with the same Twilio credential, when it is the copying officer's own."""
        chosen = SmsCampaignSettings.objects.filter(campaign=source).select_related("credential").first()
        if (
            chosen is not None
            and chosen.credential is not None
            and chosen.credential.owner_id == copy.owner_id
        ):
            choose_credential(campaign=copy, credential=chosen.credential)

    def launch_problem(self, campaign: Campaign) -> str:
        return ""


def first_sms(campaign: Campaign) -> OutgoingSms | None:
    """The first valid recipient's SMS, rendered exactly as it will be sent."""
    return first_rendered(campaign, SmsSender())


class SmsPages:
    def template_step(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse:
        return views.template_page(request, campaign)

    def test_step(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse:
        return views.test_page(request, campaign)

    def send_step(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse:
        return views.send_page(request, campaign)

    def preview(self, campaign: Campaign) -> HttpResponse:
        sms = first_sms(campaign)
        text = sms.body if sms else "There is no valid recipient to preview yet."
        return HttpResponse(text, content_type="text/plain; charset=utf-8")

    def upload_context(self, campaign: Campaign) -> Mapping[str, object]:
        return {
            "channel_summary": "channels_sms/_upload_summary.html",
            "sms": selectors.campaign_sms_settings(campaign),
            "preview": first_sms(campaign),
        }

    def draft(self, campaign: Campaign, data: Mapping[str, str]) -> DraftMessage:
        return views.draft_message(campaign, data)


def register() -> None:
    register_channel(Channel.SMS, sender=SmsSender(), pages=SmsPages(), normaliser=NORMALISER)
