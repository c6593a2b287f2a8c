"""Telegram's answers in words an officer understands, Telegram's code after them."""

from __future__ import annotations

import pytest

from channels_telegram.errors import telegram_words


@pytest.mark.parametrize(
    ("code", "description", "words"),
    [
        (
            401,
            "Unauthorized",
            "Telegram does not accept this bot's token: was it revoked in @BotFather? (Telegram 401)",
        ),
        (403, "Forbidden: user is deactivated", "The resident's Telegram account was deleted (Telegram 403)"),
        (
            400,
            "Bad Request: message is too long",
            "The message is longer than Telegram allows (4,096 characters) (Telegram 400)",
        ),
        # Telegram's 400 covers many causes: one not in the table keeps Telegram's description.
        (400, "Bad Request: something else.", "Bad Request: something else (Telegram 400)"),
        (502, "", "Telegram gave no reason (Telegram 502)"),
    ],
)
def test_telegram_words_say_the_reason_then_the_code(code: int, description: str, words: str) -> None:
    assert telegram_words(code, description) == words
