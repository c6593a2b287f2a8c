"""Fixtures and row makers for the Telegram channel's tests: the Bot API is the fake provider."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign, CampaignStats, CampaignStatus
from channels_telegram import encryption
from channels_telegram.models import CampaignTelegramSettings, Subscriber, SubscriberStatus, TelegramBot
from channels_telegram.services import secret_hash

TOKEN = "7000000001:AAHclinicbot-0000000000000000000abcd"
OTHER_TOKEN = "7000000002:AAHotherbot-00000000000000000000wxyz"
BAD_TOKEN = "7000000003:AAHrevoked-000000000000000000000000"
THIRD_TOKEN = "7000000004:AAHthird-000000000000000000000000000"
BOTS: dict[str, dict[str, Any]] = {
    TOKEN: {"id": 7000000001, "username": "clinic_bot", "first_name": "Clinic reminders"},
    OTHER_TOKEN: {"id": 7000000002, "username": "other_bot", "first_name": "Other agency"},
    THIRD_TOKEN: {"id": 7000000004, "username": "third_bot", "first_name": "Third"},
}


@pytest.fixture
def telegram(fake_provider: Any, settings: Any) -> Any:
    """The fake provider as Telegram, knowing two bots; the test server's address as SITE_URL."""
    settings.TELEGRAM_API_BASE_URL = fake_provider.url
    fake_provider.configure(telegram_bots=BOTS)
    return fake_provider


@pytest.fixture
def other_client(other_officer: User) -> Client:
    client = Client()
    client.force_login(other_officer)
    return client


def make_bot(
    owner: User, *, token: str = TOKEN, max_rate: int = 30, fake: Any = None
) -> tuple[TelegramBot, str]:
    """A stored bot, as if added (adding is tested on the page); returns it and its secret.

    With `fake`, the fake's bot gets the webhook too, so residents reach our server.
    """
    info = BOTS[token]
    secret = secrets.token_urlsafe(32)
    bot = TelegramBot.objects.create(
        owner=owner,
        telegram_id=info["id"],
        username=info["username"],
        name=info["first_name"],
        token_encrypted=encryption.encrypt(token),
        token_last4=token[-4:],
        webhook_id=secrets.token_urlsafe(16),
        webhook_secret_hash=secret_hash(secret),
        max_rate=max_rate,
        verified_at=timezone.now(),
    )
    if fake is not None:
        fake_bot = fake.telegram.bot_for(token)
        from channels_telegram.services import webhook_url

        fake_bot.webhook_url, fake_bot.secret_token = webhook_url(bot.webhook_id), secret
    return bot, secret


def subscribe(
    bot: TelegramBot, phone: str, chat_id: int, *, fake: Any = None, status: str = "subscribed"
) -> Subscriber:
    """A subscriber row; with `fake`, the fake also knows the chat (as if the resident wrote first)."""
    if fake is not None:
        token = next(t for t, info in BOTS.items() if info["id"] == bot.telegram_id)
        fake.telegram.bot_for(token).chats.add(chat_id)
    return Subscriber.objects.create(
        bot=bot, chat_id=chat_id, phone=phone, status=status, subscribed_at=timezone.now()
    )


def make_campaign(
    owner: User,
    bot: TelegramBot | None,
    *,
    body: str = "Hi {{name}}, your slot is <b>{{slot}}</b>.",
    send_rate: int | None = None,
    status: str = CampaignStatus.DRAFT,
    name: str = "Telegram campaign",
) -> Campaign:
    """A Telegram campaign row with its bot, without the steps (test_campaigns.py goes through them)."""
    campaign = Campaign.objects.create(
        owner=owner, name=name, channel="telegram", body=body, send_rate=send_rate, status=status
    )
    CampaignStats.objects.create(campaign=campaign)
    if bot is not None:
        CampaignTelegramSettings.objects.create(campaign=campaign, bot=bot)
    return campaign


def update(
    update_id: int, *, user_id: int = 501, text: str | None = None, contact: dict[str, Any] | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id,
        "from": {"id": user_id, "is_bot": False, "first_name": "Tan"},
        "chat": {"id": user_id, "type": "private", "first_name": "Tan"},
        "date": 1767225600,
    }
    if text is not None:
        message["text"] = text
    if contact is not None:
        message["contact"] = contact
    return {"update_id": update_id, "message": message}


def post_update(client: Client, bot: TelegramBot, body: Any, *, secret: str | None) -> Any:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        f"/telegram/webhook/{bot.webhook_id}/", data=data, content_type="application/json", headers=headers
    )


SUBSCRIBED = SubscriberStatus.SUBSCRIBED
