"""Loading a recipient file into Message rows with PostgreSQL COPY.

The file streams through `read_recipient_rows` in chunks; each chunk becomes one COPY write.
Everything happens in one transaction, so a file that turns out bad halfway (a ragged row, a
non-UTF-8 byte) leaves the previous list exactly as it was.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal, cast

from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignStats,
    CampaignStatus,
    Message,
    MessageStatus,
    RecipientFile,
    RecipientFileStatus,
    Suppression,
)
from campaigns.recipient_files import RecipientFileError, RecipientRow, read_recipient_rows

_COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_COPY_COLUMNS = "campaign_id, row_number, recipient, params, status, error_code, error, provider_id, attempts"
_ROW_STATUS = {
    "valid": MessageStatus.QUEUED,
    "invalid": MessageStatus.INVALID,
    "duplicate": MessageStatus.DUPLICATE,
}


def _copy_text(value: str) -> str:
    return value.translate(_COPY_ESCAPE) if _NEEDS_ESCAPE.search(value) else value


def _copy_line(campaign_id: int, row: RecipientRow, status: str, reason: str) -> str:
    # JSON already escapes tabs and line breaks; only its backslashes need doubling for COPY.
    params = json.dumps(row.params, ensure_ascii=False, separators=(",", ":")).replace("\\", "\\\\")
    code = "" if status == MessageStatus.QUEUED else status
    recipient = _copy_text(row.recipient)
    return f"{campaign_id}\t{row.row}\t{recipient}\t{params}\t{status}\t{code}\t{_copy_text(reason)}\t\t0\n"


_SUPPRESS_SQL = """
UPDATE campaigns_message AS m
SET status = 'suppressed', error_code = 'suppressed',
    error = 'Suppressed: ' || CASE s.reason WHEN 'bounced' THEN 'Hard bounce'
                                            WHEN 'complained' THEN 'Complaint'
                                            ELSE 'Unsubscribed' END
FROM campaigns_suppression AS s
WHERE m.campaign_id = %(campaign)s AND m.status = 'queued'
  AND s.channel = %(channel)s AND s.recipient = m.recipient
  AND (s.reason IN ('bounced', 'complained') OR s.agency_id = %(agency)s OR s.owner_id = %(owner)s)
RETURNING m.id
"""


def mark_suppressed(campaign: Campaign) -> int:
    """Set aside queued recipients on the suppression list, in one statement after the load.

    Unsubscribes hold for the agency (or the officer, without one); bounces and complaints
    hold for everyone.
    """
    owner = campaign.owner
    params: dict[str, int | str | None] = {
        "campaign": campaign.pk,
        "channel": campaign.channel,
        "agency": owner.agency_id,
        "owner": owner.pk,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SUPPRESS_SQL, params)
        return len({row[0] for row in cursor.fetchall()})


class _CopyStream(io.TextIOBase):
    """One COPY for the whole file, fed chunk by chunk as psycopg2 reads.

    PostgreSQL parses and indexes each chunk in its own process while the next one is built
    here, so reading the file and loading it overlap on two cores.
    """

    def __init__(self, chunks: Iterator[tuple[str, int]]) -> None:
        self._chunks = chunks
        self._buffer = ""
        self.rows = 0
        self.progress: Callable[[int], None] = lambda rows: None
        self.error: RecipientFileError | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        while size is None or size < 0 or len(self._buffer) < size:
            try:
                lines, count = next(self._chunks)
            except StopIteration:
                break
            except RecipientFileError as error:
                # Raised inside psycopg2's read loop it would surface as a copy error; end the
                # data here and re-raise after, so the transaction rolls back with this message.
                self.error = error
                break
            self._buffer += lines
            self.rows += count
            self.progress(self.rows)
        if size is None or size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _chunk_lines(campaign: Campaign, chunk: list[RecipientRow], counts: dict[str, int]) -> tuple[str, int]:
    lines = []
    for row in chunk:
        status, reason = _ROW_STATUS[row.status], row.reason
        counts[status] = counts.get(status, 0) + 1
        lines.append(_copy_line(campaign.pk, row, status, reason))
    return "".join(lines), len(chunk)


def load_recipients(
    *, recipient_file: RecipientFile, path: Path, progress: Callable[[int], None]
) -> dict[str, int]:
    """Replace the campaign's messages with the file's rows; returns counts per status."""
    campaign = recipient_file.campaign
    counts: dict[str, int] = {}
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != CampaignStatus.DRAFT:
            # A late ingest task must never replace the list of a campaign already sending.
            raise RecipientFileError("The campaign is no longer a draft, so its recipients cannot change.")
        Message.objects.filter(campaign=campaign).delete()
        chunks = read_recipient_rows(
            path, channel=cast(Literal["email", "sms"], campaign.channel), keywords=campaign.keywords
        )
        stream = _CopyStream(_chunk_lines(campaign, chunk, counts) for chunk in chunks)
        stream.progress = progress
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY campaigns_message ({_COPY_COLUMNS}) FROM STDIN", stream, 1 << 20)
        if stream.error is not None:
            raise stream.error
        with connection.cursor() as cursor:
            # Statistics from before a bulk load can steer the claim query off its partial index.
            cursor.execute("ANALYZE campaigns_message")
        if Suppression.objects.filter(channel=campaign.channel).exists():
            suppressed = mark_suppressed(campaign)
            counts[MessageStatus.QUEUED] = counts.get(MessageStatus.QUEUED, 0) - suppressed
            counts[MessageStatus.SUPPRESSED] = suppressed
        _reset_stats(campaign, counts)
        _finish_file(recipient_file, counts)
    return counts


def _reset_stats(campaign: Campaign, counts: dict[str, int]) -> None:
    CampaignStats.objects.update_or_create(
        campaign=campaign,
        defaults={
            "total": sum(counts.values()),
            "queued": counts.get(MessageStatus.QUEUED, 0),
            "invalid": counts.get(MessageStatus.INVALID, 0),
            "duplicate": counts.get(MessageStatus.DUPLICATE, 0),
            "suppressed": counts.get(MessageStatus.SUPPRESSED, 0),
            "sending": 0,
            "sent": 0,
            "delivered": 0,
            "failed": 0,
            "bounced": 0,
            "unsubscribed": 0,
            "claim_cursor": 0,
        },
    )


def _finish_file(recipient_file: RecipientFile, counts: dict[str, int]) -> None:
    recipient_file.status = RecipientFileStatus.READY
    recipient_file.total = sum(counts.values())
    recipient_file.rows_read = recipient_file.total
    recipient_file.valid = counts.get(MessageStatus.QUEUED, 0)
    recipient_file.invalid = counts.get(MessageStatus.INVALID, 0)
    recipient_file.duplicates = counts.get(MessageStatus.DUPLICATE, 0)
    recipient_file.suppressed = counts.get(MessageStatus.SUPPRESSED, 0)
    recipient_file.finished_at = timezone.now()
    recipient_file.save()
