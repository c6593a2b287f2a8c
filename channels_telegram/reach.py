"""After a list loads, the template changes or another bot is chosen: who this campaign can reach.

Rows whose number never subscribed to the campaign's bot become invalid ("Not subscribed to this
bot"); rows whose resident sent /stop or blocked the bot are suppressed; messages over 4,096
characters once personalised become invalid with their length. Rows an earlier pass set aside
go back to the queue first and are judged again, so subscribers who joined since, a shorter
template or another bot bring them back. Each step is one statement (the length check, one per
5,000 rows), never one per row.
"""

from __future__ import annotations

from collections import Counter

from django.db import connection, transaction
from django.db.models import F

from campaigns.models import (
    Campaign,
    CampaignStats,
    Message,
    MessageStatus,
    RecipientFile,
    RecipientFileStatus,
)
from channels_telegram.models import CampaignTelegramSettings
from channels_telegram.recipients import UNREACHABLE_SQL, Reach
from channels_telegram.sending import campaign_bot
from channels_telegram.templating import cached_layout, length_problem, render_message

TOO_LONG = "too_long"
SET_ASIDE_CODES = [Reach.NOT_SUBSCRIBED.value, Reach.STOPPED.value, TOO_LONG]
FLUSH_ROWS = 5000

_RESTORE_SQL = """
WITH aside AS (
    SELECT id, status FROM campaigns_message
    WHERE campaign_id = %(campaign)s AND status IN ('invalid', 'suppressed')
      AND error_code = ANY(%(codes)s)
    FOR UPDATE
)
UPDATE campaigns_message AS m SET status = 'queued', error_code = '', error = ''
FROM aside WHERE m.id = aside.id
RETURNING aside.status
"""
# Only constants are joined here: UNREACHABLE_SQL takes its values as parameters.
_MARK_SQL = (
    """
UPDATE campaigns_message AS m
SET status = CASE u.reach WHEN 'not_subscribed' THEN 'invalid' ELSE 'suppressed' END,
    error_code = u.reach,
    error = CASE u.reach WHEN 'not_subscribed' THEN %(not_subscribed)s ELSE %(stopped)s END
FROM ("""
    + UNREACHABLE_SQL
    + """) AS u
WHERE m.id = u.id
RETURNING u.reach
"""
)
_TOO_LONG_SQL = """
UPDATE campaigns_message AS m SET status = 'invalid', error_code = %s, error = v.error
FROM unnest(%s::bigint[], %s::text[]) AS v(id, error)
WHERE m.id = v.id AND m.status = 'queued'
"""


@transaction.atomic
def check_reach(campaign: Campaign) -> Counter[str]:
    """Set aside what the campaign's bot cannot send; returns how many rows each reason took."""
    with connection.cursor() as cursor:
        cursor.execute(_RESTORE_SQL, {"campaign": campaign.pk, "codes": SET_ASIDE_CODES})
        restored = Counter(status for (status,) in cursor.fetchall())
        marked: Counter[str] = Counter()
        bot = campaign_bot(campaign)
        if bot is not None:
            cursor.execute(
                _MARK_SQL,
                {
                    "campaign": campaign.pk,
                    "bot": bot.pk,
                    "not_subscribed": Reach.NOT_SUBSCRIBED.reason,
                    "stopped": Reach.STOPPED.reason,
                },
            )
            marked.update(reach for (reach,) in cursor.fetchall())
    marked[TOO_LONG] = _set_aside_too_long(campaign)
    invalid = marked[Reach.NOT_SUBSCRIBED] + marked[TOO_LONG] - restored[MessageStatus.INVALID]
    suppressed = marked[Reach.STOPPED] - restored[MessageStatus.SUPPRESSED]
    _move_counters(campaign, invalid=invalid, suppressed=suppressed)
    CampaignTelegramSettings.objects.filter(campaign=campaign).update(
        not_subscribed=marked[Reach.NOT_SUBSCRIBED], stopped=marked[Reach.STOPPED], too_long=marked[TOO_LONG]
    )
    return marked


def _set_aside_too_long(campaign: Campaign) -> int:
    layout = cached_layout(campaign.pk, campaign.template_version, campaign.body)
    rows = (
        Message.objects.filter(campaign=campaign, status=MessageStatus.QUEUED)
        .order_by()
        .values_list("id", "recipient", "params")
        .iterator(chunk_size=FLUSH_ROWS)
    )
    ids: list[int] = []
    reasons: list[str] = []
    count = 0
    for message_id, recipient, params in rows:
        problem = length_problem(render_message(layout, recipient=recipient, params=params))
        if problem:
            ids.append(message_id)
            reasons.append(problem)
        if len(ids) >= FLUSH_ROWS:
            count += _flush(ids, reasons)
    return count + _flush(ids, reasons)


def _flush(ids: list[int], reasons: list[str]) -> int:
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_TOO_LONG_SQL, [TOO_LONG, ids, reasons])
        count = cursor.rowcount
    ids.clear()
    reasons.clear()
    return count


def _move_counters(campaign: Campaign, *, invalid: int, suppressed: int) -> None:
    """`invalid` and `suppressed` more messages (fewer if negative), as many fewer queued."""
    if not invalid and not suppressed:
        return
    CampaignStats.objects.filter(pk=campaign.pk).update(
        queued=F("queued") - invalid - suppressed,
        invalid=F("invalid") + invalid,
        suppressed=F("suppressed") + suppressed,
    )
    current: RecipientFile | None = campaign.recipient_files.first()
    if current is not None and current.status == RecipientFileStatus.READY:
        RecipientFile.objects.filter(pk=current.pk).update(
            valid=F("valid") - invalid - suppressed,
            invalid=F("invalid") + invalid,
            suppressed=F("suppressed") + suppressed,
        )
