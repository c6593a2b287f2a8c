"""`make bench`: ingest, sending and the retention purge measured on this machine, beside bare baselines.

Runs against its own database (the configured server, database `postman_bench`) so it never
touches development data. Prints one line per figure.
"""

from __future__ import annotations

import os
import sys

from bench import setup


def main() -> int:
    setup.prepare_django()
    from bench import (
        control_bench,
        crash_bench,
        ingest_bench,
        protected_bench,
        purge_bench,
        rate_bench,
        send_bench,
        xlsx_bench,
    )

    rows = int(os.environ.get("BENCH_INGEST_ROWS", "1000000"))
    messages = int(os.environ.get("BENCH_SEND_MESSAGES", "200000"))
    # BENCH_ONLY=send,headline runs just those parts.
    only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
    if not only or "ingest" in only:
        ingest_bench.run(rows)
    if not only or "xlsx" in only:
        xlsx_bench.run(int(os.environ.get("BENCH_XLSX_ROWS", "100000")))
    if not only or "send" in only:
        send_bench.run(messages, int(os.environ.get("BENCH_SINGLE_MESSAGES", "30000")))
    if not only or "headline" in only:
        send_bench.headline(int(os.environ.get("BENCH_HEADLINE_RECIPIENTS", "1000000")))
    if not only or "crash" in only:
        crash_bench.run(int(os.environ.get("BENCH_CRASH_MESSAGES", "100000")))
    if not only or "rate" in only:
        rate_bench.run()
    if not only or "control" in only:
        control_bench.run(
            int(os.environ.get("BENCH_CONTROL_MESSAGES", "30000")),
            int(os.environ.get("BENCH_LAG_SLOW_MESSAGES", "300")),
            int(os.environ.get("BENCH_LAG_FAST_MESSAGES", "20000")),
        )
    if not only or "purge" in only:
        purge_bench.run(int(os.environ.get("BENCH_PURGE_MESSAGES", "1000000")))
    if not only or "protected" in only:
        protected_bench.run(int(os.environ.get("BENCH_PROTECTED_ROWS", "10000")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
