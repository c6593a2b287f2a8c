"""Reads for the campaign pages: the officer's campaigns, steps, progress and the CSV downloads.

Counts come from CampaignStats and RecipientFile, never from counting messages; the downloads
stream rows with server-side cursors so a million-row campaign is never held in memory.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format

from campaigns import progress
from campaigns.ingest import ingest_progress_key
from campaigns.models import (
    Campaign,
    CampaignStats,
    Message,
    MessageStatus,
    RecipientFile,
    RecipientFileStatus,
)
from campaigns.templating import RECIPIENT

REJECTED_STATUSES = (MessageStatus.INVALID, MessageStatus.DUPLICATE, MessageStatus.SUPPRESSED)
EXPORT_COLUMNS = [
    "row",
    "recipient",
    "status",
    "error_code",
    "error",
    "sent_at",
    "delivered_at",
    "updated_at",
]
# A spreadsheet treats a cell starting with these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def owned_campaign(user: Any, pk: int) -> Campaign:
    """The officer's own live campaign, with its counters; 404 for anyone else's or a deleted one."""
    return get_object_or_404(Campaign.objects.owned_by(user).select_related("stats"), pk=pk)


def dashboard_campaigns(
    user: Any, *, channel: str = "", status: str = "", search: str = ""
) -> QuerySet[Campaign]:
    campaigns = Campaign.objects.owned_by(user).select_related("stats").order_by("-created_at", "-id")
    if channel:
        campaigns = campaigns.filter(channel=channel)
    if status:
        campaigns = campaigns.filter(status=status)
    if search:
        campaigns = campaigns.filter(name__icontains=search)
    return campaigns


def file_columns(campaign: Campaign) -> list[str]:
    """The columns a recipient file must have for the saved template: "recipient" first."""
    return columns_for(campaign.keywords)


def columns_for(keywords: Iterable[str]) -> list[str]:
    """The columns a recipient file must have for these keywords: "recipient" first."""
    return [RECIPIENT, *sorted(keyword for keyword in set(keywords) if keyword != RECIPIENT)]


def current_recipient_file(campaign: Campaign) -> RecipientFile | None:
    return campaign.recipient_files.first()


def ingest_rows_read(recipient_file: RecipientFile) -> int:
    """Rows the ingest task has read so far (it reports through the cache while it runs)."""
    return int(cache.get(ingest_progress_key(recipient_file.pk)) or recipient_file.rows_read)


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    url_name: str
    done: bool
    available: bool
    summary: str


def campaign_steps(campaign: Campaign, recipient_file: RecipientFile | None) -> list[Step]:
    """The four steps of a draft, each done or not, and whether it can be opened yet."""
    stats = campaign.stats
    has_list = recipient_file is not None and recipient_file.status == RecipientFileStatus.READY
    ready = campaign.has_template and has_list and stats.queued > 0
    message = f"Subject: {campaign.subject}" if campaign.has_template else "Write the subject and message."
    if has_list:
        recipients = f"{stats.queued:,} recipient{'' if stats.queued == 1 else 's'} ready to send to."
    else:
        recipients = "Upload a CSV or Excel file of recipients."
    tested = "Send the first message to yourself."
    if campaign.test_sent_at:
        at = date_format(timezone.localtime(campaign.test_sent_at), "j M Y, H:i")
        tested = f"Test sent on {at}. Send another after changing the message."
    return [
        Step(1, "Message", "campaigns:template", campaign.has_template, True, message),
        Step(2, "Recipients", "campaigns:recipients", ready, campaign.has_template, recipients),
        Step(3, "Test", "campaigns:test_send", ready and campaign.test_sent_at is not None, ready, tested),
        Step(4, "Send", "campaigns:send", not campaign.is_editable, ready, "Check the count and send."),
    ]


@dataclass(frozen=True)
class RowCounts:
    """Where every row of the file is now; the first seven figures add up to `rows`.

    "Sent" is every message handed to the provider, whatever it became afterwards (delivered,
    bounced, or its recipient unsubscribed or complained); those three are shown beside it.
    """

    rows: int
    sent: int
    sending: int
    queued: int
    failed: int
    suppressed: int
    invalid: int
    duplicate: int
    delivered: int
    bounced: int
    unsubscribed: int

    @property
    def not_sent(self) -> int:
        """Rows set aside before sending: suppressed addresses, invalid and duplicate rows."""
        return self.suppressed + self.invalid + self.duplicate

    @property
    def done(self) -> int:
        """Rows with nothing more to do: sent, failed or set aside."""
        return self.sent + self.failed + self.not_sent

    @property
    def accounted(self) -> int:
        return self.done + self.sending + self.queued


def row_counts(stats: CampaignStats) -> RowCounts:
    return RowCounts(
        rows=stats.total,
        sent=stats.sent + stats.delivered + stats.bounced + stats.unsubscribed,
        sending=stats.sending,
        queued=stats.queued,
        failed=stats.failed,
        suppressed=stats.suppressed,
        invalid=stats.invalid,
        duplicate=stats.duplicate,
        delivered=stats.delivered,
        bounced=stats.bounced,
        unsubscribed=stats.unsubscribed,
    )


@dataclass(frozen=True)
class Chart:
    """Messages a second, each point the average over `step` seconds, labelled in Singapore time."""

    step: int
    points: list[tuple[str, float]]


def _chart(timeline: progress.Timeline) -> Chart:
    step, buckets = timeline.steps()
    points = [
        (timezone.localtime(datetime.fromtimestamp(start, UTC)).strftime("%H:%M:%S"), round(count / step, 1))
        for start, count in buckets
    ]
    return Chart(step, points)


@dataclass(frozen=True)
class Progress:
    counts: RowCounts
    percent: int
    rate: float
    seconds_left: int | None
    finish_at: datetime | None
    chart: Chart


def campaign_progress(campaign: Campaign, *, now: float | None = None) -> Progress:
    """Every row's place from the counters; rate, time left and chart from the Redis timeline."""
    counts = row_counts(campaign.stats)
    now = time.time() if now is None else now
    timeline = progress.timeline(campaign.pk)
    rate = timeline.rate(now)
    left = progress.time_left(counts.queued + counts.sending, rate)
    percent = min(100, counts.done * 100 // counts.rows) if counts.rows > 0 else 0
    finish_at = timezone.now() + timedelta(seconds=left) if left else None
    return Progress(counts, percent, round(rate, 1), left, finish_at, _chart(timeline))


FAILURE_REASONS_SHOWN = 5


def failure_reasons(campaign: Campaign) -> list[tuple[str, int]]:
    """The commonest reasons messages failed, each with how many: the export lists every one."""
    rows = (
        Message.objects.filter(campaign=campaign, status=MessageStatus.FAILED)
        .values_list("error", "error_code")
        .annotate(count=Count("id"))
        .order_by("-count", "error")[:FAILURE_REASONS_SHOWN]
    )
    return [(error or code or "No reason given", count) for error, code, count in rows]


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: formula-like values get a leading single quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _local(moment: datetime | None) -> str:
    """ISO 8601 in Singapore time, as every time Postman shows: 2025-03-03T09:02:03+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def rejected_rows(campaign: Campaign) -> Iterator[list[str]]:
    """Header, then every invalid, duplicate or suppressed row with its reason, in file order."""
    yield ["row", "recipient", "reason"]
    rows = (
        Message.objects.filter(campaign=campaign, status__in=REJECTED_STATUSES)
        .order_by("row_number")
        .values_list("row_number", "recipient", "error")
        .iterator(chunk_size=2000)
    )
    for row_number, recipient, error in rows:
        yield [str(row_number), safe_cell(recipient), safe_cell(error)]


def export_param_columns(campaign: Campaign) -> list[str]:
    """The recipient file's own columns, in its order: those of the list now loaded."""
    loaded = campaign.recipient_files.filter(status=RecipientFileStatus.READY).first()
    return [name for name in (loaded.headers if loaded else []) if name != RECIPIENT]


def export_rows(campaign: Campaign) -> Iterator[list[str]]:
    """Header, then one row per message with its outcome and the recipient's columns."""
    columns = export_param_columns(campaign)
    # Opens and clicks only where the campaign tracked them: elsewhere an empty column would
    # read as "nobody opened it".
    engagement = ["opened_at", "clicked_at"] if campaign.track_opens else []
    yield [*EXPORT_COLUMNS, *engagement, *(safe_cell(name) for name in columns)]
    rows = (
        Message.objects.filter(campaign=campaign)
        .order_by("row_number")
        .values_list(
            "row_number",
            "recipient",
            "status",
            "error_code",
            "error",
            "sent_at",
            "delivered_at",
            "updated_at",
            "opened_at",
            "clicked_at",
            "params",
        )
        .iterator(chunk_size=5000)
    )
    for row_number, recipient, status, code, error, sent_at, delivered_at, updated_at, *more in rows:
        opened_at, clicked_at, params = more
        values = [recipient, status, code, error, _local(sent_at), _local(delivered_at), _local(updated_at)]
        if engagement:
            values += [_local(opened_at), _local(clicked_at)]
        yield [str(row_number), *(safe_cell(v) for v in values), *(safe_cell(params.get(c)) for c in columns)]
