"""200,000 messages through one worker process and the fake SES, beside a bare boto3 loop."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.config import Config

from bench.ingest_bench import make_campaign, write_csv
from bench.setup import ROOT, WORK, reset_data


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_provider(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "fake_provider", "--port", str(port)], cwd=ROOT)
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    raise RuntimeError("fake provider did not start")


def start_worker(url: str, log: Path, *, concurrency: int = 1, **extra: str) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "EMAIL_PROVIDER": "ses",
        "SES_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "EMAIL_MAX_SEND_RATE": "1000000",
        "CAMPAIGN_SEND_CONCURRENCY": "1",
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "postman",
        "worker",
        f"--concurrency={concurrency}",
        "--loglevel=" + os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"),
    ]
    command += [
        "--queues=transactional,campaigns,ingest,control",
        "-n",
        "bench@%h",
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def bare_loop(url: str, count: int) -> float:
    client = boto3.client(
        "sesv2",
        endpoint_url=url,
        region_name="ap-southeast-1",
        aws_access_key_id="b",
        aws_secret_access_key="b",
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=32),
    )

    def send(i: int) -> None:
        client.send_email(
            FromEmailAddress="donotreply@postman.example.gov.sg",
            Destination={"ToAddresses": [f"person{i}@example.com"]},
            Content={
                "Simple": {
                    "Subject": {"Data": f"Hello Person {i}"},
                    "Body": {"Html": {"Data": f"<p>Dear Person {i}</p>"}, "Text": {"Data": "Dear"}},
                }
            },
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(send, range(count)))
    return count / (time.perf_counter() - started)


def watch(campaign_id: int, total: int) -> tuple[float, list[float]]:
    from django.test import Client

    from accounts.models import User
    from campaigns.models import Campaign

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email="bench@agency.gov.sg"))
    url = f"/campaigns/{campaign_id}/progress/"
    latencies: list[float] = []
    started = time.perf_counter()
    while Campaign.objects.get(pk=campaign_id).status != "sent":
        tick = time.perf_counter()
        response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code in (200, 286), response.status_code
        latencies.append((time.perf_counter() - tick) * 1000)
        time.sleep(0.25)
        if time.perf_counter() - started > 1800:
            raise RuntimeError("send did not finish in 30 minutes")
    return time.perf_counter() - started, latencies


def run(messages: int) -> None:
    reset_data()
    from campaigns import services
    from campaigns.models import Campaign, RecipientFile

    path = WORK / f"recipients-{messages}.csv"
    write_csv(path, messages)
    recipient_file = RecipientFile.objects.get(pk=make_campaign(path, f"send bench {messages}"))
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    port = free_port()
    provider = start_provider(port)
    url = f"http://127.0.0.1:{port}"
    worker = start_worker(url, WORK / "worker.log")
    try:
        time.sleep(3)
        campaign = Campaign.objects.get(pk=recipient_file.campaign_id)
        services.launch_campaign(campaign=campaign, by=campaign.owner)
        seconds, latencies = watch(campaign.pk, messages)
        bare = bare_loop(url, min(messages, 20000))
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        provider.terminate()
    rate = messages / seconds
    p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) >= 20 else max(latencies)
    print(f"send: {messages:,} emails in {seconds:.1f} s = {rate:,.0f}/s with one worker process")
    print(f"bare boto3 loop (8 threads): {bare:,.0f}/s; engine at {rate / bare:.0%} of it")
    print(f"progress partial during the send: p95 {p95:.1f} ms over {len(latencies)} requests")
