"""Telegram settings: adding a bot checks it with Telegram, stores its token encrypted, points its
webhook here with a secret; deleting removes the webhook; every page is its owner's only."""

from __future__ import annotations

import hashlib
import html
import logging
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from campaigns.models import CampaignStatus
from channels_telegram.models import TelegramBot
from channels_telegram.services import BotError, choose_bot, rotate_token_keys
from tests.channels_telegram.conftest import (
    BAD_TOKEN,
    OTHER_TOKEN,
    THIRD_TOKEN,
    TOKEN,
    make_bot,
    make_campaign,
    subscribe,
)

pytestmark = pytest.mark.django_db

URL = "/settings/telegram/"


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_adding_a_bot_sets_its_webhook_with_a_secret_and_its_commands(
    officer_client: Client, officer: User, telegram: Any, settings: Any
) -> None:
    response = officer_client.post(URL, {"token": f"  {TOKEN} ", "max_rate": "20"}, follow=True)

    assert "Connected @clinic_bot. Share its link or QR code with residents." in text_of(response)
    bot = TelegramBot.objects.get()
    assert (bot.owner, bot.username, bot.name, bot.telegram_id, bot.max_rate) == (
        officer,
        "clinic_bot",
        "Clinic reminders",
        7000000001,
        20,
    )
    assert bot.token() == TOKEN
    [fake_bot] = telegram.telegram.bots()
    assert fake_bot.webhook_url == f"{settings.SITE_URL}/telegram/webhook/{bot.webhook_id}/"
    assert TOKEN not in fake_bot.webhook_url and "7000000001" not in fake_bot.webhook_url
    assert len(bot.webhook_id) >= 22
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", fake_bot.secret_token)
    assert hashlib.sha256(fake_bot.secret_token.encode()).hexdigest() == bot.webhook_secret_hash
    assert fake_bot.allowed_updates == ["message", "my_chat_member"]
    assert [c["command"] for c in fake_bot.commands] == ["start", "updatenumber", "help", "stop"]


def test_token_is_ciphertext_in_the_database_and_never_on_the_page(
    officer_client: Client, telegram: Any
) -> None:
    response = officer_client.post(URL, {"token": TOKEN, "max_rate": "30"}, follow=True)

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM channels_telegram_telegrambot")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert TOKEN not in stored
    assert TOKEN.split(":")[1] not in stored
    assert TelegramBot.objects.get().token_encrypted.startswith("gAAAAA")
    assert TOKEN not in text_of(response)
    assert "••••abcd" in text_of(response)


def test_unknown_token_is_refused_with_a_clear_message_and_nothing_stored(
    officer_client: Client, telegram: Any
) -> None:
    response = officer_client.post(URL, {"token": BAD_TOKEN, "max_rate": "30"})

    assert "Telegram did not recognise this token. Copy it again from @BotFather" in text_of(response)
    assert not TelegramBot.objects.exists()
    assert [b.webhook_url for b in telegram.telegram.bots()] == []
    assert telegram.stats()["telegram"]["rejected"] == 1


@pytest.mark.parametrize("token", ["hello", "123456:short", "abc:AAHclinicbot-0000000000000000000abcd"])
def test_malformed_token_is_refused_by_the_form_without_asking_telegram(
    officer_client: Client, telegram: Any, token: str
) -> None:
    response = officer_client.post(URL, {"token": token, "max_rate": "30"})

    assert "That is not a bot token. Tokens look like 123456789:AAE…" in text_of(response)
    assert not TelegramBot.objects.exists()
    assert telegram.stats()["telegram"]["rejected"] == 0


def test_rate_above_telegrams_limit_is_refused(officer_client: Client, telegram: Any) -> None:
    response = officer_client.post(URL, {"token": TOKEN, "max_rate": "31"})

    assert "Ensure this value is less than or equal to 30." in text_of(response)
    assert not TelegramBot.objects.exists()


