"""A bot's webhook: residents subscribe, change their number and stop, one update at a time.

Telegram posts each update with the secret given at setWebhook in X-Telegram-Bot-Api-Secret-Token.
A post without it is not from Telegram: `UpdateRefused`, nothing read or changed (the view answers
403). Everything with the secret gets a 200, even an update we cannot use, or Telegram would
redeliver it for a day. Each update id is handled once per bot: the row recording it is written
in the same transaction as what the update changes.

Replies go back in the webhook's own answer (Telegram performs a method given there), so the web
process never needs the bot's token and a redelivered update is not answered twice.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from channels_telegram.models import ProcessedUpdate, Subscriber, SubscriberStatus, TelegramBot
from channels_telegram.phones import display_number, shared_number
from channels_telegram.services import secret_hash

logger = logging.getLogger(__name__)

Reply = dict[str, Any]
SHARE_BUTTON = "Share my phone number"
_KEYBOARD = {
    "keyboard": [[{"text": SHARE_BUTTON, "request_contact": True}]],
    "resize_keyboard": True,
    "one_time_keyboard": True,
    "input_field_placeholder": "Tap “Share my phone number”",
}
_NO_KEYBOARD = {"remove_keyboard": True}
_DUMMY_HASH = "0" * 64


class UpdateRefused(Exception):
    """Not from Telegram for this bot: the secret is missing or wrong, or no bot has this URL."""


def accept_update(*, webhook_id: str, secret: str, body: bytes) -> Reply | None:
    """Apply one update; returns the reply for the webhook's answer, if there is one."""
    bot = TelegramBot.objects.filter(webhook_id=webhook_id).first()
    expected = bot.webhook_secret_hash if bot else _DUMMY_HASH
    # Compared in constant time; an unknown URL costs the same as a wrong secret.
    if not hmac.compare_digest(secret_hash(secret), expected) or bot is None:
        raise UpdateRefused
    try:
        update = json.loads(body)
    except ValueError:
        logger.warning("Telegram update for bot %s is not JSON; ignored", bot.pk)
        return None
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        logger.warning("Telegram update for bot %s has no update_id; ignored", bot.pk)
        return None
    with transaction.atomic():
        if not _first_time(bot, update["update_id"]):
            return None
        return _dispatch(bot, update)


def _first_time(bot: TelegramBot, update_id: int) -> bool:
    # A concurrent redelivery waits on the unique index, then finds the row and does nothing.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO channels_telegram_processedupdate (bot_id, update_id, received_at) "
            "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
            [bot.pk, update_id, timezone.now()],
        )
        return cursor.fetchone() is not None


def _dispatch(bot: TelegramBot, update: Mapping[str, Any]) -> Reply | None:
    member = update.get("my_chat_member")
    if isinstance(member, dict):
        _member_changed(bot, member)
        return None
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    chat, sender = message.get("chat"), message.get("from")
    if not isinstance(chat, dict) or chat.get("type") != "private" or not isinstance(sender, dict):
        return None  # groups and channels the bot was added to are not subscriptions
    chat_id, user_id = chat.get("id"), sender.get("id")
    if not isinstance(chat_id, int) or not isinstance(user_id, int):
        return None
    contact = message.get("contact")
    if isinstance(contact, dict):
        return _contact(bot, chat_id, user_id, contact)
    return _command(bot, chat_id, str(message.get("text") or ""))


def _reply(chat_id: int, text: str, markup: Mapping[str, Any] | None = None) -> Reply:
    reply: Reply = {"method": "sendMessage", "chat_id": chat_id, "text": text}
    if markup is not None:
        reply["reply_markup"] = markup
    return reply


def _command(bot: TelegramBot, chat_id: int, text: str) -> Reply:
    word = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    command, _, mention = word.lower().partition("@")
    if mention and mention != bot.username.lower():
        command = ""  # addressed to another bot
    if command == "/start":
        return _start(bot, chat_id)
    if command == "/updatenumber":
        return _reply(chat_id, "Tap the button below to share your new number.", _KEYBOARD)
    if command == "/stop":
        return _stop(bot, chat_id)
    return _help(bot, chat_id)


def _subscriber(bot: TelegramBot, chat_id: int) -> Subscriber | None:
    return Subscriber.objects.select_for_update().filter(bot=bot, chat_id=chat_id).first()


