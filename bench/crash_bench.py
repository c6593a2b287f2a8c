"""Kill -9 the worker three times during a 100,000-message send; count what arrived."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from collections import Counter

from bench.ingest_bench import make_campaign, write_csv
from bench.send_bench import free_port, start_provider, start_worker
from bench.setup import WORK, reset_data

KILLS = 3
LEASE_SECONDS = 10


def _sent(url: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{url}/_fake/messages", timeout=60) as response:
        return list(json.loads(response.read()))


def _recover(campaign_id: int) -> None:
    """The beat sweeper's work once the dead worker's lease and heartbeat have expired."""
    from django.conf import settings

    from campaigns.tasks import sweep_stale_batches
    from common.redis import redis_client, redis_key

    time.sleep(LEASE_SECONDS + 1)
    redis_client(settings.REDIS_URL).delete(redis_key(f"sending:{campaign_id}"))
    sweep_stale_batches()


def run(messages: int = 100_000) -> None:
    reset_data()
    from campaigns import engine, services
    from campaigns.models import Campaign, RecipientFile

    os.environ["CAMPAIGN_LEASE_SECONDS"] = str(LEASE_SECONDS)
    path = WORK / f"recipients-{messages}.csv"
    write_csv(path, messages)
    recipient_file = RecipientFile.objects.get(pk=make_campaign(path, f"crash bench {messages}"))
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    port = free_port()
    provider = start_provider(port)
    url = f"http://127.0.0.1:{port}"
    # One sending task in one process: each kill can strand one batch.
    worker = start_worker(url, WORK / "crash-worker.log", threads=1)
    campaign = Campaign.objects.get(pk=recipient_file.campaign_id)
    try:
        time.sleep(3)
        services.launch_campaign(campaign=campaign, by=campaign.owner)
        for kill in range(KILLS):
            time.sleep(8)
            os.killpg(worker.pid, signal.SIGKILL)
            worker = start_worker(url, WORK / f"crash-worker-{kill}.log", threads=1)
            _recover(campaign.pk)
        while Campaign.objects.get(pk=campaign.pk).status != "sent":
            time.sleep(1)
        received = Counter(str(m["to"][0]) for m in _sent(url))  # type: ignore[index]
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        provider.terminate()
    expected = {f"person{i}@example.com" for i in range(messages)}
    lost = len(expected - set(received))
    duplicates = sum(count - 1 for count in received.values())
    bound = KILLS * engine.BATCH_SIZE
    print(
        f"crash: {KILLS} kill -9 during {messages:,} emails: delivered {len(received):,}, "
        f"duplicates {duplicates} (bound {bound}: one rate grant per killed worker process), lost {lost}"
    )
