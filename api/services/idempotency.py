"""Idempotency-Key: a retried request gets the first response instead of sending again.

The record is inserted in the same transaction as the work. A concurrent duplicate blocks on
the unique index until the first commits, then replays its response; if the first fails, its
record rolls back with it and the duplicate goes ahead. Only successful responses are kept, so
a request refused for bad input can be corrected and retried under the same key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from api.errors import ApiError, invalid
from api.models import ApiKey, IdempotencyRecord

TTL = timedelta(hours=24)
MAX_KEY_CHARS = 255
HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def run_idempotent(
    *, api_key: ApiKey, idempotency_key: str | None, fingerprint: str, handler: Callable[[], Response]
) -> Response:
    if idempotency_key is None:
        return handler()
    if (
        not 1 <= len(idempotency_key) <= MAX_KEY_CHARS
        or not idempotency_key.isprintable()
        or not idempotency_key.isascii()
    ):
        raise invalid(HEADER, f"must be 1 to {MAX_KEY_CHARS} printable ASCII characters")
    with transaction.atomic():
        IdempotencyRecord.objects.filter(
            api_key=api_key, key=idempotency_key, created_at__lt=timezone.now() - TTL
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    api_key=api_key, key=idempotency_key, request_hash=fingerprint
                )
        except IntegrityError:
            return _replay(IdempotencyRecord.objects.get(api_key=api_key, key=idempotency_key), fingerprint)
        response = handler()
        record.status_code = response.status
        record.response = json.dumps(response.body, cls=DjangoJSONEncoder)
        record.save(update_fields=["status_code", "response"])
        return response


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise ApiError(
            422, "idempotency_mismatch", f"This {HEADER} was already used with a different request."
        )
    return Response(record.status_code, json.loads(record.response), replayed=True)


def purge_idempotency_records(*, now: datetime | None = None) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=(now or timezone.now()) - TTL).delete()
    return deleted
