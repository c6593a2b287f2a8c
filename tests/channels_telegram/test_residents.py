"""Residents played by the fake Telegram, posting to our live server's webhook as Telegram would."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from channels_telegram.models import Subscriber, SubscriberStatus
from channels_telegram.sending import TelegramSender
from tests.channels_telegram.conftest import make_bot, make_campaign

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_telegram(telegram: Any, live_server: Any, settings: Any) -> Any:
    settings.SITE_URL = live_server.url
    return telegram


def state(chat_id: int) -> tuple[str, str]:
    return Subscriber.objects.filter(chat_id=chat_id).values_list("phone", "status").get()


def test_a_resident_subscribes_changes_number_stops_and_blocks(officer: User, live_telegram: Any) -> None:
    make_bot(officer, fake=live_telegram)
    resident = live_telegram.telegram.resident("clinic_bot", user_id=501, phone="+6591234567")

    resident.start()
    resident.share_contact()
    assert state(501) == ("+6591234567", SubscriberStatus.SUBSCRIBED)

    resident.update_number("+6581112222")
    assert state(501) == ("+6581112222", SubscriberStatus.SUBSCRIBED)

    stopped = resident.stop()
    assert state(501) == ("+6581112222", SubscriberStatus.STOPPED)
    assert stopped.reply is not None and stopped.reply["reply_markup"] == {"remove_keyboard": True}

    resident.start()
    resident.block()
    assert state(501) == ("+6581112222", SubscriberStatus.BLOCKED)
    replies = [m["text"] for m in live_telegram.messages("telegram") if m["source"] == "webhook"]
    assert len(replies) == 6  # start, contact, updatenumber, contact, stop, start; a block gets none
    assert replies[-1].startswith("Thank you. Messages from Clinic reminders for +65 8111 2222")


def test_a_forged_update_through_the_fake_is_refused(officer: User, live_telegram: Any) -> None:
    from tests.channels_telegram.conftest import TOKEN

    make_bot(officer, fake=live_telegram)
    update = {
        "message": {
            "message_id": 1,
            "from": {"id": 501, "is_bot": False, "first_name": "X"},
            "chat": {"id": 501, "type": "private"},
            "date": 0,
            "contact": {"phone_number": "6591234567", "user_id": 501, "first_name": "X"},
        }
    }

    posted = live_telegram.telegram.post_update(TOKEN, update, secret="guessed")

    assert posted.status == 403
    assert not Subscriber.objects.exists()


def test_a_subscribed_resident_receives_a_campaign_message(officer: User, live_telegram: Any) -> None:
    bot, _ = make_bot(officer, fake=live_telegram)
    resident = live_telegram.telegram.resident("clinic_bot", user_id=501, phone="+6591234567")
    resident.start()
    resident.share_contact()
    campaign = make_campaign(officer, bot, body="Hi {{name}}")
    sender = TelegramSender()
    item = sender.build(
        sender.prepare(campaign), message_id=1, recipient="+6591234567", params={"name": "Tan"}
    )

    [result] = sender.send_batch(campaign, [item])

    [message] = [m for m in live_telegram.messages("telegram") if m["source"] == "api"]
    assert (message["chat_id"], message["text"], result.provider_id) == (501, "Hi Tan", message["id"])
