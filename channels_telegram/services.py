"""Everything that changes a bot's state: adding and deleting bots, a campaign's choice of bot,
and a Telegram campaign's own steps (its message, a test, sending).

Subscribers change through the bot's webhook (updates.py); sending is sending.py.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import User
from campaigns import control
from campaigns import services as campaign_services
from campaigns.models import Campaign, CampaignStatus
from campaigns.templating import compile_template
from channels_telegram import encryption
from channels_telegram.botapi import Bot, BotApiError, BotApiUnreachable
from channels_telegram.errors import telegram_words
from channels_telegram.models import (
    CampaignTelegramSettings,
    Subscriber,
    SubscriberStatus,
    TelegramBot,
)
from channels_telegram.sending import campaign_bot

# Campaign states in which a bot is still needed to send.
IN_FLIGHT = (CampaignStatus.SENDING, CampaignStatus.SCHEDULED, CampaignStatus.PAUSED)
UNREACHABLE = "Telegram could not be reached. Nothing was saved; try again in a moment."


class BotError(Exception):
    """A request about a bot that cannot be done; the message is shown to the officer."""


def secret_hash(secret: str) -> str:
    # The secret is 256 random bits: a plain SHA-256 is enough to keep it out of the database.
    return hashlib.sha256(secret.encode()).hexdigest()


def webhook_url(webhook_id: str) -> str:
    return settings.SITE_URL + reverse("channels_telegram:webhook", args=[webhook_id])


@sensitive_variables("token", "bot", "secret")
def add_bot(*, owner: User, token: str, max_rate: int) -> TelegramBot:
    """Check the token with getMe, point the bot's webhook here, set its commands, then store it.

    Nothing is stored unless Telegram accepted all three. A lock on the bot's id keeps two
    officers adding the same bot at once from pointing its webhook at a row that never exists.
    """
    bot = Bot(token)
    me = _who_is(bot)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x7E1E, me["id"] % 2**31])
        if TelegramBot.objects.filter(telegram_id=me["id"]).exists():
            raise BotError(
                f"@{me.get('username')} is already connected to Postman. Telegram sends a bot's "
                "messages to one place only, so each bot can be connected once."
            )
        webhook_id, secret = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
        _configure(bot, webhook_id=webhook_id, secret=secret)
        return TelegramBot.objects.create(
            owner=owner,
            telegram_id=me["id"],
            username=str(me.get("username") or ""),
            name=str(me.get("first_name") or me.get("username") or ""),
            token_encrypted=encryption.encrypt(token),
            token_last4=token[-4:],
            webhook_id=webhook_id,
            webhook_secret_hash=secret_hash(secret),
            max_rate=max_rate,
            verified_at=timezone.now(),
        )


def _who_is(bot: Bot) -> dict[str, Any]:
    try:
        me = bot.get_me()
    except BotApiError as error:
        if error.code in (401, 404):
            raise BotError(
                "Telegram did not recognise this token. Copy it again from @BotFather: it looks "
                "like 123456789:AAE… (or use /token there to get a new one). Nothing was saved. "
                f"(Telegram {error.code})"
            ) from None
        reason = telegram_words(error.code, error.description)
        raise BotError(f"Telegram refused the token: {reason}. Nothing was saved.") from None
    except BotApiUnreachable:
        raise BotError(UNREACHABLE) from None
    if not me.get("is_bot", True) or not me.get("username"):
        raise BotError("That token does not belong to a bot with a username. Nothing was saved.")
    return me


@sensitive_variables("secret")
def _configure(bot: Bot, *, webhook_id: str, secret: str) -> None:
    try:
        bot.set_webhook(url=webhook_url(webhook_id), secret_token=secret)
        bot.set_commands()
    except BotApiError as error:
        raise BotError(
            f"Telegram refused to set up the bot: {telegram_words(error.code, error.description)}. "
            "Nothing was saved."
        ) from None
    except BotApiUnreachable:
        raise BotError(UNREACHABLE) from None


def campaigns_needing(bot: TelegramBot) -> list[str]:
    busy = Campaign.objects.filter(telegram_settings__bot=bot, status__in=IN_FLIGHT, deleted_at__isnull=True)
    return list(busy.order_by("name").values_list("name", flat=True)[:3])


@transaction.atomic
def delete_bot(*, bot: TelegramBot) -> None:
    """Remove the webhook at Telegram, then forget the bot, its token and its subscribers.

    Refused while a campaign still needs the bot, and when Telegram cannot be reached (the
    webhook would go on pointing here). A token revoked in BotFather has no webhook left to
    remove, so it does not stand in the way.
    """
    bot = TelegramBot.objects.select_for_update().get(pk=bot.pk)
    names = campaigns_needing(bot)
    if names:
        listed = ", ".join(f"“{name}”" for name in names)
        raise BotError(
            f"{listed} still need{'s' if len(names) == 1 else ''} this bot to send. "
            "Delete it once they have finished."
        )
    try:
        Bot(bot.token()).delete_webhook()
    except BotApiError as error:
        if error.code not in (401, 404):
            raise BotError(
                f"Telegram refused to remove the webhook: {telegram_words(error.code, error.description)}."
            ) from None
    except BotApiUnreachable:
        raise BotError(
            "Telegram could not be reached to remove the webhook; try again in a moment."
        ) from None
    bot.delete()


def choose_bot(*, campaign: Campaign, bot: TelegramBot) -> CampaignTelegramSettings:
    """The bot a campaign sends with: one of its owner's, chosen while the campaign is a draft."""
    if bot.owner_id != campaign.owner_id:
        raise BotError("Choose one of your own Telegram bots.")
    if not campaign.is_editable:
        raise BotError("This campaign has been sent or scheduled; it can no longer change.")
    chosen, _ = CampaignTelegramSettings.objects.update_or_create(campaign=campaign, defaults={"bot": bot})
    return chosen


