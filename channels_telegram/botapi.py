"""The few Bot API methods Postman calls, as plain HTTPS requests with one `requests` session.

Why not a client library: python-telegram-bot and aiogram are asyncio-only, and our workers are
synchronous Celery processes; pyTelegramBotAPI is synchronous but keeps its base URL, session and
proxy as module globals. We call five methods whose JSON is stable and simple, so a small typed
wrapper reads better and lets us control what matters here: timeouts, the per-thread session,
the structured error (`error_code`, `description`, `parameters.retry_after`), and keeping the
token, which sits in every request path, out of every error message and log line.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 15
COMMANDS = (
    ("start", "Subscribe: share your phone number"),
    ("updatenumber", "Change the phone number you receive messages for"),
    ("help", "How this bot works"),
    ("stop", "Stop receiving messages"),
)


class BotApiError(Exception):
    """Telegram answered ok=false: its code and description, and how long to wait on a 429."""

    def __init__(self, code: int, description: str, retry_after: float = 0.0) -> None:
        super().__init__(f"{description} (error {code})")
        self.code = code
        self.description = description
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.code >= 500 or self.code == 429


class BotApiUnreachable(Exception):
    """No usable answer: connection refused, timed out, or not Telegram's JSON.

    The text names the kind of failure only: requests' own messages quote the URL, which holds
    the token.
    """


_local = threading.local()


def _session() -> requests.Session:
    # requests.Session is not thread-safe; each sending thread keeps its own connections open.
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False  # never route bot tokens through a proxy from the environment
        _local.session = session
    return session


@dataclass(frozen=True)
class Bot:
    """A decrypted token for one use; `repr` leaves it out of any traceback."""

    token: str

    def __repr__(self) -> str:
        return "Bot(token=…)"

    @sensitive_variables("url")
    def call(self, method: str, payload: dict[str, Any] | None = None) -> Any:
        url = f"{settings.TELEGRAM_API_BASE_URL}/bot{self.token}/{method}"
        try:
            response = _session().post(url, json=payload or {}, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
            body = response.json()
        except requests.RequestException as error:
            raise BotApiUnreachable(f"Telegram could not be reached ({type(error).__name__}).") from None
        except ValueError:
            raise BotApiUnreachable(f"Telegram answered HTTP {response.status_code} without JSON.") from None
        if not isinstance(body, dict):
            raise BotApiUnreachable(f"Telegram answered HTTP {response.status_code} with odd JSON.")
        if body.get("ok") is True:
            return body.get("result")
        parameters = body.get("parameters")
        if not isinstance(parameters, dict):
            parameters = {}
        raise BotApiError(
            int(body.get("error_code") or response.status_code),
            str(body.get("description") or "No description"),
            float(parameters.get("retry_after") or 0),
        )

    def get_me(self) -> dict[str, Any]:
        result = self.call("getMe")
        if not isinstance(result, dict) or not isinstance(result.get("id"), int):
            raise BotApiUnreachable("Telegram's answer to getMe had no bot in it.")
        return result

    def set_webhook(self, *, url: str, secret_token: str) -> None:
        self.call(
            "setWebhook",
            {
                "url": url,
                "secret_token": secret_token,
                # Messages for subscriptions; my_chat_member tells us when a resident blocks the
                # bot, so the next upload knows before anything is sent.
                "allowed_updates": ["message", "my_chat_member"],
            },
        )

    def delete_webhook(self) -> None:
        self.call("deleteWebhook")

    def set_commands(self) -> None:
        commands = [{"command": name, "description": text} for name, text in COMMANDS]
        self.call("setMyCommands", {"commands": commands})

    def send_message(self, *, chat_id: int, text: str) -> dict[str, Any]:
        result = self.call(
            "sendMessage",
            {
                "chat_id": chat_id,
                "text": text,
                "parse_mode": "HTML",
                # A preview makes Telegram fetch the link; a personal link (a result, a form)
                # should be opened only by its recipient.
                "link_preview_options": {"is_disabled": True},
            },
        )
        if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
            raise BotApiUnreachable("Telegram's answer to sendMessage had no message in it.")
        return result
