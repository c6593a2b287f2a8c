"""`make bench`: ingest and sending measured on this machine, beside bare baselines.

Runs against its own database (the configured server, database `postman_bench`) so it never
touches development data. Prints one line per figure.
"""

from __future__ import annotations

import os
import sys

from bench import setup


def main() -> int:
    setup.prepare_django()
    from bench import crash_bench, ingest_bench, protected_bench, send_bench, xlsx_bench

    rows = int(os.environ.get("BENCH_INGEST_ROWS", "1000000"))
    messages = int(os.environ.get("BENCH_SEND_MESSAGES", "200000"))
    ingest_bench.run(rows)
    xlsx_bench.run(int(os.environ.get("BENCH_XLSX_ROWS", "100000")))
    send_bench.run(messages)
    crash_bench.run(int(os.environ.get("BENCH_CRASH_MESSAGES", "100000")))
    protected_bench.run(int(os.environ.get("BENCH_PROTECTED_ROWS", "10000")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
