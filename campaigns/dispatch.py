"""Background work asked for by domain code, which never imports Celery or its tasks.

`campaigns.tasks` plugs each job's enqueue callable in when the app loads (CampaignsConfig);
services and the engine call `after_commit`, so a rolled-back change enqueues nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

START_SENDING = "start_sending"
INGEST_RECIPIENT_FILE = "ingest_recipient_file"
NOTIFY_OWNER = "notify_owner"

_enqueue: dict[str, Callable[..., Any]] = {}


def connect(job: str, enqueue: Callable[..., Any]) -> None:
    _enqueue[job] = enqueue


def after_commit(job: str, *args: Any) -> None:
    """Enqueue `job` with `args` once the current transaction commits (at once outside one)."""
    enqueue = _enqueue[job]
    transaction.on_commit(lambda: enqueue(*args))
