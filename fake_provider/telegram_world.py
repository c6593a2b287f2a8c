"""The Telegram side the fake plays: bots, their webhooks and chats, and residents who talk to them.

A test plays residents with ``fake.telegram.resident("clinic_bot", user_id=..., phone=...)``:
``start()``, ``share_contact()`` (their own, or someone else's), ``stop()``, ``update_number()``,
``block()``. Each posts a real update to the webhook the bot registered, with its secret token,
as Telegram would, and returns what our server answered. A method in that answer (a reply) is
logged like a sent message with ``"source": "webhook"``. The same is reachable over HTTP at
``POST /_fake/telegram/residents`` for scripts and manual runs.
"""

from __future__ import annotations

import http.client
import itertools
import json
import re
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fake_provider.state import ProviderState

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
WELL_FORMED_TOKEN = re.compile(r"(\d{3,20}):[A-Za-z0-9_-]{30,64}")


@dataclass
class FakeBot:
    id: int
    username: str
    first_name: str
    webhook_url: str = ""
    secret_token: str = ""
    allowed_updates: list[str] = field(default_factory=list)
    commands: list[dict[str, str]] = field(default_factory=list)
    chats: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Posted:
    """An update posted to a bot's webhook and our server's answer to it."""

    update: dict[str, Any]
    status: int
    reply: dict[str, Any] | None


class TelegramWorld:
    def __init__(self, state: ProviderState) -> None:
        self._state = state
        self._lock = threading.Lock()
        self._bots: dict[str, FakeBot] = {}  # by token
        self._last_to_chat: dict[tuple[int, int], float] = {}
        self._update_ids = itertools.count(700_000_001)
        self._message_ids = itertools.count(1)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # --- bots, as the Bot API sees them ---------------------------------------------------
    def bot_for(self, token: str) -> FakeBot | None:
        """The bot a token belongs to, or None: configured tokens, else any well-formed one."""
        configured = self._state.config["telegram_bots"]
        match = WELL_FORMED_TOKEN.fullmatch(token)
        if (configured and token not in configured) or (not configured and match is None):
            return None
        with self._lock:
            bot = self._bots.get(token)
            if bot is None:
                info = configured.get(token) or {
                    "id": int(match[1]) if match else 0,
                    "username": f"bot{match[1] if match else 0}_bot",
                    "first_name": "Fake bot",
                }
                bot = self._bots[token] = FakeBot(info["id"], info["username"], info["first_name"])
            return bot

    def next_message_id(self) -> int:
        return next(self._message_ids)

    def chat_is_busy(self, bot: FakeBot, chat_id: int) -> bool:
        """True if this bot sent to this chat less than a second ago."""
        with self._lock:
            last = self._last_to_chat.get((bot.id, chat_id))
        return last is not None and time.monotonic() - last < 1.0

    def note_sent(self, bot: FakeBot, chat_id: int) -> None:
        with self._lock:
            self._last_to_chat[(bot.id, chat_id)] = time.monotonic()

    def block_chat(self, chat_id: int) -> None:
        blocked = self._state.config["telegram_blocked_chats"]
        self._state.configure({"telegram_blocked_chats": [*blocked, chat_id]})

    def bots(self) -> list[FakeBot]:
        with self._lock:
            return list(self._bots.values())

    def bot_named(self, username: str) -> tuple[str, FakeBot]:
        for token, info in self._state.config["telegram_bots"].items():
            if info["username"].lower() == username.lower():
                bot = self.bot_for(token)
                assert bot is not None
                return token, bot
        with self._lock:
            for token, bot in self._bots.items():
                if bot.username.lower() == username.lower():
                    return token, bot
        raise ValueError(f"no bot called @{username}")

    # --- residents --------------------------------------------------------------------------
    def resident(self, bot: str, *, user_id: int, phone: str, first_name: str = "Resident") -> Resident:
        token, _ = self.bot_named(bot)
        return Resident(self, token, user_id=user_id, phone=phone, first_name=first_name)

    def post_update(self, token: str, update: dict[str, Any], *, secret: str | None = None) -> Posted:
        """Post ``update`` to the bot's webhook, with its secret unless ``secret`` is given."""
        bot = self.bot_for(token)
        if bot is None or not bot.webhook_url:
            raise ValueError("that bot has no webhook")
        update.setdefault("update_id", next(self._update_ids))
        chat = _chat_of(update)
        if chat is not None:
            with self._lock:
                bot.chats.add(chat)  # the resident has opened a chat with the bot
        status, reply = self._post(bot, update, bot.secret_token if secret is None else secret)
        if reply and reply.get("method") == "sendMessage":
            self._state.record(_logged(bot, reply, source="webhook", message_id=self.next_message_id()))
        return Posted(update, status, reply)

    def _post(self, bot: FakeBot, update: dict[str, Any], secret: str) -> tuple[int, dict[str, Any] | None]:
        parts = urllib.parse.urlsplit(bot.webhook_url)
        if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK_HOSTS:
            # The fake must never become a way to make requests to other hosts.
            raise ValueError("the fake posts updates to loopback webhooks only")
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(bot.webhook_url, data=json.dumps(update).encode(), headers=headers)  # noqa: S310
        try:
            with self._opener.open(request, timeout=10) as response:
                return response.status, _json_or_none(response.read())
        except urllib.error.HTTPError as error:
            return error.code, None
        except (OSError, http.client.HTTPException):
            return 0, None