def rotate_token_keys() -> int:
    """Re-encrypt every bot token under the first of TELEGRAM_CREDENTIAL_KEYS; returns how many."""
    count = 0
    for bot in TelegramBot.objects.only("pk", "token_encrypted").iterator(chunk_size=500):
        bot.token_encrypted = encryption.reencrypt(bot.token_encrypted)
        bot.save(update_fields=["token_encrypted"])
        count += 1
    return count


@transaction.atomic
def save_telegram_template(*, campaign: Campaign, bot: TelegramBot, body: str) -> Campaign:
    """The campaign's bot and its message, `body` already sanitised (TelegramTemplateForm).

    The loaded list is judged again for this bot and message (reach.check_reach, as after_load).
    """
    choose_bot(campaign=campaign, bot=bot)
    keywords = compile_template(body).keywords
    return campaign_services.save_template(campaign=campaign, keywords=keywords, body=body)


def require_bot(campaign: Campaign) -> TelegramBot:
    bot = campaign_bot(campaign)
    if bot is None:
        raise campaign_services.CampaignError(
            "Choose one of your Telegram bots in the message step: this campaign has none."
        )
    return bot


def send_telegram_test(*, campaign: Campaign, to: str) -> None:
    """The first recipient's message, marked [Test], to a number subscribed to the campaign's bot."""
    bot = require_bot(campaign)
    if not Subscriber.objects.filter(bot=bot, phone=to, status=SubscriberStatus.SUBSCRIBED).exists():
        raise campaign_services.CampaignError(
            f"{to} has not subscribed to @{bot.username}. Open {bot.link} on that phone, press Start "
            "and share your number, then send the test again."
        )
    campaign_services.send_test(campaign=campaign, to=to)


def launch_telegram_campaign(*, campaign: Campaign, by: User, send_rate: int) -> Campaign:
    require_bot(campaign)
    return campaign_services.launch_campaign(campaign=campaign, by=by, send_rate=send_rate)


def schedule_telegram_campaign(*, campaign: Campaign, by: User, at: datetime, send_rate: int) -> Campaign:
    require_bot(campaign)
    return control.schedule_campaign(campaign=campaign, by=by, at=at, send_rate=send_rate)
