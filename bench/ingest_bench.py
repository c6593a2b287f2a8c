"""1,000,000-row ingest through the real task code, beside a bare COPY of the same file."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from django.core.files import File
from django.db import connection

from bench.setup import ROOT, WORK, reset_data


def write_csv(path: Path, rows: int) -> None:
    if path.exists():
        return
    with path.open("w", encoding="utf-8") as out:
        out.write("recipient,name,code\n")
        for i in range(rows):
            out.write(f"person{i}@example.com,Person {i},C{i:07d}\n")


def make_campaign(path: Path, label: str) -> int:
    from accounts.services import ensure_officer
    from campaigns import services
    from campaigns.models import RecipientFile
    from channels_email import services as email_services

    officer = ensure_officer(email="bench@agency.gov.sg")
    campaign = services.create_campaign(owner=officer, name=label, channel="email")
    email_services.save_email_template(
        campaign=campaign,
        subject="Hello {{name}}",
        body="<p>Dear {{name}}, your code is <strong>{{code}}</strong>.</p>",
        body_format="rich",
        sender_name="",
        reply_to="",
    )
    with path.open("rb") as handle:
        recipient_file = RecipientFile.objects.create(
            campaign=campaign,
            file=File(handle, name=path.name),
            original_name=path.name,
            size_bytes=path.stat().st_size,
        )
    return recipient_file.pk


def bare_copy(path: Path) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bare_copy (recipient text, name text, code text)")
        with path.open("r", encoding="utf-8") as handle:
            cursor.copy_expert("COPY bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)", handle)
        cursor.execute("DROP TABLE bare_copy")
    return time.perf_counter() - started


def run_ingest(file_id: int) -> tuple[float, float, str, str]:
    """The task's seconds, its process's peak RSS (MB), the reader process's peak (MB) and outcome."""
    child = subprocess.run(
        [sys.executable, "-m", "bench.ingest_child", str(file_id), "--any-outcome"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, peak_mb, outcome = child.stdout.strip().splitlines()[-3:]
    reader = re.search(r"reader peak memory (\d+) MB", child.stderr)
    return float(seconds), float(peak_mb), reader[1] if reader else "?", outcome


def run(rows: int) -> None:
    reset_data()
    path = WORK / f"recipients-{rows}.csv"
    write_csv(path, rows)
    file_id = make_campaign(path, f"ingest bench {rows}")
    started = time.perf_counter()
    seconds, peak_mb, reader_mb, outcome = run_ingest(file_id)
    whole = time.perf_counter() - started
    bare = bare_copy(path)
    print(
        f"ingest: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s; "
        f"reader peak {reader_mb} MB, task process peak RSS {peak_mb:.0f} MB "
        f"({whole:.1f} s with the process start; {outcome})"
    )
    print(f"bare COPY of the same file: {bare:.1f} s = {rows / bare:,.0f} rows/s")
