"""Shared state of the fake provider: config, message log, counters, callbacks.

Stdlib only; every handler thread of the server reads and writes through
``ProviderState``. The accepted config keys are those of ``DEFAULT_CONFIG``.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import random
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO, Any

from fake_provider.ses_identities import checked_identities
from fake_provider.telegram_world import TelegramWorld

DEFAULT_CONFIG: dict[str, Any] = {
    "latency_ms": 0.0,  # added to every provider call
    "throttle_rate": 0.0,  # fraction of calls answered "too many requests"
    "error_rate": 0.0,  # fraction of calls answered with a transient 500
    "max_rate_per_second": None,  # accepted calls per 1-second window, like SES
    # SES: addresses answered MessageRejected (SendEmail) or MESSAGE_REJECTED (a bulk entry).
    "ses_rejected_addresses": [],
    "ses_bulk_call_failures": 0,  # the next N SendBulkEmail calls fail whole with a 500
    # Off: logged emails keep addresses and times but not subject, text or html (long benchmarks).
    "keep_bodies": True,
    "twilio_error_numbers": {},  # To number -> error code, answered 400
    "twilio_failed_numbers": {},  # To number -> ErrorCode of a "failed" callback
    "twilio_callbacks": True,
    "callback_delay_ms": 50.0,
    "twilio_auth_tokens": {},  # account SID -> token used to sign callbacks
    # Bot token -> {"id", "username", "first_name"}; empty: every well-formed token is a bot.
    "telegram_bots": {},
    "telegram_blocked_chats": [],  # chat ids whose user blocked the bot: sendMessage gets 403
    "telegram_retry_after": 3,  # seconds in a throttled call's parameters.retry_after
    "telegram_chat_limit": True,  # a second message to one chat within 1 s gets 429, like Telegram
    "seed": None,
    # SES identity (address or domain) -> {"verified": bool, "dkim": status}: see ses_identities.py
    "ses_identities": {},
}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
Reply = tuple[int, Any, dict[str, str]]


@dataclass(frozen=True)
class Call:
    args: tuple[str, ...]
    query: dict[str, list[str]]
    headers: Message
    body: bytes


@dataclass(frozen=True)
class StatusCallback:
    url: str
    token: str
    posts: list[dict[str, str]]


class CallbackDispatcher:
    """Posts Twilio status callbacks from a few worker threads once they are due.

    A heap ordered by due time serves thousands of pending callbacks without a
    timer thread per message, and keeps sending off the request path.
    """

    def __init__(self, count: Callable[[str], None], workers: int = 4) -> None:
        self._count = count
        self._heap: list[tuple[float, int, StatusCallback]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        # Loopback only: a developer's HTTP(S)_PROXY must not swallow callbacks.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        for n in range(workers):
            threading.Thread(target=self._run, name=f"fake-callbacks-{n}", daemon=True).start()

    def schedule(self, delay_s: float, callback: StatusCallback) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._order), callback))
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def _run(self) -> None:
        while (callback := self._next_due()) is not None:
            for params in callback.posts:
                self._count("sent" if self._post(callback, params) else "failed")

    def _next_due(self) -> StatusCallback | None:
        with self._cond:
            while not self._stopped:
                if self._heap and self._heap[0][0] <= time.monotonic():
                    return heapq.heappop(self._heap)[2]
                self._cond.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
            return None

    def _post(self, callback: StatusCallback, params: dict[str, str]) -> bool:
        # Imported late so the server still runs where twilio is not installed.
        from twilio.request_validator import RequestValidator

        signature = RequestValidator(callback.token).compute_signature(callback.url, params)
        # schedule_callbacks let only http://loopback URLs get this far.
        request = urllib.request.Request(  # noqa: S310
            callback.url,
            data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"},
        )
        try:
            with self._opener.open(request, timeout=5) as response:
                response.read()
        except (OSError, ValueError, http.client.HTTPException):
            return False
        return True


class ProviderState:
    """Config, message log and counters shared by every handler thread."""

    def __init__(self, log_path: str | Path | None = None) -> None:
        self.config: dict[str, Any] = merged_config(DEFAULT_CONFIG, {})
        self._lock = threading.Lock()
        self._rng = random.Random()
        self._messages: list[dict[str, Any]] = []
        self._stats = _empty_stats()
        self._window = (0.0, 0)  # (start, accepted) of the max_rate_per_second window
        self._dispatcher: CallbackDispatcher | None = None
        self._log: IO[str] | None = None
        self.telegram = TelegramWorld(self)
        if log_path:
            Path(log_path).parent.mkdir(parents=True, exist_ok=True)
            self._log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def configure(self, updates: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            config = merged_config(self.config, updates)
            self.config = config  # swapped whole, so handlers read a consistent snapshot
            if "seed" in updates:
                self._rng.seed(config["seed"])
        return config

    def reset(self) -> None:
        with self._lock:
            self._messages.clear()
            self._stats = _empty_stats()
            self._window = (0.0, 0)
            self._rng.seed(self.config["seed"])

    def submit(self, message: dict[str, Any]) -> str | None:
        """Accept and log ``message``, or return "errored"/"throttled" to refuse it."""
        config = self.config
        with self._lock:
            outcome = self._draw_outcome(config)
            self._stats[message["channel"]][outcome or "accepted"] += 1
            if outcome is None:
                self._append(message)
        return outcome

    def submit_many(self, messages: list[dict[str, Any]]) -> list[str | None]:
        """``submit`` for each of ``messages`` under one lock: a bulk call's entries, each drawn
        and counted against ``max_rate_per_second`` on its own."""
        config = self.config
        outcomes: list[str | None] = []
        with self._lock:
            for message in messages:
                outcome = self._draw_outcome(config)
                self._stats[message["channel"]][outcome or "accepted"] += 1
                if outcome is None:
                    self._append(message)
                outcomes.append(outcome)
        return outcomes

    def take_bulk_call_failure(self) -> bool:
        """True (and one fewer to come) while ``ses_bulk_call_failures`` asks for failing calls."""
        with self._lock:
            left = self.config["ses_bulk_call_failures"]
            if left <= 0:
                return False
            self.config = {**self.config, "ses_bulk_call_failures": left - 1}
            self._stats["email"]["errored"] += 1
            return True

    def record(self, message: dict[str, Any]) -> None:
        """Log ``message`` as sent, with no throttling or errors drawn (a webhook's reply)."""
        with self._lock:
            self._append(message)

    def _append(self, message: dict[str, Any]) -> None:
        message["at"] = time.time()
        if not self.config["keep_bodies"]:
            for key in ("subject", "text", "html"):
                message.pop(key, None)
        self._messages.append(message)
        if self._log is not None:
            self._log.write(json.dumps(message) + "\n")
            self._log.flush()

    def _draw_outcome(self, config: dict[str, Any]) -> str | None:
        if config["error_rate"] and self._rng.random() < config["error_rate"]:
            return "errored"
        if config["throttle_rate"] and self._rng.random() < config["throttle_rate"]:
            return "throttled"
        limit = config["max_rate_per_second"]
        if limit is not None:
            start, used = self._window
            now = time.monotonic()
            if now - start >= 1.0:
                start, used = now, 0
            if used >= limit:
                return "throttled"
            self._window = (start, used + 1)
        return None

    def count(self, group: str, outcome: str) -> None:
        with self._lock:
            self._stats[group][outcome] += 1

    def messages(self, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return self._messages[since:]

    def stats(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {group: dict(counts) for group, counts in self._stats.items()}

    def schedule_callbacks(self, url: str, token: str, posts: list[dict[str, str]]) -> None:
        """Post each of ``posts`` to ``url`` in order, after ``callback_delay_ms``."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
            # The fake must never become a way to make requests to other hosts.
            self.count("callbacks", "refused")
            return
        with self._lock:
            if self._dispatcher is None:
                self._dispatcher = CallbackDispatcher(self._count_callback)
        delay_s = self.config["callback_delay_ms"] / 1000
        self._dispatcher.schedule(delay_s, StatusCallback(url, token, posts))

    def _count_callback(self, outcome: str) -> None:
        self.count("callbacks", outcome)

    def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.stop()
        if self._log is not None:
            self._log.close()


def merged_config(current: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    """Validate ``updates`` over ``current``; raise ValueError naming the bad key."""
    unknown = sorted(set(updates) - set(DEFAULT_CONFIG))
    if unknown:
        raise ValueError(f"unknown config keys: {', '.join(unknown)}")
    config = {**current, **updates}
    try:
        for key in ("latency_ms", "callback_delay_ms", "throttle_rate", "error_rate"):
            config[key] = float(config[key])
            if config[key] < 0 or (key.endswith("_rate") and config[key] > 1):
                raise ValueError(f"{key} out of range")
        if config["max_rate_per_second"] is not None:
            config["max_rate_per_second"] = int(config["max_rate_per_second"])
        for key in ("twilio_error_numbers", "twilio_failed_numbers"):
            config[key] = {str(number): int(code) for number, code in dict(config[key]).items()}
        config["twilio_auth_tokens"] = {str(k): str(v) for k, v in dict(config["twilio_auth_tokens"]).items()}
        config["twilio_callbacks"] = bool(config["twilio_callbacks"])
        config["keep_bodies"] = bool(config["keep_bodies"])
        config["ses_rejected_addresses"] = [str(address) for address in config["ses_rejected_addresses"]]
        config["ses_bulk_call_failures"] = int(config["ses_bulk_call_failures"])
        config["telegram_bots"] = {
            str(token): _bot_info(info) for token, info in dict(config["telegram_bots"]).items()
        }
        config["telegram_blocked_chats"] = [int(chat) for chat in config["telegram_blocked_chats"]]
        config["telegram_retry_after"] = int(config["telegram_retry_after"])
        config["telegram_chat_limit"] = bool(config["telegram_chat_limit"])
        config["ses_identities"] = checked_identities(config["ses_identities"])
        if not isinstance(config["seed"], int | str | None):
            raise ValueError("seed must be an integer, a string or null")
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"bad config: {exc!s}") from exc
    return config


def _bot_info(info: Any) -> dict[str, Any]:
    info = dict(info)
    return {"id": int(info["id"]), "username": str(info["username"]), "first_name": str(info["first_name"])}


def _empty_stats() -> dict[str, dict[str, int]]:
    per_channel = dict.fromkeys(("accepted", "throttled", "errored", "rejected"), 0)
    callbacks = dict.fromkeys(("sent", "failed", "refused"), 0)
    return {
        "email": dict(per_channel),
        "sms": dict(per_channel),
        "telegram": dict(per_channel),
        "callbacks": callbacks,
    }
