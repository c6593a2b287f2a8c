"""Runs one ingest in its own process, so its peak RSS can be read on its own."""

from __future__ import annotations

import logging
import resource
import sys
import time

from bench.setup import prepare_django


def main(file_id: int, any_outcome: bool) -> None:
    prepare_django()
    # The ingest logs the reader process's own time and peak memory.
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, force=True)
    from campaigns import services
    from campaigns.models import RecipientFile

    recipient_file = RecipientFile.objects.select_related("campaign__owner").get(pk=file_id)
    started = time.perf_counter()
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    # The task's own time, as a worker would spend it; process start-up is reported apart.
    print(f"{time.perf_counter() - started:.3f}")
    print(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    recipient_file.refresh_from_db()
    outcome = "loaded" if recipient_file.status == "ready" else f"refused: {recipient_file.error}"
    print(outcome)
    if recipient_file.status != "ready" and not any_outcome:
        raise SystemExit(f"ingest failed: {recipient_file.error}")


if __name__ == "__main__":
    main(int(sys.argv[1]), "--any-outcome" in sys.argv[2:])
