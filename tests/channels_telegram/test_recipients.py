"""At upload: which numbers a bot reaches, set-based, and the SQL the ingest joins on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from accounts.models import User
from campaigns import services as campaign_services
from channels_sms import services as sms_services
from channels_telegram.phones import shared_number
from channels_telegram.recipients import UNREACHABLE_SQL, Reach, reach_of, subscribed_numbers
from common.phones import normalise_phone
from tests.channels_telegram.conftest import OTHER_TOKEN, make_bot, subscribe
from tests.factories import load_rows

pytestmark = pytest.mark.django_db


def test_reach_of_says_subscribed_not_subscribed_or_stopped(
    officer: User, django_assert_num_queries: Any
) -> None:
    bot, _ = make_bot(officer)
    other, _ = make_bot(officer, token=OTHER_TOKEN)
    subscribe(bot, "+6591000001", 101)
    subscribe(bot, "+6591000002", 102, status="stopped")
    subscribe(bot, "+6591000003", 103, status="blocked")
    subscribe(other, "+6591000004", 104)

    with django_assert_num_queries(1):
        reach = reach_of(bot=bot, numbers=[f"+659100000{i}" for i in range(1, 5)])

    assert reach == {
        "+6591000001": Reach.SUBSCRIBED,
        "+6591000002": Reach.STOPPED,
        "+6591000003": Reach.STOPPED,
        "+6591000004": Reach.NOT_SUBSCRIBED,
    }
    assert Reach.NOT_SUBSCRIBED.reason == "Not subscribed to this bot"
    assert subscribed_numbers(bot=bot, numbers=iter(reach)) == {"+6591000001"}


def test_reach_of_asks_in_chunks(officer: User, django_assert_num_queries: Any) -> None:
    bot, _ = make_bot(officer)

    with django_assert_num_queries(3):
        reach = reach_of(bot=bot, numbers=(f"+6591{i:06d}" for i in range(12_000)))

    assert len(reach) == 12_000


def test_unreachable_sql_marks_loaded_rows(officer: User, tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    bot, _ = make_bot(officer)
    subscribe(bot, "+6591000001", 101)
    subscribe(bot, "+6591000002", 102, status="stopped")
    # SMS rows normalise as Telegram rows do; a Telegram campaign sets these aside itself (reach.py).
    campaign = campaign_services.create_campaign(owner=officer, name="List", channel="sms")
    sms_services.save_sms_template(campaign=campaign, body="Hi")
    load_rows(campaign, [{"recipient": f"9100 000{i}"} for i in range(1, 4)], tmp_path=tmp_path)

    with connection.cursor() as cursor:
        cursor.execute(UNREACHABLE_SQL, {"campaign": campaign.pk, "bot": bot.pk})
        found = sorted((recipient, reach) for recipient, reach in _recipients(cursor.fetchall()))

    assert found == [("+6591000002", "stopped"), ("+6591000003", "not_subscribed")]


def _recipients(rows: list[tuple[int, str]]) -> list[tuple[str, str]]:
    from campaigns.models import Message

    recipients = dict(Message.objects.filter(pk__in=[r[0] for r in rows]).values_list("pk", "recipient"))
    return [(recipients[message_id], reach) for message_id, reach in rows]


@pytest.mark.parametrize(
    ("shared", "written"),
    [
        ("6591234567", "9123 4567"),
        ("+6591234567", "+65 9123-4567"),
        ("6581234567", "6581234567"),
        ("447911123456", "+44 7911 123456"),
        ("+1 (415) 555-2671", "+14155552671"),
    ],
)
def test_a_shared_contact_meets_the_uploaded_number(shared: str, written: str) -> None:
    assert shared_number(shared) == normalise_phone(written)


@pytest.mark.parametrize("raw", ["", "12", "not a number", "+99912345678901234567"])
def test_unusable_contact_numbers(raw: str) -> None:
    assert shared_number(raw) is None
