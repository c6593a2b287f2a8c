"""Control work beside sending, and how soon progress shows a message the provider has received.

(b) Launch and ingest latency while four campaigns send at full speed, with the workers the
    Procfile runs: sending on the campaigns queue, launches on control, uploads on ingest.
(c) Progress lag: for every message, the time from the fake provider receiving it to the
    progress endpoint's "Sent" counter including it, at 10 a second and at full speed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from typing import Any

from bench.ingest_bench import make_campaign, write_csv
from bench.send_bench import free_port, start_provider
from bench.setup import ROOT, WORK, reset_data

SENT_FIGURE = re.compile(r'data-testid="stat-sent">([\d,]+)<')


def start_worker(url: str, name: str, queues: str, *extra: str) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "EMAIL_PROVIDER": "ses",
        "SES_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "EMAIL_MAX_SEND_RATE": "1000000",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "celery", "-A", "postman", "worker", "--loglevel=WARNING"]
    command += [f"--queues={queues}", "-n", f"bench-{name}@%h", *extra]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=(WORK / f"{name}.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def ready_campaign(rows: int, label: str) -> Any:
    from campaigns import services
    from campaigns.models import Campaign, RecipientFile

    path = WORK / f"recipients-{rows}.csv"
    write_csv(path, rows)
    recipient_file = RecipientFile.objects.get(pk=make_campaign(path, label))
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda read: None)
    return Campaign.objects.get(pk=recipient_file.campaign_id)


def wait(condition: Any, timeout: float = 300) -> float:
    """Seconds until `condition()` holds, polled every 20 ms."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise RuntimeError("timed out")
        time.sleep(0.02)
    return time.monotonic() - started


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def status_of(campaign_id: int) -> str:
    from campaigns.models import Campaign

    return str(Campaign.objects.values_list("status", flat=True).get(pk=campaign_id))


def run_control(per_campaign: int, rounds: int = 5) -> None:
    """(b): scheduled launches and uploads, one after another, while four campaigns send."""
    reset_data()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from campaigns import control, services
    from campaigns.models import Campaign, RecipientFile, RecipientFileStatus
    from channels_email import services as email_services
    from postman.celery import app

    senders = [ready_campaign(per_campaign, f"full speed {n}") for n in range(4)]
    waiting = [ready_campaign(10, f"scheduled {n}") for n in range(rounds)]
    upload = (WORK / "recipients-1000.csv").read_bytes() if (WORK / "recipients-1000.csv").exists() else None
    if upload is None:
        write_csv(WORK / "recipients-1000.csv", 1000)
        upload = (WORK / "recipients-1000.csv").read_bytes()
    port = free_port()
    provider = start_provider(port)
    url = f"http://127.0.0.1:{port}"
    workers = [
        start_worker(url, "campaigns", "campaigns", "--concurrency=4"),
        start_worker(url, "control", "control", "--pool=threads", "--concurrency=4"),
        start_worker(url, "ingest", "ingest", "--concurrency=2"),
    ]
    launches: list[float] = []
    ingests: list[float] = []
    try:
        time.sleep(4)
        for campaign in senders:
            services.launch_campaign(campaign=campaign, by=campaign.owner)
        wait(lambda: all(status_of(c.pk) == "sending" for c in senders) and _received(url) > 2000)
        for campaign in waiting:
            at = timezone.now() + timedelta(seconds=1)
            control.schedule_campaign(campaign=campaign, by=campaign.owner, at=at)
            time.sleep(max(0.0, (at - timezone.now()).total_seconds()))
            app.send_task("campaigns.launch_due_campaigns")  # what beat sends on the minute
            wait(lambda c=campaign: status_of(c.pk) != "scheduled")
            started_at = Campaign.objects.values_list("started_at", flat=True).get(pk=campaign.pk)
            assert started_at is not None
            launches.append((started_at - at).total_seconds())

            target = services.create_campaign(owner=campaign.owner, name="upload", channel="email")
            email_services.save_email_template(
                campaign=target,
                subject="Hi {{name}}",
                body="<p>{{code}}</p>",
                body_format="rich",
                sender_name="",
                reply_to="",
            )
            uploaded = time.monotonic()
            recipient_file = services.upload_recipients(
                campaign=target, upload=SimpleUploadedFile("list.csv", upload, content_type="text/csv")
            )
            wait(
                lambda f=recipient_file: (
                    RecipientFile.objects.values_list("status", flat=True).get(pk=f.pk)
                    in (RecipientFileStatus.READY, RecipientFileStatus.FAILED)
                )
            )
            ingests.append(time.monotonic() - uploaded)
        still = sum(status_of(c.pk) == "sending" for c in senders)
        rate = _received(url)
    finally:
        stop(workers)
        provider.terminate()
    print(
        f"launch latency while 4 campaigns send at full speed ({still} of 4 still sending, "
        f"{rate:,} emails sent meanwhile): median {statistics.median(launches):.2f} s, "
        f"max {max(launches):.2f} s over {len(launches)} scheduled launches"
    )
    print(
        f"ingest latency of a 1,000-row upload meanwhile: median {statistics.median(ingests):.2f} s, "
        f"max {max(ingests):.2f} s over {len(ingests)} uploads"
    )


