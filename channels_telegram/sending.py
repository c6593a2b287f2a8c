"""What the sending engine calls for a Telegram campaign: build, send a batch, name the rates.

`TelegramSender` has the engine's sender shape (prepare, build, retarget, send_batch, buckets);
channel.py adds after_load and registers it. Recipients are E.164 numbers, as uploaded; a batch looks up the
chats subscribed to the campaign's bot in one query, so a resident who sent /stop or blocked the
bot after the upload is not sent to. Results are campaigns.delivery.Delivery, one per message:

- sent: provider id "<chat id>:<message id>" (Telegram numbers messages per chat);
- 429: throttled, with `retry_after` seconds (a TelegramDelivery); the whole bot then holds off
  for that long, since Telegram's flood control is per bot, not per campaign;
- 403 "bot was blocked by the user": status "unsubscribed", and the subscriber is set aside for
  this bot's later campaigns;
- 400 (e.g. "chat not found"): failed, permanent, Telegram's reason as the error;
- 5xx and network errors: transient, for the engine's retries.

Rates: every campaign on a bot shares one bucket (`bot_bucket`, ≤ 30 a second), beside the
campaign's own; and no chat gets two messages within a second, whichever campaigns they come from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

from django.utils import timezone
from redis.exceptions import RedisError

from campaigns.channels import campaign_bucket
from campaigns.delivery import Delivery
from channels_telegram.botapi import Bot, BotApiError, BotApiUnreachable
from channels_telegram.errors import telegram_words
from channels_telegram.models import Subscriber, SubscriberStatus, TelegramBot
from channels_telegram.templating import TelegramLayout, cached_layout, render_message
from common import ratelimit
from common.ratelimit import Bucket
from common.redis import redis_key, shared_redis

NO_BOT = "NoBot"
NOT_SUBSCRIBED = "NotSubscribed"
CHAT_BUSY = "ChatBusy"
BLOCKED = "bot was blocked by the user"


class TelegramCampaign(Protocol):
    """What sending needs of a campaign; campaigns.models.Campaign has it."""

    pk: int
    owner_id: int
    body: str
    send_rate: int | None
    template_version: int


@dataclass(frozen=True)
class TelegramDelivery(Delivery):
    retry_after: float = 0.0  # seconds Telegram asked us to wait (429)


@dataclass(frozen=True)
class OutgoingTelegram:
    message_id: int  # ours: campaigns.Message.id (0 for a test)
    phone: str  # E.164; resolved to the subscribed chat at send time
    text: str  # Telegram HTML, sanitised


def campaign_bot(campaign: TelegramCampaign) -> TelegramBot | None:
    """The bot chosen for the campaign, and only while the campaign's owner still owns it."""
    return TelegramBot.objects.filter(
        campaign_settings__campaign_id=campaign.pk, owner_id=campaign.owner_id
    ).first()


def bot_bucket(bot: TelegramBot) -> Bucket:
    """The one rate every campaign (and test) on this bot draws from: Telegram's is per bot."""
    return Bucket(f"telegram:{bot.pk}", bot.max_rate)


def rate_buckets(campaign: TelegramCampaign) -> tuple[Bucket, ...]:
    bot = campaign_bot(campaign)
    if bot is None:
        return (campaign_bucket(campaign.pk, campaign.send_rate or 1),)
    own = min(campaign.send_rate or bot.max_rate, bot.max_rate)
    return (campaign_bucket(campaign.pk, own), bot_bucket(bot))


class TelegramSender:
    threads = 8

    def prepare(self, campaign: TelegramCampaign) -> TelegramLayout:
        return cached_layout(campaign.pk, campaign.template_version, campaign.body)

    def build(
        self, prepared: TelegramLayout, *, message_id: int, recipient: str, params: Mapping[str, str]
    ) -> OutgoingTelegram:
        text = render_message(prepared, recipient=recipient, params=dict(params))
        return OutgoingTelegram(message_id=message_id, phone=recipient, text=text)

    def retarget(self, item: OutgoingTelegram, to: str) -> OutgoingTelegram:
        """A test: to the officer's own subscribed number, marked as one."""
        return replace(item, phone=to, text=f"[Test] {item.text}")

    def buckets(self, campaign: TelegramCampaign) -> tuple[Bucket, ...]:
        return rate_buckets(campaign)

    def send_batch(self, campaign: TelegramCampaign, items: Sequence[OutgoingTelegram]) -> list[Delivery]:
        bot = campaign_bot(campaign)
        if bot is None:
            error = "The campaign has no Telegram bot: choose one of yours in Telegram settings."
            return [Delivery(error_code=NO_BOT, error=error, permanent=True) for _ in items]
        return send_with(bot, items)


