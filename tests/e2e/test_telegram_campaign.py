"""A Telegram campaign in a real browser, sent by a real worker through the fake Bot API: residents
subscribe through the fake Telegram, the upload sets aside numbers not subscribed to the bot,
sending keeps the chosen rate, and a resident's /stop holds for the next campaign."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import Campaign, CampaignStats, Message
from channels_telegram.models import TelegramBot
from tests.campaigns.test_engine import max_in_any_second
from tests.e2e.conftest import log_in
from tests.e2e.test_sms_campaign import shoot
from tests.e2e.test_telegram_settings import BOTS, REVOKED, TOKEN, subscribe_residents
from tests.workers import start_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BODY = "Hi {{name}}, your clinic slot is <b>{{slot}}</b>."


@pytest.fixture
def telegram(fake_provider: Any, settings: Any, site: str, tmp_path: Path) -> Iterator[Any]:
    """The fake as Telegram, its webhooks posting to the live server, and a real worker."""
    settings.TELEGRAM_API_BASE_URL = fake_provider.url
    settings.SITE_URL = site
    fake_provider.configure(telegram_bots=BOTS)
    worker = start_worker(fake_provider.url, tmp_path, TELEGRAM_API_BASE_URL=fake_provider.url)
    yield fake_provider
    worker.stop()


def residents_csv(path: Path) -> Path:
    """60 numbers: the 45 residents who subscribed, the 5 who shared someone else's contact, and
    10 who never opened the bot."""
    rows = [f"9{1000000 + i:07d},Resident {i},{9 + i % 8}:00" for i in range(50)]
    rows += [f"8{2000000 + i:07d},Stranger {i},10:00" for i in range(10)]
    path.write_text("recipient,name,slot\n" + "\n".join(rows) + "\n")
    return path


def create_campaign(page: Page, site: str, name: str, *, shot: str = "") -> None:
    page.goto(f"{site}/campaigns/new/")
    page.get_by_label("Campaign name").fill(name)
    page.get_by_label("Telegram", exact=True).check()
    page.get_by_role("button", name="Create campaign").click()
    expect(page.get_by_label("Send with")).to_have_value(str(TelegramBot.objects.get().pk))
    message = page.get_by_label(re.compile(r"^\s*Message"))
    message.fill("x" * 4097)
    expect(page.get_by_test_id("telegram-over")).to_be_visible()
    message.fill(BODY)
    expect(page.get_by_test_id("telegram-characters")).to_have_text("42")  # tags do not count
    expect(page.get_by_test_id("telegram-over")).to_be_hidden()
    if shot:
        shoot(page, shot)
    page.get_by_role("button", name="Save and continue").click()


def upload(page: Page, path: Path) -> None:
    page.get_by_label("Recipient file").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()


def test_officer_sends_a_telegram_campaign_to_subscribers_only(
    page: Page, site: str, telegram: Any, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, site, "telegram.officer@agency.gov.sg")

    # The bot: a revoked token refused, nothing stored; the real one connected.
    page.get_by_role("link", name="Telegram settings").click()
    page.get_by_label("Bot token").fill(REVOKED)
    page.get_by_role("button", name="Check and connect").click()
    expect(page.get_by_text("Telegram did not recognise this token.")).to_be_visible()
    assert not TelegramBot.objects.exists()
    page.get_by_label("Bot token").fill(TOKEN)
    page.get_by_role("button", name="Check and connect").click()
    expect(page.get_by_text("Connected @clinic_reminders_bot.")).to_be_visible()

    # 50 residents press Start; 5 share someone else's contact and are refused.
    assert Counter(subscribe_residents(telegram)) == {"subscribed": 45, "refused": 5}

    create_campaign(page, site, "Clinic slots on Telegram", shot="telegram-template")
    upload(page, residents_csv(tmp_path / "residents.csv"))
    expect(page.get_by_test_id("count-total")).to_have_text("60", timeout=30_000)
    expect(page.get_by_test_id("count-valid")).to_have_text("45")
    expect(page.get_by_test_id("count-not-subscribed")).to_have_text("15")
    expect(page.get_by_test_id("not-subscribed")).to_contain_text("tapping “Share my phone number”")
    shoot(page, "telegram-recipients")
    campaign = Campaign.objects.get(name="Clinic slots on Telegram")
    not_subscribed = Message.objects.filter(campaign=campaign, error="Not subscribed to this bot")
    assert sorted(not_subscribed.values_list("recipient", flat=True)) == sorted(
        [f"+659{1000000 + i:07d}" for i in range(9, 50, 10)] + [f"+658{2000000 + i:07d}" for i in range(10)]
    )

    page.goto(f"{site}/campaigns/{campaign.pk}/send/")
    expect(page.get_by_test_id("confirm")).to_have_text("Send to 45 recipients?")
    page.get_by_label("Send rate (messages per second)").fill("10")
    shoot(page, "telegram-send")
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_test_id("done")).to_contain_text("60 of 60 rows done (100%)", timeout=60_000)
    shoot(page, "telegram-progress")

    sent = [m for m in telegram.messages("telegram") if m["source"] == "api"]
    subscribed_chats = [10_000 + i for i in range(50) if i % 10 != 9]
    assert Counter(m["chat_id"] for m in sent) == Counter(subscribed_chats)
    by_chat = {m["chat_id"]: m["text"] for m in sent}
    assert by_chat[10_007] == "Hi Resident 7, your clinic slot is <b>16:00</b>."
    assert by_chat[10_040] == "Hi Resident 40, your clinic slot is <b>9:00</b>."
    assert max_in_any_second([m["at"] for m in sent]) <= 10
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.sent, stats.invalid, stats.failed) == (45, 15, 0)
    export = page.request.get(f"{site}/campaigns/{campaign.pk}/export.csv").text()
    assert export.count(",sent,") == 45 and export.count("Not subscribed to this bot") == 15

    # Resident 3 sends /stop: the next campaign to the same list sets them aside.
    stopped = telegram.telegram.resident("clinic_reminders_bot", user_id=10_003, phone="+6591000003").stop()
    assert stopped.status == 200
    create_campaign(page, site, "Next week's slots")
    upload(page, residents_csv(tmp_path / "residents.csv"))
    expect(page.get_by_test_id("count-valid")).to_have_text("44", timeout=30_000)
    expect(page.get_by_test_id("count-suppressed")).to_have_text("1")
    expect(page.get_by_test_id("count-stopped")).to_have_text("1")
    following = Campaign.objects.get(name="Next week's slots")
    assert (
        Message.objects.get(campaign=following, recipient="+6591000003").error == "Unsubscribed from this bot"
    )
