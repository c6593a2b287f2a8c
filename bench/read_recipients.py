"""Time the recipient-file reader on a million-row, three-column email CSV.

Run from the repository root: ``.venv/bin/python bench/read_recipients.py [rows]``. Prints the
seconds, rows per second and peak RSS of reading alone (the file is written first, streamed).
"""

from __future__ import annotations

import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from campaigns.recipient_files import read_recipient_rows
from channels_email.addresses import normalise_email

CSV_PATH = Path("/tmp/postman-bench-recipients.csv")


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(1)
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write("recipient,name,amount\r\n")
        for i in range(rows):
            # Mixed case, as officers' sheets have; every 1,000th row repeats an earlier address.
            number = i - 500 if i % 1000 == 999 else i
            address = f"User{number}.{number % 97}@Agency{number % 50}.gov.sg"
            file.write(f"{address},Name {i},{rng.randint(1, 9999)}.50\r\n")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    write_csv(CSV_PATH, rows)
    before = peak_rss_mb()
    started = time.perf_counter()
    counts = {"valid": 0, "invalid": 0, "duplicate": 0}
    for chunk in read_recipient_rows(CSV_PATH, normalise=normalise_email, keywords=["name", "amount"]):
        for row in chunk:
            counts[row.status] += 1
    seconds = time.perf_counter() - started
    size_mb = CSV_PATH.stat().st_size / 1024**2
    print(f"file: {CSV_PATH} ({rows:,} rows, {size_mb:.0f} MB); rows by status: {counts}")
    print(f"read: {seconds:.2f} s, {rows / seconds:,.0f} rows/s")
    print(f"peak RSS: {peak_rss_mb():.0f} MB (before reading: {before:.0f} MB)")


if __name__ == "__main__":
    main()