def test_telegram_unreachable_saves_nothing(officer_client: Client, settings: Any) -> None:
    settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens

    response = officer_client.post(URL, {"token": TOKEN, "max_rate": "30"})

    assert "Telegram could not be reached. Nothing was saved; try again in a moment." in text_of(response)
    assert not TelegramBot.objects.exists()


def test_token_never_reaches_the_logs_when_telegram_is_unreachable(
    officer_client: Client, settings: Any, caplog: Any
) -> None:
    settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:9"

    with caplog.at_level(logging.DEBUG):
        officer_client.post(URL, {"token": TOKEN, "max_rate": "30"})

    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


def test_a_bot_already_connected_is_refused(
    officer_client: Client, other_officer: User, telegram: Any
) -> None:
    make_bot(other_officer)

    response = officer_client.post(URL, {"token": TOKEN, "max_rate": "30"})

    assert "@clinic_bot is already connected to Postman." in text_of(response)
    assert TelegramBot.objects.count() == 1
    assert TelegramBot.objects.get().owner == other_officer


def test_page_shows_subscriber_count_link_and_qr_code(
    officer_client: Client, officer: User, telegram: Any
) -> None:
    bot, _ = make_bot(officer)
    for i in range(3):
        subscribe(bot, f"+659100000{i}", 100 + i)
    subscribe(bot, "+6591000009", 109, status="stopped")

    page = text_of(officer_client.get(URL))

    assert re.search(r'data-testid="subscriber-count">3<', page)
    assert re.search(r'data-testid="stopped-count">1<', page)
    assert 'href="https://t.me/clinic_bot"' in page
    assert '<svg width="' in page and "<title>QR code for https://t.me/clinic_bot</title>" in page
    assert "<script" not in page.split("<main", 1)[1]


def test_qr_download_is_an_svg_file(officer_client: Client, officer: User) -> None:
    bot, _ = make_bot(officer)

    response = officer_client.get(f"{URL}{bot.pk}/qr.svg")

    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"] == 'attachment; filename="clinic_bot-qr.svg"'
    assert response.content.startswith(
        b'<?xml version="1.0" encoding="utf-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
    )


def test_subscribers_page_lists_numbers_and_statuses(officer_client: Client, officer: User) -> None:
    bot, _ = make_bot(officer)
    subscribe(bot, "+6591000001", 101)
    subscribe(bot, "+6591000002", 102, status="stopped")

    page = text_of(officer_client.get(f"{URL}{bot.pk}/subscribers/"))

    assert "+6591000001</td><td>Subscribed" in page
    assert "+6591000002</td><td>Unsubscribed (/stop)" in page


def test_settings_page_queries_do_not_grow_with_bots(officer_client: Client, officer: User) -> None:
    def queries_with(tokens: list[str]) -> int:
        for token in tokens:
            bot, _ = make_bot(officer, token=token)
            subscribe(bot, "+6591000001", 101)
        with CaptureQueriesContext(connection) as queries:
            assert officer_client.get(URL).status_code == 200
        return len(queries)

    one = queries_with([TOKEN])
    three = queries_with([OTHER_TOKEN, THIRD_TOKEN])

    assert TelegramBot.objects.count() == 3
    assert three == one


def test_other_officers_bot_pages_are_404(other_client: Client, officer: User, telegram: Any) -> None:
    bot, _ = make_bot(officer, fake=telegram)

    assert other_client.post(f"{URL}{bot.pk}/delete/").status_code == 404
    assert other_client.get(f"{URL}{bot.pk}/qr.svg").status_code == 404
    assert other_client.get(f"{URL}{bot.pk}/subscribers/").status_code == 404
    assert "clinic_bot" not in text_of(other_client.get(URL))
    assert TelegramBot.objects.filter(pk=bot.pk).exists()
    assert telegram.telegram.bots()[0].webhook_url


