"""The fake provider HTTP server and its in-process test handle, ``FakeProvider``.

Routes (JSON in and out unless noted):

- ``POST /v2/email/outbound-emails``, ``POST /v2/email/outbound-bulk-emails`` and
  ``GET /v2/email/account``: SES v2 (``ses.py``)
- ``GET /v2/email/identities/{identity}``: SES v2 GetEmailIdentity (``ses_identities.py``)
- ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (form) and
  ``GET /2010-04-01/Accounts/{sid}.json``: Twilio (``twilio_api.py``)
- ``POST|GET /bot<token>/<method>``: the Telegram Bot API (``telegram_api.py``)
- ``POST /_fake/telegram/residents``, ``GET /_fake/telegram/bots``: play residents, see bots
  (``telegram_world.py``)
- ``GET /_fake/messages?since=N``: logged messages from index N on (a JSON list)
- ``DELETE /_fake/messages``: forget messages and counters
- ``GET /_fake/stats``: accepted/throttled/errored/rejected per channel, callbacks
- ``GET|POST|DELETE /_fake/config``: read, update (JSON object), restore defaults

How to point boto3 and twilio here is in the package docstring.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from fake_provider.ses import ses_get_account, ses_send_bulk_email, ses_send_email
from fake_provider.ses_identities import ses_get_email_identity
from fake_provider.state import DEFAULT_CONFIG, Call, ProviderState, Reply
from fake_provider.telegram_api import telegram_bots, telegram_call, telegram_resident
from fake_provider.telegram_world import TelegramWorld
from fake_provider.twilio_api import twilio_create_message, twilio_fetch_account

Route = Callable[[ProviderState, Call], Reply]


def list_messages(state: ProviderState, call: Call) -> Reply:
    since = int(call.query.get("since", ["0"])[0])
    return 200, state.messages(since), {}


def reset_messages(state: ProviderState, call: Call) -> Reply:
    state.reset()
    return 200, {"reset": True}, {}


def show_stats(state: ProviderState, call: Call) -> Reply:
    return 200, state.stats(), {}


def show_config(state: ProviderState, call: Call) -> Reply:
    return 200, state.config, {}


def update_config(state: ProviderState, call: Call) -> Reply:
    updates = json.loads(call.body or b"{}")
    if not isinstance(updates, dict):
        raise ValueError("config must be a JSON object")
    return 200, state.configure(updates), {}


def restore_config(state: ProviderState, call: Call) -> Reply:
    return 200, state.configure(DEFAULT_CONFIG), {}


ROUTES: list[tuple[str, re.Pattern[str], Route]] = [
    ("POST", re.compile(r"/v2/email/outbound-emails"), ses_send_email),
    ("POST", re.compile(r"/v2/email/outbound-bulk-emails"), ses_send_bulk_email),
    ("GET", re.compile(r"/v2/email/account"), ses_get_account),
    ("GET", re.compile(r"/v2/email/identities/([^/]+)"), ses_get_email_identity),
    ("POST", re.compile(r"/2010-04-01/Accounts/(\w+)/Messages\.json"), twilio_create_message),
    ("GET", re.compile(r"/2010-04-01/Accounts/(\w+)\.json"), twilio_fetch_account),
    ("POST", re.compile(r"/bot([^/]+)/(\w+)"), telegram_call),
    ("GET", re.compile(r"/bot([^/]+)/(\w+)"), telegram_call),
    ("POST", re.compile(r"/_fake/telegram/residents"), telegram_resident),
    ("GET", re.compile(r"/_fake/telegram/bots"), telegram_bots),
    ("GET", re.compile(r"/_fake/messages"), list_messages),
    ("DELETE", re.compile(r"/_fake/messages"), reset_messages),
    ("GET", re.compile(r"/_fake/stats"), show_stats),
    ("GET", re.compile(r"/_fake/config"), show_config),
    ("POST", re.compile(r"/_fake/config"), update_config),
    ("DELETE", re.compile(r"/_fake/config"), restore_config),
]


def find_route(method: str, path: str) -> tuple[Route, tuple[str, ...]] | None:
    for route_method, pattern, route in ROUTES:
        match = pattern.fullmatch(path)
        if match and route_method == method:
            return route, match.groups()
    return None


class FakeProviderHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 with exact Content-Length lets boto3/requests keep connections alive.
    protocol_version = "HTTP/1.1"
    server_version = "FakeProvider/1.0"
    # Headers and body are separate writes; with Nagle on, each reply waits ~40 ms.
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections give their thread back eventually
    server: FakeProviderServer

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: a log line per request would cost more than the request."""

    def _dispatch(self, method: str) -> None:
        parts = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        found = find_route(method, parts.path)
        if found is None:
            self._reply(404, {"message": f"No route for {method} {parts.path}"}, {})
            return
        route, args = found
        state = self.server.state
        if not parts.path.startswith("/_fake/") and state.config["latency_ms"]:
            time.sleep(state.config["latency_ms"] / 1000)
        call = Call(args, urllib.parse.parse_qs(parts.query), self.headers, body)
        try:
            self._reply(*route(state, call))
        except ValueError as exc:
            self._reply(400, {"message": str(exc)}, {})
        except Exception as exc:
            traceback.print_exc()
            self._reply(500, {"message": f"fake provider bug: {exc!r}"}, {})

    def _reply(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class FakeProviderServer(ThreadingHTTPServer):
    daemon_threads = True
    # Many workers opening keep-alive connections at once overflow the default 5.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], state: ProviderState) -> None:
        self.state = state
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, FakeProviderHandler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.discard(request)

    def close_connections(self) -> None:
        """Cut kept-alive client connections so a stopped server really stops answering."""
        with self._open_lock:
            open_sockets = list(self._open)
        for sock in open_sockets:
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients dropping keep-alive connections is routine, not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeProvider:
    """The fake server on a background thread, for tests and scripts.

    ``with FakeProvider(latency_ms=5) as fake: ...`` binds a free loopback port
    (unless ``port`` is given); ``fake.url`` is the endpoint for boto3/twilio.
    A stopped provider cannot be started again.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: str | Path | None = None,
        **config: Any,
    ) -> None:
        self.host = host
        self.port = port
        self.state = ProviderState(log_path)
        self.state.configure(config)
        self._server: FakeProviderServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeProvider:
        self._server = FakeProviderServer((self.host, self.port), self.state)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join()
        self.state.close()
        self._server = None

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.state.messages() if channel is None or m["channel"] == channel]

    def stats(self) -> dict[str, dict[str, int]]:
        return self.state.stats()

    def reset(self) -> None:
        self.state.reset()

    def configure(self, **config: Any) -> dict[str, Any]:
        return self.state.configure(config)

    @property
    def telegram(self) -> TelegramWorld:
        """Bots, webhooks and chats; ``.resident(...)`` plays a resident talking to a bot."""
        return self.state.telegram

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(host: str = "127.0.0.1", port: int = 8025, log_path: str | Path | None = None) -> None:
    """Run in the foreground until interrupted (``python -m fake_provider``, manage.py)."""
    state = ProviderState(log_path)
    with FakeProviderServer((host, port), state) as server:
        print(f"Fake SES/Twilio/Telegram provider on http://{host}:{port}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            state.close()
