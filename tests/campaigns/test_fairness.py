"""Four campaigns sending at once through a real worker, each at its own rate: every one moves
before any finishes, and the shared ceilings (the email provider's, one Twilio account's) hold
across all of them in every one-second window."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from campaigns import services
from campaigns.models import Campaign, CampaignStatus
from tests.campaigns.test_engine import max_in_any_second
from tests.channels_sms.conftest import make_credential, make_sms_campaign, number, phones
from tests.factories import make_email_campaign, people
from tests.workers import start_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("counters_hold")]

# One task per campaign and short slices: four campaigns take turns on the worker's two slots
# every second or two, well before the fastest could finish alone.
WORKER_SETTINGS = {"CAMPAIGN_SEND_SLICE_SECONDS": "1", "CAMPAIGN_SEND_CONCURRENCY": "1"}


def send_all_at_once(officer: Any, campaigns: list[tuple[Campaign, int]], *, timeout: float) -> None:
    for campaign, rate in campaigns:
        services.launch_campaign(campaign=campaign, by=officer, send_rate=rate)
    deadline = time.monotonic() + timeout
    ids = [campaign.pk for campaign, _ in campaigns]
    while Campaign.objects.filter(pk__in=ids, status=CampaignStatus.SENT).count() < len(ids):
        assert time.monotonic() < deadline, "the campaigns did not finish"
        time.sleep(0.5)


def first_and_last(messages: list[dict[str, Any]], key: str) -> dict[str, tuple[float, float]]:
    times: dict[str, list[float]] = {}
    for message in messages:
        times.setdefault(message[key], []).append(message["at"])
    return {group: (min(at), max(at)) for group, at in times.items()}


def test_four_email_campaigns_all_progress_under_the_provider_ceiling(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    ceiling, rates = 30, [4, 8, 12, 16]  # together 40 a second: the provider's ceiling binds
    campaigns = [
        (make_email_campaign(officer, people(60, domain=f"c{i}.example.com"), tmp_path=tmp_path), rate)
        for i, rate in enumerate(rates)
    ]
    worker = start_worker(ses_provider.url, tmp_path, EMAIL_MAX_SEND_RATE=str(ceiling), **WORKER_SETTINGS)
    try:
        send_all_at_once(officer, campaigns, timeout=90)
    finally:
        worker.stop()

    received = ses_provider.messages()
    for message in received:
        message["campaign"] = message["to"][0].split("@")[1]
    assert Counter(m["to"][0] for m in received) == Counter(
        {f"person{n}@c{i}.example.com": 1 for i in range(4) for n in range(60)}
    )
    assert max_in_any_second([m["at"] for m in received]) <= ceiling
    for i, rate in enumerate(rates):
        assert max_in_any_second([m["at"] for m in received if m["campaign"] == f"c{i}.example.com"]) <= rate
    spans = first_and_last(received, "campaign")
    assert max(first for first, _ in spans.values()) < min(last for _, last in spans.values())


def test_four_sms_campaigns_on_one_account_all_progress_under_its_ceiling(
    officer: Any, fake_provider: Any, tmp_path: Path
) -> None:
    fake_provider.configure(twilio_callbacks=False)
    ceiling, rates = 6, [1, 2, 3, 4]  # together 10 a second: the account's ceiling binds
    credential = make_credential(officer, max_rate=ceiling)
    campaigns = [
        (
            make_sms_campaign(officer, phones(24, start=100 * i), tmp_path=tmp_path, credential=credential),
            rate,
        )
        for i, rate in enumerate(rates)
    ]
    worker = start_worker(fake_provider.url, tmp_path, **WORKER_SETTINGS)
    try:
        send_all_at_once(officer, campaigns, timeout=90)
    finally:
        worker.stop()

    received = fake_provider.messages("sms")
    for message in received:
        message["campaign"] = int(message["to"][-4:]) // 100
    assert Counter(m["to"] for m in received) == Counter(
        {number(100 * i + n): 1 for i in range(4) for n in range(24)}
    )
    assert max_in_any_second([m["at"] for m in received]) <= ceiling
    for i, rate in enumerate(rates):
        assert max_in_any_second([m["at"] for m in received if m["campaign"] == i]) <= rate
    spans = first_and_last(received, "campaign")
    assert max(first for first, _ in spans.values()) < min(last for _, last in spans.values())
