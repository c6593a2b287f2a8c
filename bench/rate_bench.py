"""Sends at 1/s and 10/s with a lease shorter than a batch takes: every recipient exactly once.

Durations are scaled down (tens of messages, a 4 s lease) but keep what matters: each batch
takes longer to send than the lease lasts, so only the worker's renewals keep the sweeper
(run every half second here, far more often than beat) from handing its rows to another task.
"""

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

LEASE_SECONDS = 4
CASES = [(1, 30), (10, 300)]  # (messages per second, messages)


def _received(url: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{url}/_fake/messages", timeout=60) as response:
        return list(json.loads(response.read()))


def _max_in_any_second(times: list[float]) -> int:
    times, best, start = sorted(times), 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def send_at(rate: int, messages: int) -> None:
    reset_data()
    from campaigns import services
    from campaigns.models import Campaign, RecipientFile
    from campaigns.tasks import sweep_stale_batches

    path = WORK / f"recipients-{messages}.csv"
    write_csv(path, messages)
    recipient_file = RecipientFile.objects.get(pk=make_campaign(path, f"rate bench {rate}/s"))
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    port = free_port()
    provider = start_provider(port)
    url = f"http://127.0.0.1:{port}"
    worker = start_worker(
        url,
        WORK / f"rate-worker-{rate}.log",
        concurrency=2,
        CAMPAIGN_SEND_CONCURRENCY="2",
        CAMPAIGN_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    campaign = Campaign.objects.get(pk=recipient_file.campaign_id)
    try:
        time.sleep(3)
        started = time.perf_counter()
        services.launch_campaign(campaign=campaign, by=campaign.owner, send_rate=rate)
        while Campaign.objects.get(pk=campaign.pk).status != "sent":
            if time.perf_counter() - started > messages / rate * 3 + 60:
                raise RuntimeError(f"the {rate}/s send did not finish")
            sweep_stale_batches()
            time.sleep(0.5)
        seconds = time.perf_counter() - started
        received = _received(url)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        provider.terminate()
    per_recipient = Counter(str(m["to"][0]) for m in received)  # type: ignore[index]
    duplicates = sum(count - 1 for count in per_recipient.values())
    lost = messages - len(per_recipient)
    busiest = _max_in_any_second([float(m["at"]) for m in received])  # type: ignore[arg-type]
    print(
        f"send at {rate}/s: {messages} emails in {seconds:.1f} s, lease {LEASE_SECONDS} s, batch "
        f"{min(200, rate * 5)}: duplicates {duplicates}, lost {lost}, at most {busiest} in any second"
    )


def run() -> None:
    for rate, messages in CASES:
        send_at(rate, int(messages * float(os.environ.get("BENCH_RATE_SCALE", "1"))))
