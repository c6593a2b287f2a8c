"""Slow sends with a short lease, through a real worker: the lease is renewed while a batch goes
out, so the sweeper never takes back rows a live worker holds, and nobody gets a message twice."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from campaigns import engine, services
from campaigns import tasks as campaign_tasks
from campaigns.models import Campaign, CampaignStatus
from campaigns.tasks import sweep_stale_batches
from common.ratelimit import Bucket
from tests.factories import make_email_campaign, people
from tests.workers import start_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("counters_hold")]

# Each batch takes CAMPAIGN_BATCH_SECONDS (5 s) to send at the campaign's rate: more than twice
# this lease, so without renewal the sweeper would take every batch back while it is sent.
LEASE_SECONDS = 2


def test_batch_is_a_few_seconds_of_sending_and_never_over_200() -> None:
    assert engine.batch_size([Bucket("campaign:1", 1)]) == 5
    assert engine.batch_size([Bucket("campaign:1", 10), Bucket("email:ses", 500)]) == 50
    assert engine.batch_size([Bucket("email:ses", 500)]) == 200
    assert engine.grant_size([Bucket("campaign:1", 1)], 5) == 1
    assert engine.grant_size([Bucket("campaign:1", 10)], 50) == 2


@pytest.mark.parametrize(("rate", "tasks"), [(1, 1), (10, 1), (50, 1), (120, 3), (None, 8)])
def test_a_campaign_starts_as_many_sending_tasks_as_its_rate_needs(
    officer: Any, tmp_path: Path, settings: Any, monkeypatch: Any, rate: int | None, tasks: int
) -> None:
    settings.CAMPAIGN_SEND_CONCURRENCY = 8
    campaign = make_email_campaign(officer, people(3), tmp_path=tmp_path)
    Campaign.objects.filter(pk=campaign.pk).update(send_rate=rate)
    started: list[int] = []
    monkeypatch.setattr(campaign_tasks.send_campaign, "delay", started.append)

    campaign_tasks.start_sending(campaign.pk)

    # A slow campaign holds one thread of the worker; full speed (SES's 500/s) spreads over all.
    assert started == [campaign.pk] * tasks


@pytest.mark.parametrize(("rate", "count"), [(1, 20), (10, 300)], ids=["1 per second", "10 per second"])
def test_slow_send_with_a_short_lease_reaches_everyone_exactly_once(
    officer: Any, ses_provider: Any, tmp_path: Path, rate: int, count: int
) -> None:
    campaign = make_email_campaign(officer, people(count), tmp_path=tmp_path)
    worker = start_worker(
        ses_provider.url,
        tmp_path,
        CAMPAIGN_LEASE_SECONDS=str(LEASE_SECONDS),
        CAMPAIGN_BATCH_SECONDS=str(settings.CAMPAIGN_BATCH_SECONDS),
    )
    try:
        services.launch_campaign(campaign=campaign, by=officer, send_rate=rate)
        deadline = time.monotonic() + count / rate + 30
        # The sweeper runs far more often than beat would: any row whose lease lapsed goes back.
        while Campaign.objects.get(pk=campaign.pk).status != CampaignStatus.SENT:
            assert time.monotonic() < deadline, "the campaign did not finish"
            sweep_stale_batches()
            time.sleep(0.25)
    finally:
        worker.stop()

    received = Counter(m["to"][0] for m in ses_provider.messages())
    assert received == Counter({f"person{i}@example.com": 1 for i in range(count)})
    log = (tmp_path / "worker.log").read_text()
    assert "taken back before this worker renewed its lease" not in log
