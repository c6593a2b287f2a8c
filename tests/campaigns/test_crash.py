"""Faults while sending, with a real worker process: killed workers, dropped connections."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from redis import Redis

from campaigns import engine, services
from campaigns.models import Campaign, CampaignStatus
from common.ratelimit import Bucket
from common.redis import redis_client, redis_key
from tests.factories import make_email_campaign, people
from tests.workers import Beat, Worker, purge_queues, start_worker, worker_environment

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("counters_hold")]


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def campaign_status(campaign: Campaign) -> str:
    return Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)


def recover(campaign: Campaign) -> None:
    """What the beat sweeper does once the dead worker's lease and heartbeat have run out."""
    redis_client(settings.REDIS_URL).delete(redis_key(f"sending:{campaign.pk}"))
    future = timezone.now() + timedelta(seconds=settings.CAMPAIGN_LEASE_SECONDS + 1)
    engine.sweep_stale(now=future)
    from campaigns.tasks import send_campaign

    for campaign_id in engine.stalled_campaigns():
        send_campaign.delay(campaign_id)


def in_flight_bound(rate: int, processes: int = 2) -> int:
    """What dead worker processes may have sent without recording it: one rate grant each."""
    return processes * engine.grant_size([Bucket("rate", rate)], engine.BATCH_SIZE)