def send_with(bot: TelegramBot, items: Sequence[OutgoingTelegram]) -> list[Delivery]:
    """Send each item to the chat subscribed with its number; one Delivery per item, in order."""
    chats = _chats_for(bot, [item.phone for item in items])
    client = Bot(bot.token())
    jobs = [(item, chats.get(item.phone)) for item in items]

    def one(job: tuple[OutgoingTelegram, tuple[int, str] | None]) -> Delivery:
        return _send_one(bot, client, job[0].text, job[1])

    if len(jobs) <= 1:
        results = [one(job) for job in jobs]
    else:
        with ThreadPoolExecutor(max_workers=min(TelegramSender.threads, len(jobs))) as pool:
            results = list(pool.map(one, jobs))
    blocked = [
        chat[0] for (_, chat), r in zip(jobs, results, strict=True) if chat and r.status == "unsubscribed"
    ]
    if blocked:
        Subscriber.objects.filter(bot=bot, chat_id__in=blocked, status=SubscriberStatus.SUBSCRIBED).update(
            status=SubscriberStatus.BLOCKED, updated_at=timezone.now()
        )
    return results


def _chats_for(bot: TelegramBot, phones: list[str]) -> dict[str, tuple[int, str]]:
    rows = Subscriber.objects.filter(bot=bot, phone__in=phones).values_list("phone", "chat_id", "status")
    return {phone: (chat_id, status) for phone, chat_id, status in rows}


def _send_one(bot: TelegramBot, client: Bot, text: str, chat: tuple[int, str] | None) -> Delivery:
    if chat is None:
        return Delivery(error_code=NOT_SUBSCRIBED, error="Not subscribed to this bot", permanent=True)
    chat_id, status = chat
    if status != SubscriberStatus.SUBSCRIBED:
        reason = "Blocked this bot" if status == SubscriberStatus.BLOCKED else "Unsubscribed from this bot"
        return Delivery(error_code=status, error=reason, permanent=True, status="unsubscribed")
    held = _held_for(bot)
    if held:
        return TelegramDelivery(
            error_code="429", error="Waiting out Telegram's flood control", throttled=True, retry_after=held
        )
    gate = _chat_gate(bot, chat_id)
    if gate is None:
        return TelegramDelivery(
            error_code=CHAT_BUSY, error="Sent to this chat a moment ago", throttled=True, retry_after=1.0
        )
    try:
        return _delivered(client.send_message(chat_id=chat_id, text=text))
    except BotApiError as error:
        return _failed(bot, error)
    except BotApiUnreachable as error:
        return Delivery(error_code="ConnectionError", error=str(error))
    finally:
        ratelimit.settle(gate)


def _delivered(result: Mapping[str, object]) -> Delivery:
    chat = result.get("chat")
    chat_id = chat.get("id") if isinstance(chat, dict) else ""
    return Delivery(provider_id=f"{chat_id}:{result['message_id']}")


def _failed(bot: TelegramBot, error: BotApiError) -> Delivery:
    code, text = str(error.code), telegram_words(error.code, error.description)
    if error.code == 429:
        _hold(bot, error.retry_after or 1.0)
        return TelegramDelivery(
            error_code=code, error=text, throttled=True, retry_after=error.retry_after or 1.0
        )
    if error.code == 403 and BLOCKED in error.description:
        return Delivery(error_code=code, error=text, permanent=True, status="unsubscribed")
    # Telegram's 5xx are its own trouble, worth the engine's retries; a 4xx will not change.
    return Delivery(error_code=code, error=text, permanent=error.code < 500)


def _chat_gate(bot: TelegramBot, chat_id: int) -> ratelimit.Grant | None:
    """One message a second to a chat, across every campaign and worker: None if still busy.

    Busy means the same resident in two campaigns at once (a batch never holds a chat twice:
    duplicates are set aside at upload). The message goes back to the queue rather than wait
    here: the bot's grant this send runs under counts only for a second from when it was given,
    so a send that waited longer could break the bot's ceiling.
    """
    try:
        grant = ratelimit.acquire((Bucket(f"telegram:{bot.pk}:chat:{chat_id}", 1),), 1)
    except RedisError:
        return None  # without Redis the rule cannot be kept: back to the queue, unsent
    return grant if grant.count else None


def _hold_key(bot: TelegramBot) -> str:
    return redis_key(f"telegram:{bot.pk}:hold")


def _hold(bot: TelegramBot, seconds: float) -> None:
    # Without Redis the engine still requeues the throttled message; others may meet a 429 too.
    with contextlib.suppress(RedisError):
        shared_redis().set(_hold_key(bot), 1, px=max(1, int(seconds * 1000)))


def _held_for(bot: TelegramBot) -> float:
    """Seconds left of a flood-control wait another send on this bot was told to keep."""
    try:
        remaining = shared_redis().pttl(_hold_key(bot))
    except RedisError:
        return 0.0
    return remaining / 1000 if isinstance(remaining, int) and remaining > 0 else 0.0
