"""Turning a campaign's compiled SMS template and one recipient's values into an SMS."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from campaigns.models import Campaign
from campaigns.templating import RECIPIENT, CompiledTemplate, compile_template
from channels_sms.callbacks import callback_url
from channels_sms.transport import OutgoingSms


@dataclass(frozen=True)
class SmsLayout:
    body: CompiledTemplate


@functools.lru_cache(maxsize=64)
def _cached_layout(campaign_id: int, template_version: int, body: str) -> SmsLayout:
    return SmsLayout(body=compile_template(body))


def layout_for(campaign: Campaign) -> SmsLayout:
    """Compiled once per campaign and template version in each worker process."""
    return _cached_layout(campaign.pk, campaign.template_version, campaign.body)


def render_body(layout: SmsLayout, *, recipient: str, params: Mapping[str, str]) -> str:
    return layout.body.render({**params, RECIPIENT: recipient})


def build_sms(
    layout: SmsLayout, *, message_id: int, recipient: str, params: Mapping[str, str]
) -> OutgoingSms:
    return OutgoingSms(
        to=recipient,
        body=render_body(layout, recipient=recipient, params=params),
        status_callback=callback_url(message_id),
    )
