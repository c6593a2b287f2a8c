"""A Telegram campaign through its own steps: bot and message, upload judged against the bot's
subscribers, a test, sending through the engine at the chosen rate, /stop taking hold."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from campaigns import engine
from campaigns import services as campaign_services
from campaigns.models import Campaign, CampaignStats, CampaignStatus, Message
from channels_telegram import services
from channels_telegram.models import CampaignTelegramSettings, Subscriber, SubscriberStatus, TelegramBot
from tests.campaigns.test_engine import max_in_any_second
from tests.channels_telegram.conftest import OTHER_TOKEN, make_bot, subscribe
from tests.factories import load_rows

pytestmark = pytest.mark.django_db

BODY = "Hi {{name}}, your slot is <b>{{slot}}</b>."


def number(i: int) -> str:
    return f"+659100{i:04d}"


def rows(count: int) -> list[dict[str, str]]:
    # Written as officers write them; normalised to E.164 at upload, as for SMS.
    return [
        {"recipient": f"9100 {i:04d}", "name": f"Person {i}", "slot": f"{9 + i % 8}:00"} for i in range(count)
    ]


def telegram_campaign(
    owner: User, bot: TelegramBot, *, tmp_path: Path, count: int, body: str = BODY
) -> Campaign:
    campaign = campaign_services.create_campaign(owner=owner, name="Clinic slots", channel="telegram")
    services.save_telegram_template(campaign=campaign, bot=bot, body=body)
    load_rows(campaign, rows(count), tmp_path=tmp_path)
    campaign.refresh_from_db()
    return campaign


def statuses(campaign: Campaign) -> Counter[str]:
    return Counter(Message.objects.filter(campaign=campaign).values_list("status", flat=True))


def test_upload_sets_aside_rows_the_bot_cannot_reach_with_reasons(
    officer: User, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    bot, _ = make_bot(officer)
    for i in range(6):
        subscribe(bot, number(i), 100 + i)
    subscribe(bot, number(6), 106, status=SubscriberStatus.STOPPED)
    subscribe(bot, number(7), 107, status=SubscriberStatus.BLOCKED)

    campaign = telegram_campaign(officer, bot, tmp_path=tmp_path, count=10)

    reasons = dict(Message.objects.filter(campaign=campaign).values_list("recipient", "error"))
    assert statuses(campaign) == {"queued": 6, "suppressed": 2, "invalid": 2}
    assert reasons[number(8)] == reasons[number(9)] == "Not subscribed to this bot"
    assert reasons[number(6)] == reasons[number(7)] == "Unsubscribed from this bot"
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.total, stats.queued, stats.invalid, stats.suppressed) == (10, 6, 2, 2)
    recipient_file = campaign.recipient_files.get()
    assert (recipient_file.valid, recipient_file.invalid, recipient_file.suppressed) == (6, 2, 2)
    chosen = CampaignTelegramSettings.objects.get(campaign=campaign)
    assert (chosen.not_subscribed, chosen.stopped, chosen.too_long) == (2, 2, 0)


def test_choosing_another_bot_judges_the_list_again(officer: User, tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    bot, _ = make_bot(officer)
    other, _ = make_bot(officer, token=OTHER_TOKEN)
    subscribe(bot, number(0), 100)
    for i in range(3):
        subscribe(other, number(i), 200 + i)
    campaign = telegram_campaign(officer, bot, tmp_path=tmp_path, count=4)
    assert statuses(campaign) == {"queued": 1, "invalid": 3}

    services.save_telegram_template(campaign=campaign, bot=other, body=BODY)

    assert statuses(campaign) == {"queued": 3, "invalid": 1}
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.queued, stats.invalid, stats.suppressed) == (3, 1, 0)
    assert campaign.recipient_files.get().valid == 3


def test_rows_over_4096_characters_once_personalised_are_set_aside(
    officer: User, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    bot, _ = make_bot(officer)
    subscribe(bot, number(0), 100)
    subscribe(bot, number(1), 101)
    subscribe(bot, number(2), 102)
    campaign = campaign_services.create_campaign(owner=officer, name="Notes", channel="telegram")
    services.save_telegram_template(campaign=campaign, bot=bot, body="Note: {{note}}")
    notes = ["short", "x" * 4090, "x" * 4091]  # 4,096 characters in all fit; 4,097 do not

    load_rows(
        campaign,
        [{"recipient": f"9100 000{i}", "note": note} for i, note in enumerate(notes)],
        tmp_path=tmp_path,
    )

    by_number = {m.recipient: (m.status, m.error) for m in Message.objects.filter(campaign=campaign)}
    assert by_number == {
        number(0): ("queued", ""),
        number(1): ("queued", ""),
        number(2): (
            "invalid",
            "Message is 4,097 characters after personalisation; Telegram's limit is 4,096.",
        ),
    }
    assert CampaignTelegramSettings.objects.get(campaign=campaign).too_long == 1


def test_upload_page_counts_rows_not_subscribed_and_says_how_residents_subscribe(
    officer: User, officer_client: Client, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    bot, _ = make_bot(officer)
    for i in range(3):
        subscribe(bot, number(i), 100 + i)
    campaign = telegram_campaign(officer, bot, tmp_path=tmp_path, count=5)

    page = officer_client.get(f"/campaigns/{campaign.pk}/recipients/").content.decode()
    preview = officer_client.get(f"/campaigns/{campaign.pk}/preview/").content.decode()

    assert 'data-testid="count-not-subscribed">2</strong> rows are not subscribed to @clinic_bot.' in page
    assert "pressing Start and tapping “Share my phone number”" in page
    assert 'data-testid="count-valid">3<' in page
    assert preview == '<div style="white-space: pre-wrap">Hi Person 0, your slot is <b>9:00</b>.</div>'


def test_template_step_saves_the_bot_and_the_sanitised_message(
    officer: User, officer_client: Client, tmp_path: Path
) -> None:
    bot, _ = make_bot(officer)
    campaign = campaign_services.create_campaign(owner=officer, name="Slots", channel="telegram")

    page = officer_client.get(f"/campaigns/{campaign.pk}/template/").content.decode()
    response = officer_client.post(
        f"/campaigns/{campaign.pk}/template/",
        {"bot": bot.pk, "body": "<p>Hi <b>{{ name }}</b></p><script>x()</script>"},
    )

    # The formatting the help names shows as text: no tag of it reaches the page.
    assert "Formatting: &lt;b&gt;, &lt;i&gt;, &lt;u&gt;, &lt;s&gt;, &lt;code&gt;, &lt;pre&gt; and" in page
    assert "<code>," not in page and "<s>," not in page
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.body, campaign.keywords) == ("Hi <b>{{ name }}</b>", ["name"])
    assert CampaignTelegramSettings.objects.get(campaign=campaign).bot == bot
    saved = officer_client.get(f"/campaigns/{campaign.pk}/template/").content.decode()
    # "Hi {{ name }}": the tags do not count, the keyword counts as written.
    assert 'data-testid="telegram-characters">13</span> of 4,096 characters' in saved


def test_template_step_refuses_another_officers_bot(
    officer: User, other_officer: User, officer_client: Client
) -> None:
    theirs, _ = make_bot(other_officer)
    campaign = campaign_services.create_campaign(owner=officer, name="Slots", channel="telegram")

    response = officer_client.post(f"/campaigns/{campaign.pk}/template/", {"bot": theirs.pk, "body": "Hi"})

    assert response.context["form"].errors["bot"] == ["Choose one of your own Telegram bots."]
    assert not CampaignTelegramSettings.objects.exists()
    assert Campaign.objects.get(pk=campaign.pk).body == ""


def test_test_send_goes_only_to_a_number_subscribed_to_the_bot(
    officer: User, officer_client: Client, telegram: Any, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    bot, _ = make_bot(officer, fake=telegram)
    subscribe(bot, number(0), 100, fake=telegram)
    subscribe(bot, "+6598765432", 999, fake=telegram)  # the officer's own phone
    campaign = telegram_campaign(officer, bot, tmp_path=tmp_path, count=1)

    refused = officer_client.post(f"/campaigns/{campaign.pk}/test/", {"phone": "8123 4567"})
    sent = officer_client.post(f"/campaigns/{campaign.pk}/test/", {"phone": "9876 5432"})

    assert refused.context["form"].non_field_errors() == [
        "+6581234567 has not subscribed to @clinic_bot. Open https://t.me/clinic_bot on that phone, "
        "press Start and share your number, then send the test again."
    ]
    assert sent.status_code == 302
    received = telegram.messages("telegram")
    assert [(m["chat_id"], m["text"]) for m in received] == [
        (999, "[Test] Hi Person 0, your slot is <b>9:00</b>.")
    ]


def test_send_step_refuses_a_rate_above_the_bots_and_launches_at_the_chosen_one(
    officer: User, officer_client: Client, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    bot, _ = make_bot(officer, max_rate=20)
    subscribe(bot, number(0), 100)
    campaign = telegram_campaign(officer, bot, tmp_path=tmp_path, count=1)

    page = officer_client.get(f"/campaigns/{campaign.pk}/send/").content.decode()
    too_fast = officer_client.post(f"/campaigns/{campaign.pk}/send/", {"send_rate": "25"})
    launched = officer_client.post(f"/campaigns/{campaign.pk}/send/", {"send_rate": "10"})

    assert "With <strong>@clinic_bot</strong>" in page and 'value="20"' in page
    assert too_fast.context["form"].errors["send_rate"] == ["Ensure this value is less than or equal to 20."]
    assert launched.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.status, campaign.send_rate) == (CampaignStatus.SENDING, 10)


def test_engine_sends_each_subscriber_once_at_the_rate_and_stop_takes_hold(
    officer: User, telegram: Any, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    bot, _ = make_bot(officer, fake=telegram)
    for i in range(30):
        subscribe(bot, number(i), 100 + i, fake=telegram)
    campaign = telegram_campaign(officer, bot, tmp_path=tmp_path, count=30)
    campaign_services.launch_campaign(campaign=campaign, by=officer, send_rate=10)
    # A resident sends /stop after the upload, before their message goes.
    Subscriber.objects.filter(bot=bot, phone=number(29)).update(status=SubscriberStatus.STOPPED)

    while engine.run_for(campaign.pk, seconds=30):
        pass

    received = telegram.messages("telegram")
    assert Counter(m["chat_id"] for m in received) == Counter(range(100, 129))
    by_chat = {m["chat_id"]: m["text"] for m in received}
    assert by_chat[107] == "Hi Person 7, your slot is <b>16:00</b>."
    assert max_in_any_second([m["at"] for m in received]) <= 10
    assert statuses(campaign) == {"sent": 29, "unsubscribed": 1}
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT


def test_a_copy_sends_with_the_same_bot(officer: User, tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    bot, _ = make_bot(officer)
    campaign = telegram_campaign(officer, bot, tmp_path=tmp_path, count=2)

    copy = campaign_services.duplicate_campaign(campaign=campaign, by=officer)

    assert CampaignTelegramSettings.objects.get(campaign=copy).bot == bot
    assert services.require_bot(copy) == bot
