"""Telegram Bot API errors in words an officer understands, each followed by Telegram's code.

Telegram's codes are HTTP-like and broad (400 covers many causes), so its description decides
where it is specific; anything not recognised keeps Telegram's own description.
"""

from __future__ import annotations

TELEGRAM_ERRORS: dict[tuple[int, str], str] = {
    (401, ""): "Telegram does not accept this bot's token: was it revoked in @BotFather?",
    (404, ""): "Telegram does not accept this bot's token: was it revoked in @BotFather?",
    (403, "bot was blocked by the user"): "The resident blocked the bot",
    (403, "user is deactivated"): "The resident's Telegram account was deleted",
    (400, "chat not found"): "The resident has not started a chat with the bot",
    (400, "message is too long"): "The message is longer than Telegram allows (4,096 characters)",
    (429, ""): "Telegram asked for fewer messages a second; Postman tries again",
}


def telegram_words(code: int, description: str = "") -> str:
    """ "The resident blocked the bot (Telegram 403)"; Telegram's own description for others."""
    said = description.strip().rstrip(".")
    lowered = said.lower()
    reason = next(
        (words for (known, part), words in TELEGRAM_ERRORS.items() if known == code and part in lowered),
        said or "Telegram gave no reason",
    )
    return f"{reason} (Telegram {code})"
