"""After a list loads or the template changes: each message's length and the campaign's segments.

Every sendable message is rendered once; those over Twilio's 1,600 characters become invalid
with the reason, and the rest add up to the estimated segments the upload page shows. Rows an
earlier pass set aside are checked again, so a shorter template brings them back. Updates go in
batches (`WHERE id = ANY(...)`), never one statement per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q

from campaigns import transitions
from campaigns.models import (
    Campaign,
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
            _flush(campaign, result, long_ids, long_reasons, short_ids)
    _flush(campaign, result, long_ids, long_reasons, short_ids)
    _move_file_counts(campaign, result.set_aside - result.restored)
    settings, _ = SmsCampaignSettings.objects.update_or_create(
        campaign=campaign, defaults={"estimated_segments": result.segments, "too_long": result.too_long}
    )
    return settings


def _flush(
    campaign: Campaign, result: _Pass, long_ids: list[int], long_reasons: list[str], short_ids: list[int]
) -> None:
    result.set_aside += transitions.set_aside(campaign.pk, code=TOO_LONG, ids=long_ids, reasons=long_reasons)
    result.restored += transitions.restore_set_aside(campaign.pk, code=TOO_LONG, ids=short_ids)
    long_ids.clear()
    long_reasons.clear()
    short_ids.clear()


def _move_file_counts(campaign: Campaign, invalid: int) -> None:
    """`invalid` rows more of the list are invalid (fewer if negative), as many fewer valid."""
    if not invalid:
        return
    current: RecipientFile | None = campaign.recipient_files.first()
    if current is not None and current.status == RecipientFileStatus.READY:
        RecipientFile.objects.filter(pk=current.pk).update(
            valid=F("valid") - invalid, invalid=F("invalid") + invalid
        )