def _received(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_fake/stats", timeout=30) as response:
        stats = json.loads(response.read())
    return int(stats.get("email", {}).get("accepted", 0))


def _messages(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/_fake/messages", timeout=60) as response:
        return list(json.loads(response.read()))


def measure_lag(url: str, campaign_id: int, poll_seconds: float = 0.1) -> list[float]:
    """Poll the progress endpoint as the page does; each message's lag is the first poll whose
    "Sent" covers its place in the provider's order, minus when the provider received it."""
    from django.test import Client

    from accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email="bench@agency.gov.sg"))
    polls: list[tuple[float, int]] = []
    while True:
        response = client.get(f"/campaigns/{campaign_id}/progress/", headers={"HX-Request": "true"})
        seen = time.time()
        found = SENT_FIGURE.search(response.content.decode())
        polls.append((seen, int(found.group(1).replace(",", "")) if found else 0))
        if response.status_code == 286:  # the campaign has finished: htmx stops polling
            break
        time.sleep(poll_seconds)
    received = sorted(float(m["at"]) for m in _messages(url))
    lags: list[float] = []
    index = 0
    for place, at in enumerate(received, start=1):
        while index < len(polls) and polls[index][1] < place:
            index += 1
        if index == len(polls):
            break
        lags.append(max(0.0, polls[index][0] - at))
    return lags


def run_lag(slow_messages: int, fast_messages: int) -> None:
    """(c): progress lag at 10 a second and at full speed, one campaign at a time."""
    from campaigns import services

    for rate, messages in ((10, slow_messages), (None, fast_messages)):
        reset_data()
        campaign = ready_campaign(messages, f"lag {rate or 'full'}")
        port = free_port()
        provider = start_provider(port)
        url = f"http://127.0.0.1:{port}"
        workers = [
            start_worker(url, "lag-campaigns", "campaigns", "--concurrency=2"),
            start_worker(url, "lag-control", "control", "--pool=threads", "--concurrency=2"),
        ]
        try:
            time.sleep(4)
            services.launch_campaign(campaign=campaign, by=campaign.owner, send_rate=rate)
            lags = measure_lag(url, campaign.pk)
        finally:
            stop(workers)
            provider.terminate()
        speed = f"{rate}/s" if rate else "full speed"
        print(
            f"progress lag at {speed} ({messages:,} emails): p95 {p95(lags):.2f} s, "
            f"median {statistics.median(lags):.2f} s, max {max(lags):.2f} s (target p95 <= 2 s)"
        )


def run(per_campaign: int, slow_messages: int, fast_messages: int) -> None:
    run_control(per_campaign)
    run_lag(slow_messages, fast_messages)


if __name__ == "__main__":
    from bench import setup

    setup.prepare_django()
    run(
        int(os.environ.get("BENCH_CONTROL_MESSAGES", "30000")),
        int(os.environ.get("BENCH_LAG_SLOW_MESSAGES", "300")),
        int(os.environ.get("BENCH_LAG_FAST_MESSAGES", "20000")),
    )
