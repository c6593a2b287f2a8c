"""Every move of a message between statuses, with its counter in CampaignStats.

This is the one module that writes a message's status or CampaignStats: each function moves
rows and the counters by exactly what moved, in one transaction, so `GROUP BY status` over a
campaign's messages always equals its counters. Moves go forward only (QUEUED → SENDING →
SENT → DELIVERED, or to a final status), except the few ways back named here: the sweeper's
and a worker's requeue, a retry of failed messages, a resubscribe, an SMS set aside and restored.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from campaigns.models import Campaign, CampaignStats, Message, MessageStatus, suppression_sql

# The most messages one claim takes.
MAX_BATCH = 200
# The counter that holds each status: every status has one (a system check makes sure).
COUNTER = {status: status.value for status in MessageStatus}


def counter_fields() -> set[str]:
    return {field.name for field in CampaignStats._meta.get_fields()}


def _shift(campaign_id: int, moved: Mapping[tuple[str, str], int], **extra: Any) -> None:
    """Move the counters by `moved` ((from, to) → how many messages)."""
    delta: Counter[str] = Counter()
    for (before, after), count in moved.items():
        delta[COUNTER[MessageStatus(before)]] -= count
        delta[COUNTER[MessageStatus(after)]] += count
    updates: dict[str, Any] = {name: F(name) + change for name, change in delta.items() if change}
    updates.update(extra)
    if updates:
        CampaignStats.objects.filter(pk=campaign_id).update(**updates)


# --- Counters of a campaign and its loaded list ------------------------------------------


def open_counters(campaign: Campaign) -> CampaignStats:
    return CampaignStats.objects.create(campaign=campaign)


def count_loaded(campaign: Campaign, counts: Mapping[str, int]) -> None:
    """A list was loaded in place of any before it: the counters start again from its rows."""
    values = {COUNTER[status]: counts.get(status, 0) for status in MessageStatus}
    CampaignStats.objects.update_or_create(
        campaign=campaign, defaults={**values, "total": sum(counts.values()), "claim_cursor": 0}
    )


@transaction.atomic
def discard_loaded(campaign: Campaign) -> None:
    """The loaded list no longer fits the template: its messages go, and their counts."""
    Message.objects.filter(campaign=campaign).delete()
    CampaignStats.objects.filter(campaign=campaign).update(
        total=0, claim_cursor=0, **{COUNTER[status]: 0 for status in MessageStatus}
    )


_SUPPRESS_SQL = """
UPDATE campaigns_message AS m
SET status = 'suppressed', error_code = 'suppressed',
    error = 'Suppressed: ' || CASE s.reason WHEN 'bounced' THEN 'Hard bounce'
                                            WHEN 'complained' THEN 'Complaint'
                                            ELSE 'Unsubscribed' END