class Resident:
    """A Telegram user in a private chat with one bot; their chat id is their user id."""

    def __init__(
        self, world: TelegramWorld, token: str, *, user_id: int, phone: str, first_name: str
    ) -> None:
        self.world, self.token = world, token
        self.user_id, self.phone, self.first_name = user_id, phone, first_name

    def _user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.first_name}

    def _message(self, **content: Any) -> dict[str, Any]:
        chat = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        message = {"message_id": self.world.next_message_id(), "from": self._user(), "chat": chat}
        return {"message": message | {"date": int(time.time())} | content}

    def send(self, text: str) -> Posted:
        entities = (
            [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text[:1] == "/" else []
        )
        return self.world.post_update(self.token, self._message(text=text, entities=entities))

    def start(self) -> Posted:
        return self.send("/start")

    def stop(self) -> Posted:
        return self.send("/stop")

    def share_contact(self, *, phone: str | None = None, user_id: int | None = None) -> Posted:
        """Share a contact: by default the resident's own; give ``user_id`` to share someone else's."""
        owner = self.user_id if user_id is None else user_id
        contact = {
            "phone_number": (phone or self.phone).lstrip("+"),
            "first_name": self.first_name,
            "user_id": owner,
        }
        return self.world.post_update(self.token, self._message(contact=contact))

    def update_number(self, phone: str) -> Posted:
        self.send("/updatenumber")
        self.phone = phone
        return self.share_contact()

    def block(self) -> Posted:
        """Block the bot: later sends to this chat get 403, and the bot hears of it at once."""
        self.world.block_chat(self.user_id)
        chat = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        update = {
            "my_chat_member": {
                "chat": chat,
                "from": self._user(),
                "date": int(time.time()),
                "old_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True}},
                "new_chat_member": {"status": "kicked", "user": {"id": 1, "is_bot": True}, "until_date": 0},
            }
        }
        return self.world.post_update(self.token, update)


def _chat_of(update: dict[str, Any]) -> int | None:
    for kind in ("message", "my_chat_member"):
        chat = (update.get(kind) or {}).get("chat") or {}
        if isinstance(chat.get("id"), int):
            return int(chat["id"])
    return None


def _json_or_none(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data) if data else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _logged(bot: FakeBot, call: dict[str, Any], *, source: str, message_id: int) -> dict[str, Any]:
    chat_id = int(call.get("chat_id") or 0)
    return {
        "channel": "telegram",
        "source": source,
        "id": f"{chat_id}:{message_id}",
        "bot": bot.username,
        "chat_id": chat_id,
        "text": str(call.get("text") or ""),
        "parse_mode": call.get("parse_mode"),
        "reply_markup": call.get("reply_markup"),
        "at": None,
    }
