"""Retention purge of one finished campaign of 1,000,000 messages, beside one bare UPDATE."""

from __future__ import annotations

import sys
import time
from datetime import timedelta

from django.db import connection

from bench.setup import reset_data

_FILL = """
    INSERT INTO campaigns_message
        (campaign_id, row_number, recipient, params, status, error_code, error, error_permanent,
         provider_id, attempts)
    SELECT %s, n, 'person' || n || '@example.com',
           jsonb_build_object('name', 'Person ' || n, 'code', 'C' || n),
           'delivered', '', '', false, 'ses-' || n, 1
    FROM generate_series(1, %s) AS n
"""


def finished_campaign(messages: int) -> int:
    from django.utils import timezone

    from accounts.services import ensure_officer
    from campaigns import services
    from campaigns.models import Campaign, CampaignStats, CampaignStatus

    officer = ensure_officer(email="bench@agency.gov.sg")
    campaign = services.create_campaign(owner=officer, name="Purge bench", channel="email")
    with connection.cursor() as cursor:
        cursor.execute(_FILL, [campaign.pk, messages])
        cursor.execute("VACUUM ANALYZE campaigns_message")
    CampaignStats.objects.filter(pk=campaign.pk).update(total=messages, delivered=messages)
    finished = timezone.now() - timedelta(days=31)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT, finished_at=finished)
    return campaign.pk


def bare_update(campaign_id: int) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_message SET recipient = '', params = '{}'::jsonb, error = '' "
            "WHERE campaign_id = %s",
            [campaign_id],
        )
    return time.perf_counter() - started


def run(messages: int) -> None:
    from campaigns.models import Message
    from retention.services import purge_expired_data

    reset_data()
    bare = bare_update(finished_campaign(messages))
    reset_data()
    campaign_id = finished_campaign(messages)
    started = time.perf_counter()
    report = purge_expired_data()
    purge = time.perf_counter() - started
    assert report["messages"] == messages, report
    assert not Message.objects.filter(campaign_id=campaign_id).exclude(recipient="").exists()
    started = time.perf_counter()
    purge_expired_data()
    again = time.perf_counter() - started
    print(
        f"purge: {messages:,} messages in {purge:.1f} s ({messages / purge:,.0f}/s) in batches; "
        f"one bare UPDATE {bare:.1f} s; a second run {again:.2f} s",
        file=sys.stdout,
        flush=True,
    )
