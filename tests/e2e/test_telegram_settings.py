"""Telegram settings in a real browser: connect a bot, residents subscribe through the fake
Telegram, the officer sees the count, the link and the QR code."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from channels_telegram.models import Subscriber, SubscriberStatus, TelegramBot
from tests.e2e.conftest import log_in
from tests.e2e.test_sms_campaign import shoot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TOKEN = "7000000001:AAHclinicbot-0000000000000000000abcd"
REVOKED = "7000000005:AAHrevokedbot-00000000000000000000000"
BOTS = {TOKEN: {"id": 7000000001, "username": "clinic_reminders_bot", "first_name": "Clinic reminders"}}


@pytest.fixture
def telegram(fake_provider: Any, settings: Any, site: str) -> Any:
    settings.TELEGRAM_API_BASE_URL = fake_provider.url
    settings.SITE_URL = site  # the webhook Telegram (the fake) will post residents' updates to
    fake_provider.configure(telegram_bots=BOTS)
    return fake_provider


def test_officer_connects_a_bot_and_residents_subscribe(page: Page, site: str, telegram: Any) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, site, "telegram.officer@agency.gov.sg")
    page.get_by_role("link", name="Telegram settings").click()
    expect(page.get_by_test_id("no-bots")).to_have_text("You have not connected a bot yet.")

    page.get_by_label("Bot token").fill(REVOKED)
    page.get_by_role("button", name="Check and connect").click()
    expect(page.get_by_text("Telegram did not recognise this token.")).to_be_visible()
    assert not TelegramBot.objects.exists()

    page.get_by_label("Bot token").fill(TOKEN)
    page.get_by_role("button", name="Check and connect").click()
    expect(page.get_by_text("Connected @clinic_reminders_bot.")).to_be_visible()
    expect(page.get_by_test_id("subscriber-count")).to_have_text("0")

    replies = subscribe_residents(telegram)

    assert Counter(replies) == {"subscribed": 45, "refused": 5}
    page.reload()
    expect(page.get_by_test_id("subscriber-count")).to_have_text("45")
    link = page.get_by_test_id("bot-link")
    expect(link).to_have_text("https://t.me/clinic_reminders_bot")
    expect(link).to_have_attribute("href", "https://t.me/clinic_reminders_bot")
    qr = page.get_by_test_id("bot-qr").locator("svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 120  # type: ignore[index]
    expect(page.get_by_test_id("bot-qr").locator("title")).to_have_text(
        "QR code for https://t.me/clinic_reminders_bot"
    )
    assert Subscriber.objects.filter(status=SubscriberStatus.SUBSCRIBED).count() == 45
    shoot(page, "telegram-settings")

    page.get_by_role("link", name="See subscribers").click()
    expect(page.get_by_test_id("subscribers").locator("tbody tr")).to_have_count(45)


def subscribe_residents(fake: Any) -> list[str]:
    """50 residents press Start and share a contact; 5 of them share a neighbour's."""
    outcomes = []
    for i in range(50):
        resident = fake.telegram.resident(
            "clinic_reminders_bot", user_id=10_000 + i, phone=f"+6591{i:06d}", first_name=f"Resident {i}"
        )
        started = resident.start()
        assert started.status == 200 and started.reply is not None
        assert started.reply["reply_markup"]["keyboard"][0][0]["request_contact"] is True
        if i % 10 == 9:
            shared = resident.share_contact(phone="+6598000000", user_id=99_999)
        else:
            shared = resident.share_contact()
        assert shared.status == 200 and shared.reply is not None
        outcomes.append("subscribed" if shared.reply["text"].startswith("Thank you.") else "refused")
    return outcomes


def test_phone_layout_keeps_the_qr_code_and_link_readable(page: Page, site: str, telegram: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, site, "telegram.officer@agency.gov.sg")
    page.goto(f"{site}/settings/telegram/")
    page.get_by_label("Bot token").fill(TOKEN)
    page.get_by_role("button", name="Check and connect").click()
    expect(page.get_by_text(re.compile("Connected @clinic_reminders_bot"))).to_be_visible()

    box = page.get_by_test_id("bot-qr").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
