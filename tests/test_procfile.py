"""`make run`'s own start script and Procfile, against the test database and Redis.

It starts every process the Procfile names the way `make run` does (scripts/run.sh, honcho),
waits until /healthz answers and a task beat sent has been run by a worker, then stops them
all as Ctrl-C would.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests import workers

pytestmark = pytest.mark.django_db(transaction=True)

# "HH:MM:SS beat.1 | [...] Scheduler: Sending due task <entry> (<task name>)"
PROCESSES = {
    name: command
    for name, _, command in (
        line.partition(":") for line in (workers.ROOT / "Procfile").read_text().splitlines()
    )
    if command
}
WORKERS = [name for name, command in PROCESSES.items() if " worker " in command]
BEAT_SENT = re.compile(r"Sending due task \S+ \((?P<task>[\w.]+)\)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Stack:
    """scripts/run.sh in its own process group, its output collected in a file."""

    def __init__(self, log: Path, port: int, beat_schedule: Path) -> None:
        self.log, self.port = log, port
        environment = {
            **os.environ,
            "DEBUG": "1",
            "PORT": str(port),
            "DATABASE_URL": workers.test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
            "PYTHONUNBUFFERED": "1",
            # A schedule file of its own: beat's first ticks then come as on a fresh install.
            "BEAT_SCHEDULE": str(beat_schedule),
        }
        self.process = subprocess.Popen(
            ["bash", "scripts/run.sh"],
            cwd=workers.ROOT,
            env=environment,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def workers_ready(self) -> bool:
        """Every Celery worker the Procfile names has said "ready."."""
        output = self.output()
        return all(re.search(rf"^\S+ {name}\.1 +\|.* ready\.$", output, re.MULTILINE) for name in WORKERS)

    def beat_task_done(self) -> str | None:
        """The name of a task beat sent that a worker has since run, if any."""
        output = self.output()
        for sent in BEAT_SENT.finditer(output):
            if re.search(rf"Task {re.escape(sent['task'])}\[[\w-]+\] succeeded", output):
                return sent["task"]
        return None

    def wait_for(self, condition: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the stack stopped while waiting for {what}:\n{self.output()[-4000:]}")
            found = condition()
            if found:
                return found
            time.sleep(0.25)
        raise AssertionError(f"timed out waiting for {what}:\n{self.output()[-4000:]}")

    def stop(self) -> int:
        """Ctrl-C: the terminal sends SIGINT to the whole foreground process group."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                return self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
                raise
        return self.process.returncode


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    workers.purge_queues()
    running = Stack(tmp_path / "run.log", free_port(), tmp_path / "celerybeat-schedule")
    try:
        yield running
    finally:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGKILL)
            running.process.wait(timeout=10)


def test_make_run_serves_and_beat_ticks_through_a_worker(stack: Stack) -> None:
    stack.wait_for(stack.healthy, 60, "/healthz to answer 200")
    stack.wait_for(stack.workers_ready, 60, f"every worker ({', '.join(WORKERS)}) to be ready")
    task = stack.wait_for(stack.beat_task_done, 60, "a task sent by beat to be run by a worker")
    assert task
    stack.stop()
    output = stack.output()
    # Every process the Procfile names started, and none died on its own before Ctrl-C.
    assert {"web", "beat", "worker", "control", "ingest"} <= set(PROCESSES)
    for name in PROCESSES:
        assert re.search(rf"{name}\.1 +\| ", output), f"{name} never wrote a line:\n{output[-4000:]}"
    before_stop = output.split("SIGINT received", 1)[0]
    assert not re.search(r"\w+\.1 stopped \(rc=", before_stop), before_stop[-4000:]
