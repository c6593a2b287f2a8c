"""After a list loads or the template changes: each message's length and the campaign's segments.

Every sendable message is rendered once; those over Twilio's 1,600 characters become invalid
with the reason, and the rest add up to the estimated segments the upload page shows. Rows an
earlier pass set aside are checked again, so a shorter template brings them back. Updates go in
batches (`WHERE id = ANY(...)`), never one statement per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Q

from campaigns.models import (
    Campaign,
    CampaignStats,
    Message,
    MessageStatus,
    RecipientFile,
    RecipientFileStatus,
)
from channels_sms.models import SmsCampaignSettings
from channels_sms.rendering import layout_for, render_body
from channels_sms.segments import MAX_CHARACTERS, count_segments

TOO_LONG = "too_long"
FLUSH_ROWS = 5000

_SET_ASIDE_SQL = """
UPDATE campaigns_message AS m SET status = 'invalid', error_code = %s, error = v.error
FROM unnest(%s::bigint[], %s::text[]) AS v(id, error)
WHERE m.id = v.id AND m.status = 'queued'
"""
_RESTORE_SQL = """
UPDATE campaigns_message SET status = 'queued', error_code = '', error = ''
WHERE id = ANY(%s) AND status = 'invalid' AND error_code = %s
"""


def too_long_reason(characters: int) -> str:
    return f"Message is {characters:,} characters after personalisation; the limit is 1,600."


@dataclass
class _Pass:
    segments: int = 0
    too_long: int = 0
    set_aside: int = 0
    restored: int = 0


@transaction.atomic
def check_lengths(campaign: Campaign) -> SmsCampaignSettings:
    """Mark over-long messages invalid (and bring back ones now short enough); store the estimate."""
    layout = layout_for(campaign)
    result = _Pass()
    long_ids: list[int] = []
    long_reasons: list[str] = []
    short_ids: list[int] = []
    rows = (
        Message.objects.filter(campaign=campaign)
        .filter(Q(status=MessageStatus.QUEUED) | Q(status=MessageStatus.INVALID, error_code=TOO_LONG))
        .order_by()
        .values_list("id", "recipient", "params", "status")
        .iterator(chunk_size=FLUSH_ROWS)
    )
    for message_id, recipient, params, status in rows:
        body = render_body(layout, recipient=recipient, params=params)
        if len(body) > MAX_CHARACTERS:
            result.too_long += 1
            if status == MessageStatus.QUEUED:
                long_ids.append(message_id)
                long_reasons.append(too_long_reason(len(body)))
        else:
            result.segments += count_segments(body).segments
            if status == MessageStatus.INVALID:
                short_ids.append(message_id)
        if len(long_ids) >= FLUSH_ROWS or len(short_ids) >= FLUSH_ROWS:
            _flush(result, long_ids, long_reasons, short_ids)
    _flush(result, long_ids, long_reasons, short_ids)
    _move_counters(campaign, result.set_aside - result.restored)
    settings, _ = SmsCampaignSettings.objects.update_or_create(
        campaign=campaign, defaults={"estimated_segments": result.segments, "too_long": result.too_long}
    )
    return settings


def _flush(result: _Pass, long_ids: list[int], long_reasons: list[str], short_ids: list[int]) -> None:
    with connection.cursor() as cursor:
        if long_ids:
            cursor.execute(_SET_ASIDE_SQL, [TOO_LONG, long_ids, long_reasons])
            result.set_aside += cursor.rowcount
        if short_ids:
            cursor.execute(_RESTORE_SQL, [short_ids, TOO_LONG])
            result.restored += cursor.rowcount
    long_ids.clear()
    long_reasons.clear()
    short_ids.clear()


def _move_counters(campaign: Campaign, invalid: int) -> None:
    """`invalid` messages more are invalid (fewer if negative), the same number fewer queued."""
    if not invalid:
        return
    CampaignStats.objects.filter(pk=campaign.pk).update(
        queued=F("queued") - invalid, invalid=F("invalid") + invalid
    )
    current: RecipientFile | None = campaign.recipient_files.first()
    if current is not None and current.status == RecipientFileStatus.READY:
        RecipientFile.objects.filter(pk=current.pk).update(
            valid=F("valid") - invalid, invalid=F("invalid") + invalid
        )
