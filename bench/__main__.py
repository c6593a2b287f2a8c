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
    ingest_bench.run(rows)
    xlsx_bench.run(int(os.environ.get("BENCH_XLSX_ROWS", "100000")))
    send_bench.run(messages)
    rate_bench.run()
    crash_bench.run(int(os.environ.get("BENCH_CRASH_MESSAGES", "100000")))
    control_bench.run(
        int(os.environ.get("BENCH_CONTROL_MESSAGES", "30000")),
        int(os.environ.get("BENCH_LAG_SLOW_MESSAGES", "300")),
        int(os.environ.get("BENCH_LAG_FAST_MESSAGES", "20000")),
    )
    purge_bench.run(int(os.environ.get("BENCH_PURGE_MESSAGES", "1000000")))
    protected_bench.run(int(os.environ.get("BENCH_PROTECTED_ROWS", "10000")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