def _start(bot: TelegramBot, chat_id: int) -> Reply:
    subscriber = _subscriber(bot, chat_id)
    if subscriber is not None and subscriber.phone:
        # Back after /stop or a block: they asked again, and we know their number.
        _subscribe(subscriber, subscriber.phone)
        return _reply(chat_id, _subscribed_text(bot, subscriber.phone), _NO_KEYBOARD)
    if subscriber is None:
        Subscriber.objects.create(bot=bot, chat_id=chat_id)
    text = (
        f"Welcome to {bot.name}. To receive messages here, share the phone number of this "
        "Telegram account: tap “Share my phone number” below."
    )
    return _reply(chat_id, text, _KEYBOARD)


def _contact(bot: TelegramBot, chat_id: int, user_id: int, contact: Mapping[str, Any]) -> Reply:
    if contact.get("user_id") != user_id:
        text = (
            "That is someone else's contact. Only your own number can be subscribed: tap "
            "“Share my phone number” below."
        )
        return _reply(chat_id, text, _KEYBOARD)
    phone = shared_number(str(contact.get("phone_number") or ""))
    if phone is None:
        return _reply(chat_id, "That number could not be read. Tap the button below to try again.", _KEYBOARD)
    # Whoever shares a number last holds it: a recycled number must not reach its old owner.
    Subscriber.objects.filter(bot=bot, phone=phone).exclude(chat_id=chat_id).update(
        phone="", status=SubscriberStatus.STARTED, subscribed_at=None
    )
    subscriber = _subscriber(bot, chat_id) or Subscriber(bot=bot, chat_id=chat_id)
    _subscribe(subscriber, phone)
    return _reply(chat_id, _subscribed_text(bot, phone), _NO_KEYBOARD)


def _subscribe(subscriber: Subscriber, phone: str) -> None:
    subscriber.phone = phone
    subscriber.status = SubscriberStatus.SUBSCRIBED
    subscriber.subscribed_at = timezone.now()
    subscriber.save()


def _subscribed_text(bot: TelegramBot, phone: str) -> str:
    return (
        f"Thank you. Messages from {bot.name} for {display_number(phone)} will come to this chat. "
        "Send /updatenumber if your number changes, or /stop to stop them."
    )


def _stop(bot: TelegramBot, chat_id: int) -> Reply:
    subscriber = _subscriber(bot, chat_id)
    if subscriber is not None and subscriber.phone:
        subscriber.status = SubscriberStatus.STOPPED
        subscriber.save(update_fields=["status", "updated_at"])
    elif subscriber is not None:
        subscriber.delete()  # started but never shared a number: nothing to keep
    text = f"You will not receive messages from {bot.name} any more. Send /start to subscribe again."
    return _reply(chat_id, text, _NO_KEYBOARD)


def _help(bot: TelegramBot, chat_id: int) -> Reply:
    subscriber = Subscriber.objects.filter(bot=bot, chat_id=chat_id).first()
    state = (
        f"You are subscribed as {display_number(subscriber.phone)}."
        if subscriber is not None and subscriber.status == SubscriberStatus.SUBSCRIBED
        else "You are not subscribed yet: send /start."
    )
    text = (
        f"{bot.name} sends official messages through Postman to residents who subscribe. {state}\n\n"
        "/start: subscribe by sharing your phone number\n"
        "/updatenumber: change your number\n"
        "/stop: stop receiving messages\n\n"
        "This bot does not read replies."
    )
    return _reply(chat_id, text)


def _member_changed(bot: TelegramBot, member: Mapping[str, Any]) -> None:
    chat, new = member.get("chat"), member.get("new_chat_member")
    if not isinstance(chat, dict) or chat.get("type") != "private" or not isinstance(new, dict):
        return
    chat_id = chat.get("id")
    if new.get("status") == "kicked" and isinstance(chat_id, int):
        # Blocked: the next upload sets this number aside instead of failing it at send time.
        Subscriber.objects.filter(bot=bot, chat_id=chat_id).exclude(phone="").update(
            status=SubscriberStatus.BLOCKED, updated_at=timezone.now()
        )


def forget_updates_before(when: datetime) -> int:
    """Drop update ids older than `when`: Telegram will not deliver those again."""
    deleted, _ = ProcessedUpdate.objects.filter(received_at__lt=when).delete()
    return deleted
