"""200,000 emails through one worker process and the fake SES (SendBulkEmail, 50 to a call),
beside a bare loop of single SendEmail calls and the engine's own per-message path; then the
headline: a 1,000,000-recipient campaign from its stored upload to its last email sent."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.config import Config

from bench.ingest_bench import make_campaign, run_ingest, write_csv
from bench.setup import ROOT, WORK, reset_data

# The worker process sends with this many threads (Celery's threads pool), each running a sending
# task of its own, so one task's database and network waits overlap another's work: the
# Procfile's campaigns worker (--pool=threads --concurrency=8).
THREADS = int(os.environ.get("BENCH_WORKER_THREADS", "8"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_provider(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "fake_provider", "--port", str(port)], cwd=ROOT)
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                # Addresses and times are what the benchmarks count; a million bodies would
                # only measure the fake's memory.
                configure_provider(f"http://127.0.0.1:{port}", {"keep_bodies": False})
                return process
        time.sleep(0.05)
    raise RuntimeError("fake provider did not start")


def configure_provider(url: str, config: dict[str, object]) -> None:
    request = urllib.request.Request(f"{url}/_fake/config", data=json.dumps(config).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def peak_rss_mb(pid: int) -> float:
    """A live process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(leader: int) -> float:
    """CPU time of every live process in `leader`'s process group."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == leader:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            continue
    return total


def group_peaks_mb(leader: int) -> list[float]:
    """Peak RSS of each process in `leader`'s process group (a Celery worker and its pool)."""
    peaks = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == leader:
                peaks.append(peak_rss_mb(int(stat.parent.name)))
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile
    return sorted(peaks, reverse=True)


def start_worker(
    url: str, log: Path, *, bulk: bool = True, threads: int = THREADS, concurrency: int = 0, **extra: str
) -> subprocess.Popen[bytes]:
    """A sending worker: `threads` sending tasks in one process, or `concurrency` processes."""
    environment = {
        **os.environ,
        "SES_BULK_SEND": "1" if bulk else "0",
        "EMAIL_PROVIDER": "ses",
        "SES_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "EMAIL_MAX_SEND_RATE": "1000000",
        "CAMPAIGN_SEND_CONCURRENCY": str(threads),
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
        *(
            [f"--concurrency={concurrency}"]
            if concurrency
            else [f"--concurrency={threads}", *(["--pool=threads"] if threads > 1 else [])]
        ),
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


LOADS: list[float] = []  # the machine's 1-minute load average, sampled while a send runs


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
        LOADS.append(os.getloadavg()[0])
        time.sleep(0.25)
        if time.perf_counter() - started > 1800:
            raise RuntimeError("send did not finish in 30 minutes")
    return time.perf_counter() - started, latencies


def send_through_worker(
    url: str, messages: int, *, bulk: bool, threads: int = THREADS, provider: int = 0
) -> tuple[float, list[float], list[float], tuple[float, float]]:
    """Load `messages` recipients, send them with one worker process; seconds, progress
    latencies, the worker's processes' peak RSS, and the CPU seconds the worker and the
    fake provider (process `provider`) used for the send."""
    reset_data()
    from campaigns import services
    from campaigns.models import Campaign, RecipientFile

    path = WORK / f"recipients-{messages}.csv"
    write_csv(path, messages)
    recipient_file = RecipientFile.objects.get(pk=make_campaign(path, f"send bench {messages}"))
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    worker = start_worker(url, WORK / "worker.log", bulk=bulk, threads=threads)
    try:
        time.sleep(3)
        campaign = Campaign.objects.get(pk=recipient_file.campaign_id)
        worker_cpu, provider_cpu = group_cpu_seconds(worker.pid), cpu_seconds(provider) if provider else 0.0
        services.launch_campaign(campaign=campaign, by=campaign.owner)
        seconds, latencies = watch(campaign.pk, messages)
        worker_cpu = group_cpu_seconds(worker.pid) - worker_cpu
        provider_cpu = (cpu_seconds(provider) if provider else 0.0) - provider_cpu
        peaks = group_peaks_mb(worker.pid)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    return seconds, latencies, peaks, (worker_cpu, provider_cpu)


def run(messages: int, single_messages: int) -> None:
    port = free_port()
    provider = start_provider(port)
    url = f"http://127.0.0.1:{port}"
    try:
        LOADS.clear()
        seconds, latencies, peaks, (worker_cpu, provider_cpu) = send_through_worker(
            url, messages, bulk=True, provider=provider.pid
        )
        loads = list(LOADS)
        bare = bare_loop(url, min(messages, 20000))
        prefork = single = 0.0
        if single_messages:
            prefork = single_messages / send_through_worker(url, single_messages, bulk=True, threads=1)[0]
            single = single_messages / send_through_worker(url, single_messages, bulk=False, threads=1)[0]
    finally:
        provider.terminate()
    rate = messages / seconds
    p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) >= 20 else max(latencies)
    print(
        f"send: {messages:,} emails in {seconds:.1f} s = {rate:,.0f}/s with one worker process of "
        f"{THREADS} threads (SendBulkEmail, 50 a call); its peak RSS {max(peaks):.0f} MB"
    )
    print(
        f"CPU per 1,000 emails: worker {worker_cpu / messages * 1000:.3f} s, "
        f"fake SES {provider_cpu / messages * 1000:.3f} s; load average during the send "
        f"{min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores"
    )
    print(
        f"bare boto3 loop of single SendEmail calls (8 threads): {bare:,.0f}/s; "
        f"the bulk engine sends {rate / bare:.1f}x as fast"
    )
    if single_messages:
        print(
            f"one worker process with one sending task (prefork), {single_messages:,} emails: "
            f"{prefork:,.0f}/s in bulk calls, {single:,.0f}/s one SendEmail each (SES_BULK_SEND=0)"
        )
    print(f"progress partial during the send: p95 {p95:.1f} ms over {len(latencies)} requests")


