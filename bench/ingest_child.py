"""Runs one ingest in its own process, so its peak RSS can be read on its own."""

from __future__ import annotations

import sys
import time

from bench.setup import prepare_django


def main(file_id: int) -> None:
    prepare_django()
    from campaigns import services
    from campaigns.models import RecipientFile

    recipient_file = RecipientFile.objects.select_related("campaign__owner").get(pk=file_id)
    started = time.perf_counter()
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    # The task's own time, as a worker would spend it; process start-up is reported apart.
    print(f"{time.perf_counter() - started:.3f}")
    recipient_file.refresh_from_db()
    if recipient_file.status != "ready":
        raise SystemExit(f"ingest failed: {recipient_file.error}")


if __name__ == "__main__":
    main(int(sys.argv[1]))