def test_killed_worker_loses_nothing_and_doubles_at_most_one_batch_per_process(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    ses_provider.configure(latency_ms=15)
    campaign = make_email_campaign(officer, people(1500), tmp_path=tmp_path)
    first = start_worker(ses_provider.url, tmp_path)
    services.launch_campaign(campaign=campaign, by=officer)
    wait_for(lambda: len(ses_provider.messages()) >= 300, 60, "sending to start")

    first.kill()
    bound = in_flight_bound(settings.EMAIL_MAX_SEND_RATE)  # two pool processes
    finish_after_kill(campaign, ses_provider, tmp_path, bound)


def test_killed_threaded_worker_doubles_at_most_one_grant_per_task_it_ran(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    """The Procfile's campaigns worker: one process, eight sending tasks on the threads pool."""
    ses_provider.configure(latency_ms=15)
    campaign = make_email_campaign(officer, people(3000), tmp_path=tmp_path)
    purge_queues()
    first = Worker(
        worker_environment(ses_provider.url), tmp_path / "threads.log", concurrency=8, pool="threads"
    )
    services.launch_campaign(campaign=campaign, by=officer)
    wait_for(lambda: len(ses_provider.messages()) >= 600, 60, "sending to start")

    first.kill()
    bound = in_flight_bound(settings.EMAIL_MAX_SEND_RATE, processes=8)  # one grant per thread's task
    finish_after_kill(campaign, ses_provider, tmp_path, bound, people_count=3000)


def finish_after_kill(
    campaign: Campaign, ses_provider: Any, tmp_path: Path, bound: int, people_count: int = 1500
) -> None:
    """Start a fresh worker, recover as beat would, and check every recipient got one email
    and at most `bound` got two."""
    (tmp_path / "second").mkdir()
    second = start_worker(ses_provider.url, tmp_path / "second")
    recover(campaign)
    try:
        wait_for(lambda: campaign_status(campaign) == CampaignStatus.SENT, 120, "the campaign to finish")
    finally:
        second.stop()

    received = Counter(m["to"][0] for m in ses_provider.messages())
    lost = {f"person{i}@example.com" for i in range(people_count)} - set(received)
    duplicates = sum(count - 1 for count in received.values())
    assert lost == set()
    assert duplicates <= bound
    print(f"killed worker: delivered {len(received)}, duplicates {duplicates} (bound {bound}), lost 0")


def test_killed_worker_campaign_resumes_within_a_minute_with_beat_and_default_timings(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    rate = 50
    campaign = make_email_campaign(officer, people(1000), tmp_path=tmp_path)
    first = start_worker(ses_provider.url, tmp_path)
    beat = Beat(worker_environment(ses_provider.url), tmp_path)
    (tmp_path / "second").mkdir()
    second = None
    try:
        services.launch_campaign(campaign=campaign, by=officer, send_rate=rate)
        wait_for(lambda: len(ses_provider.messages()) >= 150, 60, "sending to start")
        first.kill()
        second = start_worker(ses_provider.url, tmp_path / "second")
        before, ready_at = len(ses_provider.messages()), time.monotonic()
        # Nothing but beat's sweeper and the new worker: the dead worker's heartbeat and leases
        # run out (CAMPAIGN_HEARTBEAT_SECONDS, CAMPAIGN_LEASE_SECONDS), the next sweep restarts it.
        wait_for(lambda: len(ses_provider.messages()) > before, 60, "sending to resume")
        resumed_after = time.monotonic() - ready_at
        wait_for(lambda: campaign_status(campaign) == CampaignStatus.SENT, 90, "the campaign to finish")
    finally:
        beat.stop()
        if second is not None:
            second.stop()

    received = Counter(m["to"][0] for m in ses_provider.messages())
    duplicates = sum(count - 1 for count in received.values())
    assert set(received) == {f"person{i}@example.com" for i in range(1000)}
    assert duplicates <= in_flight_bound(rate)
    bound = in_flight_bound(rate)
    print(f"kill -9 with beat: resumed {resumed_after:.0f} s after the new worker started; ", end="")
    print(f"delivered {len(received)}, duplicates {duplicates} (bound {bound})")


def test_dropped_database_connections_mid_send_finish_the_campaign(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    ses_provider.configure(latency_ms=10)
    campaign = make_email_campaign(officer, people(800), tmp_path=tmp_path)
    worker = start_worker(ses_provider.url, tmp_path)
    try:
        services.launch_campaign(campaign=campaign, by=officer)
        wait_for(lambda: len(ses_provider.messages()) >= 150, 60, "sending to start")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        # No help from outside: the worker reconnects, records what it sent and carries on.
        wait_for(lambda: campaign_status(campaign) == CampaignStatus.SENT, 90, "the campaign to finish")
    finally:
        worker.stop()

    received = Counter(m["to"][0] for m in ses_provider.messages())
    duplicates = sum(count - 1 for count in received.values())
    assert set(received) == {f"person{i}@example.com" for i in range(800)}
    assert duplicates <= in_flight_bound(settings.EMAIL_MAX_SEND_RATE)
    print(f"dropped connections: delivered {len(received)}, duplicates {duplicates}, lost 0")


class RedisServer:
    """A throwaway redis-server on its own port, so restarting it touches nobody else."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: Redis.from_url(self.url).ping() if self._up() else False, 10, "redis to start")

    def _up(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def _manage(code: str, environment: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"], env=environment, check=True
    )


def sweep_until_sent(campaign: Campaign, environment: dict[str, str], *, timeout: float) -> None:
    """Run the sweeper every few seconds, as beat does, until the campaign is sent."""
    deadline = time.monotonic() + timeout
    while campaign_status(campaign) != CampaignStatus.SENT:
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the campaign to finish")
        _manage("from campaigns.tasks import sweep_stale_batches; sweep_stale_batches()", environment)
        time.sleep(5)


def test_redis_restart_mid_send_finishes_the_campaign(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    redis = RedisServer()
    redis.start()
    environment = worker_environment(
        ses_provider.url,
        REDIS_URL=redis.url,
        DJANGO_SETTINGS_MODULE="postman.settings",
        CAMPAIGN_LEASE_SECONDS="15",
    )
    ses_provider.configure(latency_ms=10)
    campaign = make_email_campaign(officer, people(800), tmp_path=tmp_path)
    # At 200 a second the outage lands mid-send, bulk calls (50 emails each) or not.
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, send_rate=200)
    worker = Worker(environment, tmp_path / "worker.log")
    try:
        _manage(f"from campaigns.tasks import start_sending; start_sending.delay({campaign.pk})", environment)
        wait_for(lambda: len(ses_provider.messages()) >= 150, 60, "sending to start")
        redis.stop()
        time.sleep(5)  # longer than a task's retry keeps trying to publish: tasks are lost, mostly
        redis.start()  # empty: queued tasks, heartbeats and rate windows are gone
        # Whichever way the outage fell (a task's retry reached the new Redis and sending went
        # on, or every task was lost with the old one), the campaign finishes with no help but
        # the beat sweeper's runs.
        sweep_until_sent(campaign, environment, timeout=120)
    finally:
        worker.stop()
        redis.stop()

    received = Counter(m["to"][0] for m in ses_provider.messages())
    duplicates = sum(count - 1 for count in received.values())
    assert set(received) == {f"person{i}@example.com" for i in range(800)}
    assert duplicates <= in_flight_bound(settings.EMAIL_MAX_SEND_RATE)
    print(f"redis restart: delivered {len(received)}, duplicates {duplicates}, lost 0")