def headline(rows: int) -> None:
    """Upload to last email sent: the stored file is read, validated and loaded, then sent."""
    reset_data()
    from campaigns import services
    from campaigns.models import Campaign, RecipientFile

    path = WORK / f"recipients-{rows}.csv"
    write_csv(path, rows)
    file_id = make_campaign(path, f"headline {rows}")
    port = free_port()
    provider = start_provider(port)
    url = f"http://127.0.0.1:{port}"
    worker = start_worker(url, WORK / "headline-worker.log")
    try:
        time.sleep(3)  # a worker already running, as in service
        started = time.time()
        ingest_seconds, ingest_peak, reader_peak, outcome = run_ingest(file_id)
        campaign = Campaign.objects.get(pk=RecipientFile.objects.get(pk=file_id).campaign_id)
        services.launch_campaign(campaign=campaign, by=campaign.owner)
        loads = [os.getloadavg()[0]]
        while (campaign := Campaign.objects.get(pk=campaign.pk)).status != "sent":
            time.sleep(1)
            loads.append(os.getloadavg()[0])
            if time.time() - started > 3600:
                raise RuntimeError("the headline campaign did not finish in an hour")
        assert campaign.finished_at is not None
        whole = campaign.finished_at.timestamp() - started
        worker_peaks = group_peaks_mb(worker.pid)
        provider_peak = peak_rss_mb(provider.pid)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        provider.terminate()
    sending = whole - ingest_seconds
    print(
        f"headline: {rows:,} recipients from stored upload to last email sent in {whole:.0f} s, "
        f"one worker process of {THREADS} threads "
        f"({whole / 60:.1f} min; ingest {ingest_seconds:.0f} s, {outcome}; send {rows / sending:,.0f}/s)"
    )
    print(
        f"headline peak RSS: ingest task {ingest_peak:.0f} MB, its reader {reader_peak} MB, "
        f"worker {' + '.join(f'{mb:.0f}' for mb in worker_peaks)} MB, fake SES {provider_peak:.0f} MB, "
        f"bench driver {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print(f"headline load average: {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores")
