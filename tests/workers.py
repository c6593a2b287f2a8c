"""A real Celery worker in a subprocess, against the test database and the fake provider."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    url = f"postgres://{auth}@{host}{port}/{db['NAME']}"
    socket_dir = (db.get("OPTIONS") or {}).get("host")
    return f"{url}?host={socket_dir}" if socket_dir else url


def worker_environment(provider_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
        "EMAIL_PROVIDER": "ses",
        "SES_ENDPOINT_URL": provider_url,
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "EMAIL_MAX_SEND_RATE": str(settings.EMAIL_MAX_SEND_RATE),
        "SITE_URL": settings.SITE_URL,
        "TWILIO_BASE_URL": provider_url,
        **extra,
    }


class Worker:
    """`celery worker` as a child process; `kill()` sends SIGKILL to the whole process group."""

    def __init__(
        self,
        environment: dict[str, str],
        log: Path,
        concurrency: int = 2,
        queues: str = "transactional,campaigns,ingest,control",
        pool: str = "prefork",
    ) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "postman",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                f"--pool={pool}",
                f"--queues={queues}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{os.getpid()}-{time.time()}@%h",
            ],
            cwd=ROOT,
            env=environment,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.log.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        raise RuntimeError("worker did not become ready")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


class Beat:
    """`celery beat` as a child process, with its schedule file under `directory`."""

    def __init__(self, environment: dict[str, str], directory: Path) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "postman",
                "beat",
                "--loglevel=INFO",
                f"--schedule={directory / 'celerybeat-schedule'}",
            ],
            cwd=ROOT,
            env=environment,
            stdout=(directory / "beat.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def purge_queues() -> None:
    from postman.celery import app

    with app.connection_for_write() as conn:
        for queue in ["transactional", "campaigns", "ingest", "control"]:
            conn.default_channel.queue_purge(queue)  # type: ignore[attr-defined]


def start_worker(provider_url: str, tmp_path: Path, **extra: Any) -> Worker:
    purge_queues()
    return Worker(worker_environment(provider_url, **extra), tmp_path / "worker.log")