FROM campaigns_suppression AS s
WHERE m.campaign_id = %(campaign)s AND m.status = 'queued' AND s.recipient = m.recipient AND {applies}
RETURNING m.id
"""


@transaction.atomic
def suppress_queued(campaign: Campaign) -> int:
    """Set aside queued recipients on the suppression list that applies to the campaign's owner
    (`Suppression.objects.applying_to`), in one statement."""
    applies, params = suppression_sql(campaign.owner, campaign.channel, alias="s")
    with connection.cursor() as cursor:
        cursor.execute(_SUPPRESS_SQL.format(applies=applies), {"campaign": campaign.pk, **params})
        moved = len({row[0] for row in cursor.fetchall()})
    _shift(campaign.pk, {(MessageStatus.QUEUED, MessageStatus.SUPPRESSED): moved})
    return moved


_SET_ASIDE_SQL = """
UPDATE campaigns_message AS m SET status = 'invalid', error_code = %s, error = v.error
FROM unnest(%s::bigint[], %s::text[]) AS v(id, error)
WHERE m.id = v.id AND m.status = 'queued'
"""
_RESTORE_SQL = """
UPDATE campaigns_message SET status = 'queued', error_code = '', error = ''
WHERE id = ANY(%s) AND status = 'invalid' AND error_code = %s
"""


def set_aside(campaign_id: int, *, code: str, ids: Sequence[int], reasons: Sequence[str]) -> int:
    """Queued messages that cannot be sent as they are become invalid, each with its reason."""
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_SET_ASIDE_SQL, [code, list(ids), list(reasons)])
        moved = cursor.rowcount
    _shift(campaign_id, {(MessageStatus.QUEUED, MessageStatus.INVALID): moved})
    return moved


def restore_set_aside(campaign_id: int, *, code: str, ids: Sequence[int]) -> int:
    """Messages set aside for `code` that can now be sent go back to the queue."""
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_RESTORE_SQL, [list(ids), code])
        moved = cursor.rowcount
    _shift(campaign_id, {(MessageStatus.INVALID, MessageStatus.QUEUED): moved}, claim_cursor=0)
    return moved


_SET_ASIDE_ROWS_SQL = """
UPDATE campaigns_message AS m SET status = v.status, error_code = v.code, error = v.error
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS v(id, status, code, error)
WHERE m.id = v.id AND m.campaign_id = %s AND m.status = 'queued'
RETURNING v.status
"""
_RESTORE_CODES_SQL = """
WITH aside AS (
    SELECT id, status FROM campaigns_message
    WHERE campaign_id = %s AND status IN ('invalid', 'suppressed') AND error_code = ANY(%s)
    FOR UPDATE
)
UPDATE campaigns_message AS m SET status = 'queued', error_code = '', error = ''
FROM aside WHERE m.id = aside.id
RETURNING aside.status
"""
_ASIDE = frozenset({MessageStatus.INVALID, MessageStatus.SUPPRESSED})


def set_aside_rows(campaign_id: int, rows: Sequence[tuple[int, str, str, str]]) -> Counter[str]:
    """Queued messages a channel will not send become invalid or suppressed.

    `rows` are (message id, status, code, reason); returns how many moved to each status.
    """
    if not rows:
        return Counter()
    if unknown := {status for _, status, _, _ in rows} - _ASIDE:
        raise ValueError(f"Rows are set aside as invalid or suppressed, not {sorted(unknown)}")
    ids, statuses, codes, reasons = (list(column) for column in zip(*rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(_SET_ASIDE_ROWS_SQL, [ids, statuses, codes, reasons, campaign_id])
        moved = Counter(status for (status,) in cursor.fetchall())
    _shift(campaign_id, {(MessageStatus.QUEUED, status): n for status, n in moved.items()})
    return moved


def restore_codes(campaign_id: int, codes: Sequence[str]) -> Counter[str]:
    """Messages a channel set aside under `codes` go back to the queue, to be judged again;
    returns how many came back from each status."""
    with connection.cursor() as cursor:
        cursor.execute(_RESTORE_CODES_SQL, [campaign_id, list(codes)])
        restored = Counter(status for (status,) in cursor.fetchall())
    moved: dict[tuple[str, str], int] = {(status, MessageStatus.QUEUED): n for status, n in restored.items()}
    _shift(campaign_id, moved, claim_cursor=0)
    return restored


# --- Sending: claim, renew, record, sweep ------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    recipient: str
    params: dict[str, str]
    attempts: int


_CLAIM_SQL = """
WITH batch AS (
    SELECT id FROM campaigns_message
    WHERE campaign_id = %s AND status = 'queued' AND id > %s
    ORDER BY id LIMIT %s
    FOR UPDATE SKIP LOCKED
)
UPDATE campaigns_message AS m
SET status = 'sending', attempts = m.attempts + 1, lease_expires_at = %s, updated_at = %s
FROM batch WHERE m.id = batch.id
RETURNING m.id, m.recipient, m.params, m.attempts
"""


def claim_batch(*, campaign_id: int, limit: int = MAX_BATCH) -> list[Claimed]:
    """Claim up to `limit` queued messages, in id order after the campaign's cursor.

    The cursor keeps each claim from walking over rows other workers already took. Rows put
    back behind it (throttled, swept) are found by one scan from the start once it runs dry.
    """
    cursor_value = CampaignStats.objects.filter(pk=campaign_id).values_list("claim_cursor", flat=True).first()
    rows = _claim_after(campaign_id, cursor_value or 0, limit)
    if not rows and cursor_value:
        rows = _claim_after(campaign_id, 0, limit)
    return rows


@transaction.atomic
def _claim_after(campaign_id: int, after_id: int, limit: int) -> list[Claimed]:
    now = timezone.now()
    with connection.cursor() as cursor:
        lease = timedelta(seconds=settings.CAMPAIGN_LEASE_SECONDS)
        cursor.execute(_CLAIM_SQL, [campaign_id, after_id, limit, now + lease, now])
        rows = [Claimed(r[0], r[1], _params(r[2]), r[3]) for r in cursor.fetchall()]
    if rows:
        CampaignStats.objects.filter(pk=campaign_id).update(
            queued=F("queued") - len(rows),
            sending=F("sending") + len(rows),
            claim_cursor=max(r.id for r in rows),
        )
    return rows


def _params(value: Any) -> dict[str, str]:
    # psycopg2 decodes jsonb to a dict; a json column would arrive as text.
    return dict(json.loads(value) if isinstance(value, str) else value)


@dataclass(frozen=True)
class Outcome:
    status: str
    provider_id: str = ""
    error_code: str = ""
    error: str = ""
    permanent: bool = False  # a failure the provider called final: never retried


_RECORD_SQL = """
UPDATE campaigns_message AS m
SET status = v.status, provider_id = v.provider_id, error_code = v.error_code, error = v.error,
    error_permanent = v.permanent,
    sent_at = CASE WHEN v.status = 'sent' THEN %s ELSE m.sent_at END,
    lease_expires_at = NULL, updated_at = %s
