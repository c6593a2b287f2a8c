"""Loading a recipient file into Message rows with PostgreSQL COPY.

The file is read by a bounded child process (campaigns.recipient_files.bounded) whose COPY text
streams into one COPY. Everything happens in one transaction, so a file that turns out bad
halfway (a ragged row, a non-UTF-8 byte, a time or memory limit) leaves the previous list
exactly as it was.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from campaigns import transitions
from campaigns.channels import channel_for
from campaigns.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    RecipientFile,
    RecipientFileStatus,
    Suppression,
)
from campaigns.recipient_files import MAX_FILE_BYTES, RecipientFileError
from campaigns.recipient_files.bounded import COPY_COLUMNS, BoundedRead, Limits, ReadSummary

logger = logging.getLogger(__name__)


def ingest_progress_key(recipient_file_id: int) -> str:
    """The cache key under which the ingest task reports rows read so far."""
    return f"ingest-progress:{recipient_file_id}"


@contextmanager
def local_copy(stored: FieldFile) -> Iterator[Path]:
    """The stored upload as a private local file, for as long as the reader needs it.

    Read through the storage API, so a worker on another host reads what the web process stored
    (S3 or a shared folder); the parsers need a seekable local file, which an S3 stream is not.
    """
    with tempfile.TemporaryDirectory(prefix="postman-ingest-") as folder:
        path = Path(folder) / "upload"
        with stored.open("rb") as source, path.open("wb") as target:
            copied = 0
            # Past the limit detect_kind refuses the file by its size: no need to copy the rest.
            while copied <= MAX_FILE_BYTES and (chunk := source.read(1 << 20)):
                target.write(chunk)
                copied += len(chunk)
        yield path


def load_recipients(
    *, recipient_file: RecipientFile, path: Path, progress: Callable[[int], None]
) -> dict[str, int]:
    """Replace the campaign's messages with the file's rows; returns counts per status."""
    campaign = recipient_file.campaign
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != CampaignStatus.DRAFT:
            # A late ingest task must never replace the list of a campaign already sending.
            raise RecipientFileError("The campaign is no longer a draft, so its recipients cannot change.")
        Message.objects.filter(campaign=campaign).delete()
        summary = _copy_rows(recipient_file, path, progress)
        counts = {status: count for status, count in summary.counts.items() if count}
        with connection.cursor() as cursor:
            # Statistics from before a bulk load can steer the claim query off its partial index.
            cursor.execute("ANALYZE campaigns_message")
        transitions.count_loaded(campaign, counts)
        if Suppression.objects.applying_to(campaign.owner, campaign.channel).exists():
            suppressed = transitions.suppress_queued(campaign)
            counts[MessageStatus.QUEUED] = counts.get(MessageStatus.QUEUED, 0) - suppressed
            counts[MessageStatus.SUPPRESSED] = suppressed
        _finish_file(recipient_file, counts, summary)
    return counts


def _copy_rows(recipient_file: RecipientFile, path: Path, progress: Callable[[int], None]) -> ReadSummary:
    """COPY the rows a bounded child process reads from the file (INGEST_* limits)."""
    campaign = recipient_file.campaign
    limits = Limits(
        seconds=settings.INGEST_TIME_LIMIT_SECONDS, memory_bytes=settings.INGEST_MEMORY_LIMIT_MB * 1024**2
    )
    with BoundedRead(
        path,
        campaign_id=campaign.pk,
        normaliser=channel_for(campaign.channel).normaliser,
        keywords=campaign.keywords,
        limits=limits,
        progress=progress,
    ) as reader:
        try:
            with connection.cursor() as cursor:
                cursor.copy_expert(f"COPY campaigns_message ({COPY_COLUMNS}) FROM STDIN", reader, 1 << 20)
            return reader.finish()
        finally:
            logger.info(
                "Read recipient file %s: %s rows in %.2f s, reader peak memory %d MB",
                recipient_file.pk,
                reader.rows,
                reader.seconds,
                reader.peak_memory_bytes // 1024**2,
            )


def _finish_file(recipient_file: RecipientFile, counts: dict[str, int], summary: ReadSummary) -> None:
    recipient_file.status = RecipientFileStatus.READY
    recipient_file.headers, recipient_file.notes = summary.info.headers, summary.info.notes
    recipient_file.total = sum(counts.values())
    recipient_file.rows_read = recipient_file.total
    recipient_file.valid = counts.get(MessageStatus.QUEUED, 0)
    recipient_file.invalid = counts.get(MessageStatus.INVALID, 0)
    recipient_file.duplicates = counts.get(MessageStatus.DUPLICATE, 0)
    recipient_file.suppressed = counts.get(MessageStatus.SUPPRESSED, 0)
    recipient_file.finished_at = timezone.now()
    recipient_file.save()
