"""The Telegram Bot API methods Postman calls, at ``/bot<token>/<method>`` (JSON or form bodies).

getMe, setWebhook, deleteWebhook, getWebhookInfo, setMyCommands, getMyCommands and sendMessage,
with Telegram's envelope (``{"ok": false, "error_code", "description", "parameters"}``):
an unknown token gets 401 Unauthorized (a malformed one 404 Not Found); sendMessage to a chat
that never talked to the bot gets 400 "chat not found", to a chat in ``telegram_blocked_chats``
403 "bot was blocked by the user", a second message to one chat within a second 429 (when
``telegram_chat_limit``), and the shared latency, throttle, error and rate settings apply as for
SES and Twilio (throttled: 429 with ``parameters.retry_after`` = ``telegram_retry_after``).
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from html.parser import HTMLParser
from typing import Any

from fake_provider.state import Call, ProviderState, Reply
from fake_provider.telegram_world import WELL_FORMED_TOKEN, FakeBot, _logged

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a", "span"}
_HTML_TAGS |= {"tg-spoiler", "tg-emoji", "blockquote"}


def telegram_call(state: ProviderState, call: Call) -> Reply:
    token, method = call.args
    bot = state.telegram.bot_for(token)
    if bot is None:
        state.count("telegram", "rejected")
        if WELL_FORMED_TOKEN.fullmatch(token) is None:
            return _error(404, "Not Found")
        return _error(401, "Unauthorized")
    handler = _METHODS.get(method.lower())
    if handler is None:
        return _error(404, "Not Found: method not found")
    return handler(state, bot, _arguments(call))


def _arguments(call: Call) -> dict[str, Any]:
    if not call.body:
        return {key: values[0] for key, values in call.query.items()}
    if (call.headers.get("Content-Type") or "").startswith("application/json"):
        parsed = json.loads(call.body)
        if not isinstance(parsed, dict):
            raise ValueError("the body must be a JSON object")
        return parsed
    form = urllib.parse.parse_qs(call.body.decode())
    return {key: _maybe_json(values[0]) for key, values in form.items()}


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _ok(result: Any, description: str | None = None) -> Reply:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return 200, body, {}


def _error(status: int, description: str, **parameters: Any) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body, {}


def get_me(state: ProviderState, bot: FakeBot, args: dict[str, Any]) -> Reply:
    return _ok(
        {
            "id": bot.id,
            "is_bot": True,
            "first_name": bot.first_name,
            "username": bot.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
    )


def set_webhook(state: ProviderState, bot: FakeBot, args: dict[str, Any]) -> Reply:
    url = str(args.get("url") or "")
    if not url:
        return delete_webhook(state, bot, args)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    secret = str(args.get("secret_token") or "")
    if secret and not _SECRET.fullmatch(secret):
        return _error(400, "Bad Request: secret token contains unallowed characters")
    bot.webhook_url, bot.secret_token = url, secret
    bot.allowed_updates = list(args.get("allowed_updates") or [])
    return _ok(True, "Webhook was set")


def delete_webhook(state: ProviderState, bot: FakeBot, args: dict[str, Any]) -> Reply:
    bot.webhook_url, bot.secret_token, bot.allowed_updates = "", "", []
    return _ok(True, "Webhook was deleted")


def get_webhook_info(state: ProviderState, bot: FakeBot, args: dict[str, Any]) -> Reply:
    info = {"url": bot.webhook_url, "has_custom_certificate": False, "pending_update_count": 0}
    if bot.allowed_updates:
        info["allowed_updates"] = bot.allowed_updates
    return _ok(info)


def set_my_commands(state: ProviderState, bot: FakeBot, args: dict[str, Any]) -> Reply:
    commands = args.get("commands")
    if not isinstance(commands, list) or not commands or len(commands) > 100:
        return _error(400, "Bad Request: commands must be a non-empty list")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command", ""))):
            return _error(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            return _error(400, "Bad Request: command description is empty or too long")
    bot.commands = [{"command": c["command"], "description": c["description"]} for c in commands]
    return _ok(True)


def get_my_commands(state: ProviderState, bot: FakeBot, args: dict[str, Any]) -> Reply:
    return _ok(bot.commands)


def send_message(state: ProviderState, bot: FakeBot, args: dict[str, Any]) -> Reply:
    problem = _send_problem(state, bot, args)
    if problem is not None:
        state.count("telegram", "rejected" if problem[0] != 429 else "throttled")
        return problem
    message_id = state.telegram.next_message_id()
    logged = _logged(bot, args, source="api", message_id=message_id)
    outcome = state.submit(logged)
    if outcome == "errored":
        return _error(500, "Internal Server Error")
    if outcome == "throttled":
        retry_after = state.config["telegram_retry_after"]
        return _error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
    state.telegram.note_sent(bot, logged["chat_id"])
    chat = {"id": logged["chat_id"], "type": "private", "first_name": "Resident"}
    sender = {"id": bot.id, "is_bot": True, "first_name": bot.first_name, "username": bot.username}
    return _ok(
        {
            "message_id": message_id,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            "text": args["text"],
        }
    )


def _send_problem(state: ProviderState, bot: FakeBot, args: dict[str, Any]) -> Reply | None:
    try:
        chat_id = int(args.get("chat_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _error(400, "Bad Request: chat not found")
    text = args.get("text")
    if not isinstance(text, str) or not text.strip():
        return _error(400, "Bad Request: message text is empty")
    if chat_id in state.config["telegram_blocked_chats"]:
        return _error(403, "Forbidden: bot was blocked by the user")
    if chat_id not in bot.chats:
        return _error(400, "Bad Request: chat not found")
    problem = _parse_problem(text) if args.get("parse_mode") == "HTML" else None
    if problem:
        return _error(400, f"Bad Request: can't parse entities: {problem}")
    if _length(text, html=args.get("parse_mode") == "HTML") > 4096:
        return _error(400, "Bad Request: message is too long")
    if state.config["telegram_chat_limit"] and state.telegram.chat_is_busy(bot, chat_id):
        return _error(429, "Too Many Requests: retry after 1", retry_after=1)
    return None


class _Entities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problem = ""
        self.text = []  # type: list[str]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS and not self.problem:
            self.problem = f'Unsupported start tag "{tag}"'
        if tag == "a" and not dict(attrs).get("href") and not self.problem:
            self.problem = "Can't find end tag corresponding to start tag a"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse_problem(text: str) -> str:
    parser = _Entities()
    parser.feed(text)
    parser.close()
    return parser.problem


def _length(text: str, *, html: bool) -> int:
    if html:
        parser = _Entities()
        parser.feed(text)
        parser.close()
        text = "".join(parser.text)
    return len(text.encode("utf-16-le")) // 2


_METHODS = {
    "getme": get_me,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "sendmessage": send_message,
}


def telegram_resident(state: ProviderState, call: Call) -> Reply:
    """``POST /_fake/telegram/residents`` {"bot", "user_id", "phone", "action", ...}: play a resident."""
    body = json.loads(call.body or b"{}")
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    resident = state.telegram.resident(
        str(body["bot"]), user_id=int(body["user_id"]), phone=str(body["phone"])
    )
    action = str(body.get("action", "start"))
    if action == "contact":
        posted = resident.share_contact(phone=body.get("contact_phone"), user_id=body.get("contact_user_id"))
    elif action in ("start", "stop", "help"):
        posted = resident.send(f"/{action}")
    elif action == "updatenumber":
        posted = resident.update_number(str(body["new_phone"]))
    elif action == "block":
        posted = resident.block()
    else:
        raise ValueError(f"unknown action {action!r}")
    return 200, {"status": posted.status, "reply": posted.reply, "update_id": posted.update["update_id"]}, {}


def telegram_bots(state: ProviderState, call: Call) -> Reply:
    """``GET /_fake/telegram/bots``: each bot the fake has seen, its webhook and commands."""
    bots = [
        {"id": b.id, "username": b.username, "webhook_url": b.webhook_url, "commands": b.commands}
        for b in state.telegram.bots()
    ]
    return 200, bots, {}