FROM (VALUES {values}) AS v(id, status, provider_id, error_code, error, permanent, attempts)
WHERE m.id = v.id AND m.status = 'sending' AND (v.attempts IS NULL OR m.attempts = v.attempts)
RETURNING m.id, v.status
"""


@transaction.atomic
def record_results(
    *, campaign_id: int, outcomes: dict[int, Outcome], held: Mapping[int, int] | None = None
) -> Counter[str]:
    """Write outcomes and move the campaign's counters by what actually changed.

    With `held` (message id → the attempt it was claimed under), only rows still held under
    that claim are written: a row the sweeper took back and someone else claimed is theirs.
    """
    if not outcomes:
        return Counter()
    held = held or {}
    now = timezone.now()
    values = ", ".join(["(%s::bigint, %s, %s, %s, %s, %s::boolean, %s::integer)"] * len(outcomes))
    params: list[Any] = [now, now]
    for message_id, outcome in outcomes.items():
        params += [
            message_id,
            outcome.status,
            outcome.provider_id,
            outcome.error_code,
            outcome.error[:1000],
            outcome.permanent,
            held.get(message_id),
        ]
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_SQL.format(values=values), params)
        changed = Counter(status for _, status in cursor.fetchall())
    moved = sum(changed.values())
    if moved:
        updates: dict[str, Any] = {"sending": F("sending") - moved}
        for status, count in changed.items():
            updates[status] = F(status) + count
        if changed[MessageStatus.QUEUED]:
            # Requeued rows sit behind the cursor; pull it back so the next claim finds them.
            lowest = min(i for i, o in outcomes.items() if o.status == MessageStatus.QUEUED)
            updates["claim_cursor"] = lowest - 1
        CampaignStats.objects.filter(pk=campaign_id).update(**updates)
    return changed


_RENEW_SQL = """
UPDATE campaigns_message AS m SET lease_expires_at = %s
FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::integer[]) AS attempts) AS held
WHERE m.id = held.id AND m.attempts = held.attempts AND m.status = 'sending'
RETURNING m.id
"""


def renew(held: Mapping[int, int]) -> set[int]:
    """Extend the lease on rows still held under these claims (id → attempt); the ids kept."""
    if not held:
        return set()
    expires = timezone.now() + timedelta(seconds=settings.CAMPAIGN_LEASE_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(_RENEW_SQL, [expires, list(held), list(held.values())])
        return {row[0] for row in cursor.fetchall()}


def sweep_stale(*, now: datetime | None = None) -> int:
    """Return messages whose lease ran out (their worker died) to the queue."""
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE campaigns_message SET status = 'queued', lease_expires_at = NULL, updated_at = %s
            WHERE status = 'sending' AND lease_expires_at < %s
            RETURNING campaign_id
            """,
            [now, now],
        )
        per_campaign = Counter(row[0] for row in cursor.fetchall())
        for campaign_id, count in per_campaign.items():
            CampaignStats.objects.filter(pk=campaign_id).update(
                queued=F("queued") + count, sending=F("sending") - count, claim_cursor=0
            )
    return sum(per_campaign.values())


# --- After sending: delivery events, unsubscribes, retries -------------------------------


def move_message(message: Message, to: str, **fields: Any) -> bool:
    """Move one message, locked by the caller, from its current status to `to`, with `fields`."""
    before = message.status
    if before == to:
        return False
    updated = Message.objects.filter(pk=message.pk, status=before).update(
        status=to, updated_at=timezone.now(), **fields
    )
    if updated:
        _shift(message.campaign_id, {(before, to): 1})
    return bool(updated)


@transaction.atomic
def requeue_failed(campaign: Campaign, *, where: Q) -> int:
    """Failed messages matching `where` go back to the queue as if never tried."""
    count = Message.objects.filter(where, campaign=campaign, status=MessageStatus.FAILED).update(
        status=MessageStatus.QUEUED,
        attempts=0,
        error_code="",
        error="",
        provider_id="",
        lease_expires_at=None,
        updated_at=timezone.now(),
    )
    _shift(campaign.pk, {(MessageStatus.FAILED, MessageStatus.QUEUED): count}, claim_cursor=0)
    return count


def count_engagement(campaign_id: int, counters: Sequence[str]) -> None:
    """One message more opened and/or clicked: counters beside the statuses, which stay as they are."""
    if unknown := set(counters) - {"opened", "clicked"}:
        raise ValueError(f"Not engagement counters: {sorted(unknown)}")
    CampaignStats.objects.filter(pk=campaign_id).update(**{name: F(name) + 1 for name in counters})


def counts_by_status(campaign_id: int) -> Counter[str]:
    """Messages per status counted in the table, not the counters: for checks, never for pages."""
    rows = Message.objects.filter(campaign_id=campaign_id).values("status").annotate(n=Count("id"))
    return Counter({row["status"]: row["n"] for row in rows})
