"""Loading a recipient file into Message rows with PostgreSQL COPY.

The file streams through `read_recipient_rows` in chunks; each chunk becomes one COPY write.
Everything happens in one transaction, so a file that turns out bad halfway (a ragged row, a
non-UTF-8 byte) leaves the previous list exactly as it was.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal, cast

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignStats,
    Message,
    MessageStatus,
    RecipientFile,
    RecipientFileStatus,
    Suppression,
    SuppressionReason,
)
from campaigns.recipient_files import RecipientRow, read_recipient_rows

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


def suppressed_among(campaign: Campaign, recipients: Iterable[str]) -> dict[str, str]:
    """Which of these recipients later campaigns must skip, with the reason shown at upload."""
    wanted = list(recipients)
    if not wanted:
        return {}
    owner = campaign.owner
    # Unsubscribes hold for the agency (or the officer, without one); bounces for everyone.
    own = Q(agency_id=owner.agency_id) if owner.agency_id else Q(owner=owner)
    everyone = Q(reason__in=[SuppressionReason.BOUNCED, SuppressionReason.COMPLAINED])
    # One array parameter instead of an IN list of thousands: far cheaper to build and plan.
    rows = (
        Suppression.objects.filter(channel=campaign.channel)
        .filter(own | everyone)
        .extra(where=["recipient = ANY(%s)"], params=[wanted])  # noqa: S610
    )
    return {s.recipient: s.get_reason_display() for s in rows}


def _chunk_lines(
    campaign: Campaign, chunk: list[RecipientRow], counts: dict[str, int], *, check_suppressed: bool
) -> str:
    valid = (r.recipient for r in chunk if r.status == "valid")
    suppressed = suppressed_among(campaign, valid) if check_suppressed else {}
    lines = []
    for row in chunk:
        status, reason = _ROW_STATUS[row.status], row.reason
        if status == MessageStatus.QUEUED and row.recipient in suppressed:
            status, reason = MessageStatus.SUPPRESSED, f"Suppressed: {suppressed[row.recipient]}"
        counts[status] = counts.get(status, 0) + 1
        lines.append(_copy_line(campaign.pk, row, status, reason))
    return "".join(lines)


def load_recipients(
    *, recipient_file: RecipientFile, path: Path, progress: Callable[[int], None]
) -> dict[str, int]:
    """Replace the campaign's messages with the file's rows; returns counts per status."""
    campaign = recipient_file.campaign
    counts: dict[str, int] = {}
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=campaign.pk)
        Message.objects.filter(campaign=campaign).delete()
        rows_read = 0
        check_suppressed = Suppression.objects.filter(channel=campaign.channel).exists()
        with connection.cursor() as cursor:
            for chunk in read_recipient_rows(
                path, channel=cast(Literal["email", "sms"], campaign.channel), keywords=campaign.keywords
            ):
                data = _chunk_lines(campaign, chunk, counts, check_suppressed=check_suppressed)
                cursor.copy_expert(f"COPY campaigns_message ({_COPY_COLUMNS}) FROM STDIN", io.StringIO(data))
                rows_read += len(chunk)
                progress(rows_read)
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
