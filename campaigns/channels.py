"""The contract between the campaign core and the channel apps, and the registry that joins them.

The engine and the campaign pages reach a channel only through `channel_for`. Each channel app
(channels_email, channels_sms, channels_telegram) implements the contract in one module and
registers it from its AppConfig.ready(); this package imports none of them.

- `ChannelSender`: render one message, send a batch (one Delivery per message), name the rate
  buckets, check the loaded rows.
- `ChannelPages`: the campaign steps whose form is the channel's own (message, test, send), the
  preview frame, the channel's part of the upload result, and the unsaved message as the officer
  types it (`DraftMessage`, for the message step's live preview).
- `normaliser`: "module:function" turning a recipient cell into the channel's canonical form, or
  raising an exception with a `reason` for the officer. The recipient file is read in a child
  process that loads no Django apps, so it imports the function by this name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

from django.http import HttpResponse

from campaigns.delivery import ClaimedMessage, Delivery
from campaigns.models import Campaign
from common.ratelimit import Bucket

if TYPE_CHECKING:  # the views import the services, which import this module
    from campaigns.views.access import OfficerRequest


def campaign_bucket(campaign_id: int, rate: int) -> Bucket:
    """The campaign's own send rate; a channel's buckets pair it with its provider account's
    (`account_bucket`, `credential_bucket`, `bot_bucket`), which the API's sends share."""
    return Bucket(f"campaign:{campaign_id}", rate)


class ChannelSender[Prepared, Item](Protocol):
    """What the sending engine needs from a channel: render one message, send a batch, rate buckets."""

    def prepare(self, campaign: Campaign) -> Prepared: ...

    def build(
        self, prepared: Prepared, *, message_id: int, recipient: str, params: Mapping[str, str]
    ) -> Item: ...

    def retarget(self, item: Item, to: str) -> Item: ...

    def send_batch(self, campaign: Campaign, items: Sequence[Item]) -> Sequence[Delivery]: ...

    def buckets(self, campaign: Campaign) -> tuple[Bucket, ...]: ...

    def after_load(self, campaign: Campaign) -> None:
        """Recipients were loaded or the template changed: a channel's own checks of each message."""

    def after_duplicate(self, source: Campaign, copy: Campaign) -> None:
        """`copy` was made from `source`: copy what the channel keeps of its own."""

    def launch_problem(self, campaign: Campaign) -> str:
        """Why the campaign cannot start sending now ("" when it can), in words for its owner."""


@runtime_checkable
class ClaimedBatchSender(Protocol):
    """A sender that may send claimed messages its own way (SES bulk calls, say) rather than as
    one built item each."""

    def send_claimed(
        self, campaign: Campaign, prepared: object, messages: Sequence[ClaimedMessage]
    ) -> Sequence[Delivery] | None:
        """One result per message, in order; None when these must go one built item each."""


@dataclass(frozen=True)
class DraftMessage:
    """The officer's unsaved message, compiled as saving it would compile it; nothing is stored.

    `render(recipient, params)` gives what the channel's `pane` template shows (it is rendered by
    the code that sends); `document`, when the channel has one, the whole message as an HTML
    document for a sandboxed frame (an email's layout and body).
    """

    keywords: frozenset[str]
    pane: str
    render: Callable[[str, Mapping[str, str]], Mapping[str, object]]
    document: Callable[[str, Mapping[str, str]], str] | None = None


class ChannelPages(Protocol):
    """The campaign steps that belong to a channel. The campaign views have already found the
    campaign among the officer's own (404 otherwise) and checked it is still a draft."""

    def template_step(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse: ...

    def test_step(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse: ...

    def send_step(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse: ...

    def preview(self, campaign: Campaign) -> HttpResponse:
        """The first message as it will be sent, for the upload page's sandboxed frame."""

    def upload_context(self, campaign: Campaign) -> Mapping[str, object]:
        """The channel's part of a loaded file's result: `channel_summary` (a template name,
        included under the counts) and whatever that template shows."""

    def draft(self, campaign: Campaign, data: Mapping[str, str]) -> DraftMessage:
        """The message step's fields as posted (`data`, unsaved) compiled as saving would;
        raises campaigns.templating.TemplateError naming each problem and the field it is in."""


@dataclass(frozen=True)
class RegisteredChannel:
    channel: str  # a campaigns.models.Channel value
    # The registry forgets each sender's own types (Python has no existential types); the
    # engine only hands a sender what that same sender returned, so they always match.
    sender: ChannelSender[object, object]
    pages: ChannelPages
    normaliser: str


_REGISTRY: dict[str, RegisteredChannel] = {}


class UnknownChannel(LookupError):
    pass


def register_channel[Prepared, Item](
    channel: str, *, sender: ChannelSender[Prepared, Item], pages: ChannelPages, normaliser: str
) -> None:
    """Called once per channel app, from its AppConfig.ready()."""
    erased = cast(ChannelSender[object, object], sender)
    _REGISTRY[channel] = RegisteredChannel(channel, erased, pages, normaliser)


def registered_channels() -> list[str]:
    return list(_REGISTRY)


def channel_for(channel: str) -> RegisteredChannel:
    try:
        return _REGISTRY[channel]
    except KeyError:
        raise UnknownChannel(f"No channel app registered {channel!r}.") from None


def sender_for(campaign: Campaign) -> ChannelSender[object, object]:
    return channel_for(campaign.channel).sender


def pages_for(campaign: Campaign) -> ChannelPages:
    return channel_for(campaign.channel).pages
