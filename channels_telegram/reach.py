"""After a list loads, the template changes or another bot is chosen: who this campaign can reach.

Rows whose number never subscribed to the campaign's bot become invalid ("Not subscribed to this
bot"); rows whose resident sent /stop or blocked the bot are suppressed; messages over 4,096
characters once personalised become invalid with their length. Rows an earlier pass set aside
go back to the queue first and are judged again, so subscribers who joined since, a shorter
template or another bot bring them back. Each step is a statement or two (the length check, one
per 5,000 rows), never one per row; campaigns.transitions moves the rows and their counters.
"""

from __future__ import annotations

from collections import Counter

from django.db import connection, transaction
from django.db.models import F

from campaigns import transitions
from campaigns.models import (
    Campaign,
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
# How each reach sets a row aside: its status, code and the reason the officer reads.
_ASIDE = {
    Reach.NOT_SUBSCRIBED.value: (
        MessageStatus.INVALID,
        Reach.NOT_SUBSCRIBED.value,
        Reach.NOT_SUBSCRIBED.reason,
    ),
    Reach.STOPPED.value: (MessageStatus.SUPPRESSED, Reach.STOPPED.value, Reach.STOPPED.reason),
}


@transaction.atomic
def check_reach(campaign: Campaign) -> Counter[str]:
    """Set aside what the campaign's bot cannot send; returns how many rows each reason took."""
    restored = transitions.restore_codes(campaign.pk, SET_ASIDE_CODES)
    marked: Counter[str] = Counter()
    bot = campaign_bot(campaign)
    if bot is not None:
        with connection.cursor() as cursor:
            cursor.execute(UNREACHABLE_SQL, {"campaign": campaign.pk, "bot": bot.pk})
            unreachable = cursor.fetchall()
        rows = [(message_id, *_ASIDE[reach]) for message_id, reach in unreachable]
        transitions.set_aside_rows(campaign.pk, rows)
        marked.update(reach for _, reach in unreachable)
    marked[TOO_LONG] = _set_aside_too_long(campaign)
    invalid = marked[Reach.NOT_SUBSCRIBED] + marked[TOO_LONG] - restored[MessageStatus.INVALID]
    suppressed = marked[Reach.STOPPED] - restored[MessageStatus.SUPPRESSED]
    _move_file_counts(campaign, invalid=invalid, suppressed=suppressed)
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
    aside: list[tuple[int, str, str, str]] = []
    count = 0
    for message_id, recipient, params in rows:
        problem = length_problem(render_message(layout, recipient=recipient, params=params))
        if problem:
            aside.append((message_id, MessageStatus.INVALID, TOO_LONG, problem))
        if len(aside) >= FLUSH_ROWS:
            count += transitions.set_aside_rows(campaign.pk, aside).total()
            aside.clear()
    return count + transitions.set_aside_rows(campaign.pk, aside).total()


def _move_file_counts(campaign: Campaign, *, invalid: int, suppressed: int) -> None:
    """The loaded file's summary: `invalid` and `suppressed` more rows (fewer if negative)."""
    if not invalid and not suppressed:
        return
    current: RecipientFile | None = campaign.recipient_files.first()
    if current is not None and current.status == RecipientFileStatus.READY:
        RecipientFile.objects.filter(pk=current.pk).update(
            valid=F("valid") - invalid - suppressed,
            invalid=F("invalid") + invalid,
            suppressed=F("suppressed") + suppressed,
        )
