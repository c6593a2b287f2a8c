"""At upload, not at send: which rows of a Telegram campaign can be reached through its bot.

Recipients are normalised by the SMS rules (phones.py says why they meet the numbers residents
share); reach.check_reach then judges the loaded rows for the campaign's bot with these:

- `reach_of(bot=..., numbers=...)` says, for a set of E.164 numbers at once, which are
  subscribed, which never subscribed ("Not subscribed to this bot") and which stopped or blocked
  the bot (this bot's suppression list); one query per 5,000 numbers;
- `UNREACHABLE_SQL` does the same inside PostgreSQL for rows already loaded with COPY, to mark
  them in one statement; its parameters are the campaign's id and the bot's id;
- `message_problem(text)` is the length check for a rendered message (≤ 4,096 characters).

How residents subscribe, for the upload page: `HOW_TO_SUBSCRIBE`.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from itertools import islice

from channels_telegram.models import Subscriber, SubscriberStatus, TelegramBot
from channels_telegram.templating import length_problem

CHUNK = 5000
HOW_TO_SUBSCRIBE = (
    "Residents subscribe by opening the bot's link or QR code (Telegram settings), pressing "
    "Start and tapping “Share my phone number”. Upload the list again once they have."
)


class Reach(StrEnum):
    SUBSCRIBED = "subscribed"
    NOT_SUBSCRIBED = "not_subscribed"
    STOPPED = "stopped"  # sent /stop, or blocked the bot

    @property
    def reason(self) -> str:
        return _REASONS[self]


_REASONS = {
    Reach.SUBSCRIBED: "",
    Reach.NOT_SUBSCRIBED: "Not subscribed to this bot",
    Reach.STOPPED: "Unsubscribed from this bot",
}


def reach_of(*, bot: TelegramBot, numbers: Iterable[str]) -> dict[str, Reach]:
    """Each of `numbers` (E.164) with whether this bot can reach it."""
    reach: dict[str, Reach] = {}
    pending = iter(numbers)
    while chunk := list(islice(pending, CHUNK)):
        reach.update(dict.fromkeys(chunk, Reach.NOT_SUBSCRIBED))
        rows = Subscriber.objects.filter(bot=bot, phone__in=chunk).values_list("phone", "status")
        for phone, status in rows:
            reach[phone] = Reach.SUBSCRIBED if status == SubscriberStatus.SUBSCRIBED else Reach.STOPPED
    return reach


def subscribed_numbers(*, bot: TelegramBot, numbers: Iterable[str]) -> set[str]:
    return {
        number for number, reach in reach_of(bot=bot, numbers=numbers).items() if reach is Reach.SUBSCRIBED
    }


# Loaded rows of campaign %(campaign)s, still queued, that bot %(bot)s cannot reach, with why:
# (message id, Reach value). Join the ingest's UPDATE on it.
UNREACHABLE_SQL = """
SELECT m.id, CASE WHEN s.id IS NULL THEN 'not_subscribed' ELSE 'stopped' END AS reach
FROM campaigns_message AS m
LEFT JOIN channels_telegram_subscriber AS s ON s.bot_id = %(bot)s AND s.phone = m.recipient
WHERE m.campaign_id = %(campaign)s AND m.status = 'queued'
  AND (s.id IS NULL OR s.status <> 'subscribed')
"""


def message_problem(text: str) -> str:
    """Why a rendered message cannot go, or "": over Telegram's 4,096 characters."""
    return length_problem(text)