def test_pages_need_login(client: Client, officer: User) -> None:
    bot, _ = make_bot(officer)

    for url in (URL, f"{URL}{bot.pk}/qr.svg", f"{URL}{bot.pk}/subscribers/"):
        assert client.get(url)["Location"].startswith("/accounts/login/code/")


def test_deleting_a_bot_removes_its_webhook_and_its_subscribers(
    officer_client: Client, officer: User, telegram: Any
) -> None:
    bot, _ = make_bot(officer, fake=telegram)
    subscribe(bot, "+6591000001", 101)

    response = officer_client.post(f"{URL}{bot.pk}/delete/", follow=True)

    assert "Disconnected @clinic_bot. Postman no longer holds its token." in text_of(response)
    assert not TelegramBot.objects.exists()
    assert telegram.telegram.bots()[0].webhook_url == ""


@pytest.mark.parametrize("status", [CampaignStatus.SENDING, CampaignStatus.SCHEDULED, CampaignStatus.PAUSED])
def test_deleting_a_bot_a_campaign_needs_is_refused(
    officer_client: Client, officer: User, telegram: Any, status: str
) -> None:
    bot, _ = make_bot(officer, fake=telegram)
    make_campaign(officer, bot, status=status, name="Flu jabs")

    response = officer_client.post(f"{URL}{bot.pk}/delete/", follow=True)

    assert "“Flu jabs” still needs this bot to send. Delete it once they have finished." in text_of(response)
    assert TelegramBot.objects.filter(pk=bot.pk).exists()
    assert telegram.telegram.bots()[0].webhook_url.endswith(f"/telegram/webhook/{bot.webhook_id}/")


def test_deleting_a_bot_used_by_finished_or_draft_campaigns_is_allowed(
    officer_client: Client, officer: User, telegram: Any
) -> None:
    bot, _ = make_bot(officer, fake=telegram)
    make_campaign(officer, bot, status=CampaignStatus.SENT)
    draft = make_campaign(officer, bot)

    officer_client.post(f"{URL}{bot.pk}/delete/")

    assert not TelegramBot.objects.exists()
    draft.telegram_settings.refresh_from_db()
    assert draft.telegram_settings.bot is None


def test_deleting_when_telegram_is_unreachable_keeps_the_bot(
    officer_client: Client, officer: User, settings: Any
) -> None:
    bot, _ = make_bot(officer)
    settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:9"

    response = officer_client.post(f"{URL}{bot.pk}/delete/", follow=True)

    assert "Telegram could not be reached to remove the webhook" in text_of(response)
    assert TelegramBot.objects.exists()


def test_deleting_a_bot_whose_token_was_revoked_goes_ahead(
    officer_client: Client, officer: User, telegram: Any
) -> None:
    bot, _ = make_bot(officer)
    telegram.configure(telegram_bots={OTHER_TOKEN: {"id": 1, "username": "x_bot", "first_name": "X"}})

    officer_client.post(f"{URL}{bot.pk}/delete/")

    assert not TelegramBot.objects.exists()


def test_a_campaign_chooses_only_its_owners_bot(officer: User, other_officer: User) -> None:
    bot, _ = make_bot(officer)
    campaign = make_campaign(other_officer, None)

    with pytest.raises(BotError, match=r"Choose one of your own Telegram bots\."):
        choose_bot(campaign=campaign, bot=bot)


def test_token_keys_rotate(officer: User, settings: Any) -> None:
    from cryptography.fernet import Fernet

    bot, _ = make_bot(officer)
    old = bot.token_encrypted
    settings.TELEGRAM_CREDENTIAL_KEYS = [Fernet.generate_key().decode(), *settings.TELEGRAM_CREDENTIAL_KEYS]

    assert rotate_token_keys() == 1

    bot.refresh_from_db()
    assert bot.token_encrypted != old
    settings.TELEGRAM_CREDENTIAL_KEYS = settings.TELEGRAM_CREDENTIAL_KEYS[:1]
    assert bot.token() == TOKEN
