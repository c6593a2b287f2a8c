"""The Telegram sender: what the fake Bot API received, each error's mapping, and the shared rates."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.db import connections

from accounts.models import User
from campaigns.delivery import Delivery
from channels_telegram.models import Subscriber, SubscriberStatus
from channels_telegram.sending import OutgoingTelegram, TelegramDelivery, TelegramSender, bot_bucket
from common import ratelimit
from tests.channels_telegram.conftest import OTHER_TOKEN, make_bot, make_campaign, subscribe

pytestmark = pytest.mark.django_db

SENDER = TelegramSender()


def items_for(campaign: Any, rows: list[tuple[str, dict[str, str]]]) -> list[OutgoingTelegram]:
    layout = SENDER.prepare(campaign)
    return [
        SENDER.build(layout, message_id=i + 1, recipient=phone, params=params)
        for i, (phone, params) in enumerate(rows)
    ]


def sent(fake: Any) -> list[dict[str, Any]]:
    return [m for m in fake.messages("telegram") if m["source"] == "api"]


def test_each_subscriber_gets_their_own_message(officer: User, telegram: Any) -> None:
    bot, _ = make_bot(officer)
    subscribe(bot, "+6591000001", 101, fake=telegram)
    subscribe(bot, "+6591000002", 102, fake=telegram)
    campaign = make_campaign(officer, bot, body='Hi {{name}} <a href="{{link}}">slot</a> <b>{{slot}}</b>')
    rows = [
        ("+6591000001", {"name": "Tan <Ah Kow>", "link": "https://go.gov.sg/a", "slot": "9 am"}),
        ("+6591000002", {"name": "Lim", "link": "javascript:alert(1)", "slot": "10 am"}),
    ]

    results = SENDER.send_batch(campaign, items_for(campaign, rows))

    log = sorted(sent(telegram), key=lambda m: m["chat_id"])
    assert [(m["chat_id"], m["text"], m["parse_mode"]) for m in log] == [
        (101, 'Hi Tan &lt;Ah Kow&gt; <a href="https://go.gov.sg/a">slot</a> <b>9 am</b>', "HTML"),
        (102, "Hi Lim slot <b>10 am</b>", "HTML"),
    ]
    assert [r.provider_id for r in results] == [m["id"] for m in sorted(log, key=lambda m: m["chat_id"])]
    assert all(r.ok and r.provider_id.startswith(("101:", "102:")) for r in results)


def test_numbers_not_subscribed_or_stopped_are_not_sent(officer: User, telegram: Any) -> None:
    bot, _ = make_bot(officer)
    subscribe(bot, "+6591000002", 102, fake=telegram, status=SubscriberStatus.STOPPED)
    subscribe(bot, "+6591000003", 103, fake=telegram, status=SubscriberStatus.BLOCKED)
    campaign = make_campaign(officer, bot, body="Hello")

    results = SENDER.send_batch(campaign, items_for(campaign, [(f"+659100000{i}", {}) for i in (1, 2, 3)]))

    assert results == [
        Delivery(error_code="NotSubscribed", error="Not subscribed to this bot", permanent=True),
        Delivery(
            error_code="stopped", error="Unsubscribed from this bot", permanent=True, status="unsubscribed"
        ),
        Delivery(error_code="blocked", error="Blocked this bot", permanent=True, status="unsubscribed"),
    ]
    assert sent(telegram) == []


def test_blocked_by_the_user_is_unsubscribed_and_suppressed_for_that_bot(
    officer: User, telegram: Any
) -> None:
    bot, _ = make_bot(officer)
    other, _ = make_bot(officer, token=OTHER_TOKEN)
    subscribe(bot, "+6591000001", 101, fake=telegram)
    subscribe(other, "+6591000001", 101, fake=telegram)
    telegram.configure(telegram_blocked_chats=[101])
    campaign = make_campaign(officer, bot, body="Hello")

    [result] = SENDER.send_batch(campaign, items_for(campaign, [("+6591000001", {})]))

    assert result == Delivery(
        error_code="403",
        error="The resident blocked the bot (Telegram 403)",
        permanent=True,
        status="unsubscribed",
    )
    assert Subscriber.objects.get(bot=bot).status == SubscriberStatus.BLOCKED
    assert Subscriber.objects.get(bot=other).status == SubscriberStatus.SUBSCRIBED


def test_chat_not_found_fails_permanently_with_the_reason(officer: User, telegram: Any) -> None:
    bot, _ = make_bot(officer)
    subscribe(bot, "+6591000001", 101)  # the fake has never seen this chat
    campaign = make_campaign(officer, bot, body="Hello")

    [result] = SENDER.send_batch(campaign, items_for(campaign, [("+6591000001", {})]))

    assert result == Delivery(
        error_code="400",
        error="The resident has not started a chat with the bot (Telegram 400)",
        permanent=True,
    )


def test_too_many_requests_is_throttled_with_telegrams_wait_and_holds_the_bot(
    officer: User, telegram: Any
) -> None:
    bot, _ = make_bot(officer)
    subscribe(bot, "+6591000001", 101, fake=telegram)
    subscribe(bot, "+6591000002", 102, fake=telegram)
    campaign = make_campaign(officer, bot, body="Hello")
    telegram.configure(throttle_rate=1.0, telegram_retry_after=7)

    [first] = SENDER.send_batch(campaign, items_for(campaign, [("+6591000001", {})]))
    telegram.configure(throttle_rate=0.0)
    [second] = SENDER.send_batch(campaign, items_for(campaign, [("+6591000002", {})]))

    assert first == TelegramDelivery(
        error_code="429",
        error="Telegram asked for fewer messages a second; Postman tries again (Telegram 429)",
        throttled=True,
        retry_after=7.0,
    )
    # Flood control is per bot: the next send waits it out instead of asking again.
    assert isinstance(second, TelegramDelivery) and second.throttled and 6.0 < second.retry_after <= 7.0
    assert telegram.stats()["telegram"]["throttled"] == 1
    assert sent(telegram) == []


def test_server_errors_are_transient(officer: User, telegram: Any) -> None:
    bot, _ = make_bot(officer)
    subscribe(bot, "+6591000001", 101, fake=telegram)
    campaign = make_campaign(officer, bot, body="Hello")
    telegram.configure(error_rate=1.0)

    [result] = SENDER.send_batch(campaign, items_for(campaign, [("+6591000001", {})]))

    assert result == Delivery(error_code="500", error="Internal Server Error (Telegram 500)", permanent=False)


def test_network_errors_are_transient_and_never_show_the_token(officer: User, settings: Any) -> None:
    bot, _ = make_bot(officer)
    subscribe(bot, "+6591000001", 101)
    campaign = make_campaign(officer, bot, body="Hello")
    settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:9"

    [result] = SENDER.send_batch(campaign, items_for(campaign, [("+6591000001", {})]))

    assert result == Delivery(
        error_code="ConnectionError", error="Telegram could not be reached (ConnectionError)."
    )


def test_a_revoked_token_fails_permanently_with_a_clear_reason(officer: User, telegram: Any) -> None:
    bot, _ = make_bot(officer)
    subscribe(bot, "+6591000001", 101, fake=telegram)
    campaign = make_campaign(officer, bot, body="Hello")
    telegram.configure(telegram_bots={OTHER_TOKEN: {"id": 1, "username": "x_bot", "first_name": "X"}})

    [result] = SENDER.send_batch(campaign, items_for(campaign, [("+6591000001", {})]))

    assert (result.error_code, result.permanent) == ("401", True)
    assert (
        result.error
        == "Telegram does not accept this bot's token: was it revoked in @BotFather? (Telegram 401)"
    )


def test_campaign_without_its_owners_bot_sends_nothing(
    officer: User, other_officer: User, telegram: Any
) -> None:
    bot, _ = make_bot(other_officer)
    subscribe(bot, "+6591000001", 101, fake=telegram)
    campaign = make_campaign(officer, bot, body="Hello")  # someone else's bot, set behind the forms' back

    [result] = SENDER.send_batch(campaign, items_for(campaign, [("+6591000001", {})]))

    assert (result.error_code, result.permanent) == ("NoBot", True)
    assert sent(telegram) == []


def test_test_send_goes_to_the_given_number_marked_as_a_test(officer: User, telegram: Any) -> None:
    bot, _ = make_bot(officer)
    subscribe(bot, "+6598887777", 555, fake=telegram)
    campaign = make_campaign(officer, bot, body="Hi {{name}}")
    [item] = items_for(campaign, [("+6591000001", {"name": "Tan"})])

    [result] = SENDER.send_batch(campaign, [SENDER.retarget(item, "+6598887777")])

    assert result.ok
    assert [(m["chat_id"], m["text"]) for m in sent(telegram)] == [(555, "[Test] Hi Tan")]


def test_every_campaign_on_a_bot_shares_one_bucket(officer: User) -> None:
    bot, _ = make_bot(officer, max_rate=12)
    first = make_campaign(officer, bot, send_rate=10)
    second = make_campaign(officer, bot, send_rate=50)

    assert SENDER.buckets(first)[1] == SENDER.buckets(second)[1] == bot_bucket(bot)
    assert bot_bucket(bot).per_second == 12
    assert [b.per_second for b in SENDER.buckets(second)] == [12, 12]  # never above the bot's
    assert SENDER.buckets(first)[0].key != SENDER.buckets(second)[0].key


def drive(campaign: Any, items: list[OutgoingTelegram], results: list[Delivery]) -> None:
    """What the engine does: take grants from every bucket, send, settle; requeue the throttled."""
    try:
        _drive(campaign, items, results)
    finally:
        connections.close_all()  # this thread's database connection


def _drive(campaign: Any, items: list[OutgoingTelegram], results: list[Delivery]) -> None:
    buckets = SENDER.buckets(campaign)
    pending = list(items)
    while pending:
        grant = ratelimit.acquire(buckets, min(3, len(pending)))
        if grant.count == 0:
            time.sleep(grant.wait_seconds)
            continue
        part, pending = pending[: grant.count], pending[grant.count :]
        deliveries = SENDER.send_batch(campaign, part)
        ratelimit.settle(grant)
        pending += [item for item, d in zip(part, deliveries, strict=True) if d.throttled]
        results += [d for d in deliveries if not d.throttled]
        if any(d.throttled for d in deliveries):
            time.sleep(0.25)


def max_in_any_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    return max((sum(1 for t in stamps[i:] if t - start < 1.0) for i, start in enumerate(stamps)), default=0)


def test_two_campaigns_on_one_bot_stay_under_its_ceiling_and_one_message_a_second_per_chat(
    transactional_db: None, officer: User, telegram: Any
) -> None:
    """Two campaigns at 10/s each on a bot allowed 8/s, to the same 20 chats: the fake's log shows
    never more than 8 in any one second and never two messages to one chat within a second."""
    telegram.configure(telegram_chat_limit=False)  # the log, not the fake's 429s, must show it
    bot, _ = make_bot(officer, max_rate=8)
    phones = [f"+65910000{i:02d}" for i in range(20)]
    for i, phone in enumerate(phones):
        subscribe(bot, phone, 200 + i, fake=telegram)
    campaigns = [
        make_campaign(officer, bot, body=f"Campaign {n}: {{{{name}}}}", send_rate=10) for n in (1, 2)
    ]
    results: dict[int, list[Delivery]] = {c.pk: [] for c in campaigns}
    threads = [
        threading.Thread(
            target=drive, args=(c, items_for(c, [(p, {"name": p}) for p in phones]), results[c.pk])
        )
        for c in campaigns
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    log = sent(telegram)
    assert Counter(r.ok for rs in results.values() for r in rs) == {True: 40}
    assert len(log) == 40
    assert max_in_any_second([m["at"] for m in log]) <= 8
    per_chat: dict[int, list[float]] = defaultdict(list)
    for message in log:
        per_chat[message["chat_id"]].append(message["at"])
    assert all(len(stamps) == 2 for stamps in per_chat.values())
    gaps = [abs(a - b) for a, b in per_chat.values()]
    assert min(gaps) >= 0.95, f"two messages to one chat {min(gaps):.3f} s apart"
    assert {m["text"] for m in log if m["chat_id"] == 200} == {
        "Campaign 1: +6591000000",
        "Campaign 2: +6591000000",
    }
