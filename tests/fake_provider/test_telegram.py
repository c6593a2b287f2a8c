"""The fake Bot API: Telegram's envelope and errors, the JSONL log, and residents posting updates."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from fake_provider.server import FakeProvider

TOKEN = "7000000001:AAHclinicbot-0000000000000000000abcd"
BOT = {TOKEN: {"id": 7000000001, "username": "clinic_bot", "first_name": "Clinic"}}


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeProvider]:
    with FakeProvider(seed=1, log_path=tmp_path / "log.jsonl", telegram_bots=BOT) as provider:
        yield provider


def call(fake: FakeProvider, method: str, token: str = TOKEN, **payload: Any) -> tuple[int, dict[str, Any]]:
    response = requests.post(f"{fake.url}/bot{token}/{method}", json=payload, timeout=5)
    return response.status_code, response.json()


class Webhook(BaseHTTPRequestHandler):
    """Our server's part: records updates and answers /start with a reply method."""

    received: list[tuple[dict[str, Any], str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Webhook.received.append((body, self.headers.get("X-Telegram-Bot-Api-Secret-Token", "")))
        text = (body.get("message") or {}).get("text")
        reply = (
            {"method": "sendMessage", "chat_id": body["message"]["chat"]["id"], "text": "Welcome"}
            if text == "/start"
            else None
        )
        data = json.dumps(reply).encode() if reply else b""
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    Webhook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook/"
    server.shutdown()
    server.server_close()


def test_get_me_answers_for_a_known_token_only(fake: FakeProvider) -> None:
    assert call(fake, "getMe") == (
        200,
        {
            "ok": True,
            "result": {
                "id": 7000000001,
                "is_bot": True,
                "first_name": "Clinic",
                "username": "clinic_bot",
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            },
        },
    )
    unknown = "7000000009:AAHsomeoneelse-00000000000000000000000"
    assert call(fake, "getMe", token=unknown) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert call(fake, "getMe", token="nonsense") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )


def test_webhook_and_commands_are_kept(fake: FakeProvider) -> None:
    assert call(fake, "setWebhook", url="https://x.example/hook", secret_token="s3cret_-") == (
        200,
        {"ok": True, "result": True, "description": "Webhook was set"},
    )
    assert call(fake, "setWebhook", url="https://x", secret_token="bad secret!")[0] == 400
    commands = [{"command": "start", "description": "Subscribe"}]
    assert call(fake, "setMyCommands", commands=commands)[1]["result"] is True
    assert call(fake, "setMyCommands", commands=[{"command": "Bad-One", "description": "x"}])[0] == 400

    assert call(fake, "getWebhookInfo")[1]["result"]["url"] == "https://x.example/hook"
    assert call(fake, "getMyCommands")[1]["result"] == commands
    assert call(fake, "deleteWebhook")[1] == {
        "ok": True,
        "result": True,
        "description": "Webhook was deleted",
    }
    assert call(fake, "getWebhookInfo")[1]["result"]["url"] == ""


def test_residents_post_updates_with_the_secret_and_replies_are_logged(
    fake: FakeProvider, webhook: str
) -> None:
    call(fake, "setWebhook", url=webhook, secret_token="the-secret")
    resident = fake.telegram.resident("clinic_bot", user_id=501, phone="+6591234567")

    started = resident.start()
    shared = resident.share_contact()
    other = resident.share_contact(phone="+6598765432", user_id=777)

    assert [(u["message"].get("text"), s) for u, s in Webhook.received] == [
        ("/start", "the-secret"),
        (None, "the-secret"),
        (None, "the-secret"),
    ]
    assert shared.update["message"]["contact"] == {
        "phone_number": "6591234567",
        "first_name": "Resident",
        "user_id": 501,
    }
    assert other.update["message"]["contact"]["user_id"] == 777
    assert started.update["update_id"] < shared.update["update_id"] < other.update["update_id"]
    assert started.status == 200 and started.reply == {
        "method": "sendMessage",
        "chat_id": 501,
        "text": "Welcome",
    }
    [logged] = fake.messages("telegram")
    assert (logged["source"], logged["chat_id"], logged["text"]) == ("webhook", 501, "Welcome")


def test_send_message_reaches_only_chats_that_wrote_first(
    fake: FakeProvider, webhook: str, tmp_path: Path
) -> None:
    call(fake, "setWebhook", url=webhook, secret_token="s")
    fake.telegram.resident("clinic_bot", user_id=501, phone="+6591234567").start()
    fake.reset()

    ok = call(fake, "sendMessage", chat_id=501, text="<b>Hi</b>", parse_mode="HTML")
    unknown = call(fake, "sendMessage", chat_id=999, text="Hi")

    assert ok[0] == 200 and ok[1]["result"]["chat"]["id"] == 501 and ok[1]["result"]["text"] == "<b>Hi</b>"
    assert unknown == (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [(m["bot"], m["chat_id"], m["text"]) for m in lines if m["source"] == "api"] == [
        ("clinic_bot", 501, "<b>Hi</b>")
    ]


def test_send_message_errors_are_telegrams(fake: FakeProvider, webhook: str) -> None:
    call(fake, "setWebhook", url=webhook, secret_token="s")
    for user in (501, 502, 503):
        fake.telegram.resident("clinic_bot", user_id=user, phone="+6591234567").start()

    fake.telegram.block_chat(502)
    blocked = call(fake, "sendMessage", chat_id=502, text="Hi")
    bad_html = call(fake, "sendMessage", chat_id=501, text="<p>Hi</p>", parse_mode="HTML")
    too_long = call(fake, "sendMessage", chat_id=501, text="x" * 4097)
    first = call(fake, "sendMessage", chat_id=503, text="one")
    second = call(fake, "sendMessage", chat_id=503, text="two")
    fake.configure(throttle_rate=1.0, telegram_retry_after=9)
    throttled = call(fake, "sendMessage", chat_id=501, text="Hi")
    fake.configure(throttle_rate=0.0, error_rate=1.0)
    errored = call(fake, "sendMessage", chat_id=501, text="Hi")

    assert blocked == (
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )
    assert bad_html[1]["description"] == 'Bad Request: can\'t parse entities: Unsupported start tag "p"'
    assert too_long[1]["description"] == "Bad Request: message is too long"
    assert first[0] == 200
    assert second == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )
    assert throttled[1]["parameters"] == {"retry_after": 9}
    assert errored == (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})


def test_resident_endpoint_plays_a_resident_over_http(fake: FakeProvider, webhook: str) -> None:
    call(fake, "setWebhook", url=webhook, secret_token="s")

    response = requests.post(
        f"{fake.url}/_fake/telegram/residents",
        json={"bot": "clinic_bot", "user_id": 501, "phone": "+6591234567", "action": "start"},
        timeout=5,
    )

    assert response.json()["status"] == 200
    assert response.json()["reply"]["text"] == "Welcome"
    assert requests.get(f"{fake.url}/_fake/telegram/bots", timeout=5).json()[0]["webhook_url"] == webhook


def test_updates_go_to_loopback_webhooks_only(fake: FakeProvider) -> None:
    call(fake, "setWebhook", url="https://example.com/hook", secret_token="s")

    with pytest.raises(ValueError, match="loopback webhooks only"):
        fake.telegram.resident("clinic_bot", user_id=1, phone="+6591234567").start()
