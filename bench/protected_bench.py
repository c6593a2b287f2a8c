"""Password-protected email: encrypting 10,000 rows in headless Chromium, and /p/<id>/unlock under load.

Encryption runs the officer page's own worker.js and crypto.js, in as many workers as the browser
reports cores (as protect.js does), on rows shaped like a test result. The unlock load is many
clients (each its own X-Forwarded-For address behind one trusted proxy) against gunicorn, with
mostly right and some wrong answers spread over many messages.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

from bench.send_bench import free_port
from bench.setup import ROOT, reset_data

CHROMIUM = "/usr/bin/chromium"
STATIC = ROOT / "static" / "js" / "protected"
MESSAGE = "<p>Dear patient, your blood test of 1 March: <strong>{0}</strong>. Reference {1}.</p>" * 3
POOL_SCRIPT = """async ({ rows, iterations, chunk }) => {
  const started = performance.now();
  const count = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));
  let next = 0, done = 0;
  await new Promise((resolve, reject) => {
    const feed = (worker) => {
      if (next >= rows.length) return;
      worker.postMessage({ rows: rows.slice(next, next + chunk), iterations });
      next += chunk;
    };
    for (let i = 0; i < count; i += 1) {
      const worker = new Worker("worker.js");
      worker.onmessage = (event) => {
        done += event.data.done.length;
        if (done === rows.length) resolve(); else feed(worker);
      };
      worker.onerror = reject;
      feed(worker);
    }
  });
  return { seconds: (performance.now() - started) / 1000, workers: count };
}"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve_static() -> tuple[http.server.ThreadingHTTPServer, int]:
    handler = partial(_QuietHandler, directory=str(STATIC))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


def encryption(rows: int, iterations: int) -> None:
    from playwright.sync_api import sync_playwright

    server, port = _serve_static()
    data = [
        {"index": i, "recipient": f"p{i}@example.com", "password": secrets.token_urlsafe(9)}
        | {"plaintext": MESSAGE.format(f"R{i}", i)}
        for i in range(rows)
    ]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/crypto.js")
            result = page.evaluate(POOL_SCRIPT, {"rows": data, "iterations": iterations, "chunk": 25})
            browser.close()
    finally:
        server.shutdown()
    print(
        f"protected encrypt: {rows:,} rows, PBKDF2-SHA256 {iterations:,} iterations + AES-GCM-256, "
        f"{result['workers']} workers in headless Chromium: {result['seconds']:.1f} s "
        f"({rows / result['seconds']:.0f} rows/s)"
    )


def _make_messages(count: int) -> list[tuple[str, str]]:
    """Protected messages with known verifiers (the server never derives keys, so none are needed)."""
    from django.utils import timezone

    from accounts.services import ensure_officer
    from campaigns.models import Campaign
    from protected_email.models import ProtectedMessage

    owner = ensure_officer(email="bench@agency.gov.sg")
    campaign = Campaign.objects.create(owner=owner, name="Unlock bench", channel="email", protected=True)
    made, rows = [], []
    expires = timezone.now() + timedelta(days=90)
    for _ in range(count):
        verifier = secrets.token_bytes(32)
        message_id = uuid.uuid4()
        rows.append(
            ProtectedMessage(
                id=message_id,
                campaign=campaign,
                payload=base64.b64encode(secrets.token_bytes(600)).decode(),
                verifier_hash=hashlib.sha256(verifier).hexdigest(),
                iterations=20_000,
                expires_at=expires,
            )
        )
        made.append((str(message_id), base64.b64encode(verifier).decode()))
    ProtectedMessage.objects.bulk_create(rows, batch_size=2000)
    return made


def _start_web(port: int) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "TRUSTED_PROXY_COUNT": "1", "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "gunicorn", "postman.wsgi", f"--bind=127.0.0.1:{port}"]
    command += ["--workers=2", "--threads=4", "--log-level=warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=environment)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return process
        except OSError:  # refused or timed out while gunicorn starts
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def _csrf(base: str) -> str:
    with urllib.request.urlopen(f"{base}/p/{uuid.uuid4()}/") as response:
        cookie = response.headers.get("Set-Cookie", "")
    return cookie.split("csrftoken=", 1)[1].split(";", 1)[0]


def _unlock(base: str, token: str, message_id: str, verifier: str) -> tuple[int, float]:
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    request = urllib.request.Request(
        f"{base}/p/{message_id}/unlock/",
        data=json.dumps({"verifier": verifier}).encode(),
        headers={
            "Content-Type": "application/json",
            "X-CSRFToken": token,
            "Cookie": f"csrftoken={token}",
            "X-Forwarded-For": address,
            "Referer": f"{base}/p/{message_id}/",
        },
        method="POST",
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.perf_counter() - started


def unlock_load(messages: int, requests: int, clients: int) -> None:
    reset_data()
    made = _make_messages(messages)
    wrong = base64.b64encode(bytes(32)).decode()
    port = free_port()
    web = _start_web(port)
    base = f"http://127.0.0.1:{port}"
    try:
        token = _csrf(base)
        plan = [
            (mid, verifier if random.random() < 0.8 else wrong)
            for mid, verifier in random.choices(made, k=requests)
        ]
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(lambda item: _unlock(base, token, *item), plan))
        elapsed = time.perf_counter() - started
    finally:
        web.terminate()
        web.wait(timeout=30)
    latencies = sorted(seconds for _, seconds in results)
    statuses: dict[int, int] = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    p50, p95 = statistics.median(latencies) * 1000, latencies[int(len(latencies) * 0.95) - 1] * 1000
    print(
        f"protected unlock: {requests:,} requests from {clients} concurrent clients over {messages:,} "
        f"messages (gunicorn 2 workers x 4 threads): {requests / elapsed:.0f} req/s, "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms; statuses {dict(sorted(statuses.items()))}"
    )


def run(rows: int) -> None:
    from protected_email.loading import ITERATIONS

    encryption(rows, ITERATIONS)
    unlock_load(messages=2000, requests=int(os.environ.get("BENCH_UNLOCK_REQUESTS", "5000")), clients=16)


if __name__ == "__main__":
    from bench import setup

    setup.prepare_django()
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    count = int(os.environ.get("BENCH_PROTECTED_ROWS", "10000"))
    if which == "encrypt":
        encryption(count, int(os.environ.get("BENCH_ITERATIONS", "20000")))
    elif which == "unlock":
        unlock_load(messages=2000, requests=int(os.environ.get("BENCH_UNLOCK_REQUESTS", "5000")), clients=16)
    else:
        run(count)
