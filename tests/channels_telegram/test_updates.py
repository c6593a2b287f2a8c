"""The bot's webhook: every update type, forged updates, and updates delivered twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from channels_telegram.models import ProcessedUpdate, Subscriber, SubscriberStatus
from tests.channels_telegram.conftest import make_bot, post_update, update

pytestmark = pytest.mark.django_db

OWN = {"phone_number": "6591234567", "first_name": "Tan", "user_id": 501}


def rows() -> list[tuple[int, str, str]]:
    return list(Subscriber.objects.order_by("chat_id").values_list("chat_id", "phone", "status"))


def test_start_answers_with_a_share_my_number_keyboard(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)

    response = post_update(client, bot, update(1, text="/start"), secret=secret)

    assert response.status_code == 200
    reply = response.json()
    assert (reply["method"], reply["chat_id"]) == ("sendMessage", 501)
    assert reply["text"].startswith("Welcome to Clinic reminders.")
    assert reply["reply_markup"]["keyboard"] == [[{"text": "Share my phone number", "request_contact": True}]]
    assert reply["reply_markup"]["one_time_keyboard"] is True
    assert rows() == [(501, "", SubscriberStatus.STARTED)]


def test_own_contact_subscribes_the_number_in_e164(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)
    post_update(client, bot, update(1, text="/start"), secret=secret)

    response = post_update(client, bot, update(2, contact=OWN), secret=secret)

    assert rows() == [(501, "+6591234567", SubscriberStatus.SUBSCRIBED)]
    reply = response.json()
    assert reply["text"] == (
        "Thank you. Messages from Clinic reminders for +65 9123 4567 will come to this chat. "
        "Send /updatenumber if your number changes, or /stop to stop them."
    )
    assert reply["reply_markup"] == {"remove_keyboard": True}


def test_someone_elses_contact_is_refused_and_changes_nothing(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)
    post_update(client, bot, update(1, text="/start"), secret=secret)
    neighbour = {"phone_number": "+6598765432", "first_name": "Lim", "user_id": 777}

    response = post_update(client, bot, update(2, contact=neighbour), secret=secret)

    assert rows() == [(501, "", SubscriberStatus.STARTED)]
    assert response.json()["text"].startswith("That is someone else's contact.")
    assert "keyboard" in response.json()["reply_markup"]


def test_contact_without_user_id_is_refused(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)

    post_update(
        client, bot, update(1, contact={"phone_number": "6591234567", "first_name": "X"}), secret=secret
    )

    assert rows() == []


def test_updatenumber_then_new_contact_replaces_the_number(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)
    post_update(client, bot, update(1, contact=OWN), secret=secret)

    asked = post_update(client, bot, update(2, text="/updatenumber"), secret=secret)
    post_update(client, bot, update(3, contact=OWN | {"phone_number": "6581112222"}), secret=secret)

    assert asked.json()["text"] == "Tap the button below to share your new number."
    assert rows() == [(501, "+6581112222", SubscriberStatus.SUBSCRIBED)]


def test_stop_unsubscribes_and_start_subscribes_again(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)
    post_update(client, bot, update(1, contact=OWN), secret=secret)

    stopped = post_update(client, bot, update(2, text="/stop"), secret=secret)
    assert rows() == [(501, "+6591234567", SubscriberStatus.STOPPED)]
    assert stopped.json()["text"] == (
        "You will not receive messages from Clinic reminders any more. Send /start to subscribe again."
    )

    again = post_update(client, bot, update(3, text="/start"), secret=secret)
    assert rows() == [(501, "+6591234567", SubscriberStatus.SUBSCRIBED)]
    assert again.json()["text"].startswith("Thank you. Messages from Clinic reminders for +65 9123 4567")


def test_help_explains_the_commands_and_the_residents_state(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)
    post_update(client, bot, update(1, contact=OWN), secret=secret)

    text = post_update(client, bot, update(2, text="/help"), secret=secret).json()["text"]
    other = post_update(client, bot, update(3, text="hello?", user_id=502), secret=secret).json()["text"]

    assert "You are subscribed as +65 9123 4567." in text
    assert "/start: subscribe by sharing your phone number" in text
    assert "/updatenumber: change your number" in text
    assert "/stop: stop receiving messages" in text
    assert "You are not subscribed yet: send /start." in other


def test_command_with_the_bots_name_is_understood(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)
    post_update(client, bot, update(1, contact=OWN), secret=secret)

    post_update(client, bot, update(2, text="/stop@Clinic_Bot"), secret=secret)

    assert rows() == [(501, "+6591234567", SubscriberStatus.STOPPED)]


def test_blocking_the_bot_sets_the_subscriber_aside(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)
    post_update(client, bot, update(1, contact=OWN), secret=secret)
    kicked = {
        "update_id": 2,
        "my_chat_member": {
            "chat": {"id": 501, "type": "private"},
            "from": {"id": 501, "is_bot": False, "first_name": "Tan"},
            "date": 1767225600,
            "old_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True}},
            "new_chat_member": {"status": "kicked", "user": {"id": 1, "is_bot": True}},
        },
    }

    response = post_update(client, bot, kicked, secret=secret)

    assert (response.status_code, response.content) == (200, b"")
    assert rows() == [(501, "+6591234567", SubscriberStatus.BLOCKED)]


def test_a_number_shared_from_a_new_account_leaves_the_old_chat(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)
    post_update(client, bot, update(1, contact=OWN), secret=secret)

    post_update(client, bot, update(2, user_id=900, contact=OWN | {"user_id": 900}), secret=secret)

    assert rows() == [(501, "", SubscriberStatus.STARTED), (900, "+6591234567", SubscriberStatus.SUBSCRIBED)]


def test_group_messages_are_not_subscriptions(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)
    group = update(1, text="/start")
    group["message"]["chat"] = {"id": -100123, "type": "group", "title": "Residents"}

    response = post_update(client, bot, group, secret=secret)

    assert (response.status_code, response.content) == (200, b"")
    assert rows() == []


def test_same_number_for_two_bots_is_two_subscriptions(client: Client, officer: User) -> None:
    from tests.channels_telegram.conftest import OTHER_TOKEN

    bot, secret = make_bot(officer)
    other, other_secret = make_bot(officer, token=OTHER_TOKEN)

    post_update(client, bot, update(1, contact=OWN), secret=secret)
    post_update(client, other, update(1, contact=OWN), secret=other_secret)
    post_update(client, other, update(2, text="/stop"), secret=other_secret)

    assert Subscriber.objects.get(bot=bot).status == SubscriberStatus.SUBSCRIBED
    assert Subscriber.objects.get(bot=other).status == SubscriberStatus.STOPPED


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong-secret", "x" * 300],
    ids=["no header", "empty", "wrong", "long"],
)
def test_forged_update_is_refused_and_changes_nothing(
    client: Client, officer: User, secret: str | None
) -> None:
    bot, _ = make_bot(officer)

    response = post_update(client, bot, update(1, contact=OWN), secret=secret)

    assert response.status_code == 403
    assert rows() == []
    assert not ProcessedUpdate.objects.exists()


def test_update_with_another_bots_secret_is_refused(client: Client, officer: User) -> None:
    from tests.channels_telegram.conftest import OTHER_TOKEN

    bot, _ = make_bot(officer)
    _, other_secret = make_bot(officer, token=OTHER_TOKEN)

    response = post_update(client, bot, update(1, contact=OWN), secret=other_secret)

    assert response.status_code == 403
    assert rows() == []


def test_unknown_webhook_is_refused_like_a_wrong_secret(client: Client, officer: User) -> None:
    response = client.post(
        "/telegram/webhook/not-a-bot/",
        data=update(1, text="/start"),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": "anything"},
    )

    assert response.status_code == 403


def test_webhook_refuses_get(client: Client, officer: User) -> None:
    bot, _ = make_bot(officer)

    assert client.get(f"/telegram/webhook/{bot.webhook_id}/").status_code == 405


def test_redelivered_update_is_applied_once_and_not_answered_twice(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)
    post_update(client, bot, update(10, contact=OWN), secret=secret)
    post_update(client, bot, update(11, text="/stop"), secret=secret)

    replayed = post_update(client, bot, update(10, contact=OWN), secret=secret)

    assert (replayed.status_code, replayed.content) == (200, b"")
    assert rows() == [(501, "+6591234567", SubscriberStatus.STOPPED)]
    assert ProcessedUpdate.objects.filter(bot=bot).count() == 2


def test_update_ids_are_per_bot(client: Client, officer: User) -> None:
    from tests.channels_telegram.conftest import OTHER_TOKEN

    bot, secret = make_bot(officer)
    other, other_secret = make_bot(officer, token=OTHER_TOKEN)

    post_update(client, bot, update(1, contact=OWN), secret=secret)
    post_update(client, other, update(1, contact=OWN), secret=other_secret)

    assert Subscriber.objects.filter(status=SubscriberStatus.SUBSCRIBED).count() == 2


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "7"}'])
def test_unusable_update_with_the_secret_gets_200_and_changes_nothing(
    client: Client, officer: User, body: bytes
) -> None:
    bot, secret = make_bot(officer)

    response = post_update(client, bot, body, secret=secret)

    assert (response.status_code, response.content) == (200, b"")
    assert rows() == []
    assert not ProcessedUpdate.objects.exists()


def test_unreadable_contact_number_asks_again(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)

    response = post_update(client, bot, update(1, contact=OWN | {"phone_number": "12"}), secret=secret)

    assert response.json()["text"] == "That number could not be read. Tap the button below to try again."
    assert rows() == []


def test_stop_before_sharing_a_number_forgets_the_chat(client: Client, officer: User) -> None:
    bot, secret = make_bot(officer)
    post_update(client, bot, update(1, text="/start"), secret=secret)

    post_update(client, bot, update(2, text="/stop"), secret=secret)

    assert rows() == []


def test_old_update_ids_are_forgotten_after_a_week(client: Client, officer: User, settings: Any) -> None:
    import time_machine
    from django.utils import timezone

    from channels_telegram.tasks import forget_old_updates

    bot, secret = make_bot(officer)
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        post_update(client, bot, update(1, text="/help"), secret=secret)
    post_update(client, bot, update(2, text="/help"), secret=secret)

    assert forget_old_updates() == 1
    assert list(ProcessedUpdate.objects.values_list("update_id", flat=True)) == [2]
