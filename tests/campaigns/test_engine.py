from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns import engine
from campaigns.delivery import MAX_ATTEMPTS
from campaigns.engine import Outcome
from campaigns.events import apply_delivery_event
from campaigns.models import Campaign, CampaignStats, CampaignStatus, Message, MessageStatus
from tests.factories import make_email_campaign, people

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("counters_hold")]


def start(campaign: Campaign, **fields: Any) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, **fields)
    campaign.refresh_from_db()
    return campaign


def run_to_end(campaign: Campaign, slices: int = 20) -> None:
    for _ in range(slices):
        if not engine.run_for(campaign.pk, seconds=30, sleep=lambda s: None):
            return
    raise AssertionError("campaign did not finish")


def max_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_send_delivers_each_message_once_with_its_own_values(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    campaign = start(make_email_campaign(officer, people(30), tmp_path=tmp_path))

    run_to_end(campaign)

    sent = ses_provider.messages()
    assert sorted(m["to"][0] for m in sent) == sorted(f"person{i}@example.com" for i in range(30))
    by_to = {m["to"][0]: m for m in sent}
    assert by_to["person7@example.com"]["subject"] == "Hello Person 7"
    assert "Dear Person 7, your code is C00007." in by_to["person7@example.com"]["html"]
    assert "Dear Person 7, your code is C00007." in by_to["person7@example.com"]["text"]
    assert by_to["person7@example.com"]["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.queued, stats.sending, stats.sent, stats.failed) == (0, 0, 30, 0)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert campaign.finished_at is not None
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert Message.objects.exclude(provider_id="").count() == 30


def test_send_skips_invalid_duplicate_and_suppressed_rows(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    rows = [*people(5), {"recipient": "not-an-email", "name": "X", "code": "1"}, people(1)[0]]
    campaign = start(make_email_campaign(officer, rows, tmp_path=tmp_path))

    run_to_end(campaign)

    assert len(ses_provider.messages()) == 5
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.total, stats.sent, stats.invalid, stats.duplicate) == (7, 5, 1, 1)


def test_send_with_throttling_backs_off_and_loses_nothing(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    ses_provider.configure(throttle_rate=0.3, seed=7)
    campaign = start(make_email_campaign(officer, people(60), tmp_path=tmp_path))
    pauses: list[float] = []

    for _ in range(30):
        if not engine.run_for(campaign.pk, seconds=30, sleep=pauses.append):
            break

    recipients = Counter(m["to"][0] for m in ses_provider.messages())
    assert len(recipients) == 60
    assert max(recipients.values()) == 1
    assert ses_provider.stats()["email"]["throttled"] > 0
    assert pauses and max(pauses) > 0  # it waited instead of spinning
    assert CampaignStats.objects.get(pk=campaign.pk).sent == 60


def test_send_with_transient_errors_ends_every_message_sent_or_failed_with_reason(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    ses_provider.configure(error_rate=0.3, seed=3)
    campaign = start(make_email_campaign(officer, people(80), tmp_path=tmp_path))

    run_to_end(campaign)

    statuses = Counter(Message.objects.values_list("status", flat=True))
    assert set(statuses) <= {MessageStatus.SENT, MessageStatus.FAILED}
    assert sum(statuses.values()) == 80
    assert statuses[MessageStatus.SENT] == len(ses_provider.messages())
    for failed in Message.objects.filter(status=MessageStatus.FAILED):
        assert failed.error_code == "InternalFailure"
        assert failed.attempts == MAX_ATTEMPTS


def test_send_rate_holds_in_every_one_second_window(officer: Any, ses_provider: Any, tmp_path: Path) -> None:
    campaign = start(make_email_campaign(officer, people(45), tmp_path=tmp_path), send_rate=15)

    while engine.run_for(campaign.pk, seconds=30):
        pass

    times = [m["at"] for m in ses_provider.messages()]
    assert len(times) == 45
    assert max_in_any_second(times) <= 15


def test_claims_never_hand_out_the_same_message_twice(officer: Any, tmp_path: Path) -> None:
    campaign = start(make_email_campaign(officer, people(25), tmp_path=tmp_path))

    first = engine.claim_batch(campaign_id=campaign.pk, limit=10)
    second = engine.claim_batch(campaign_id=campaign.pk, limit=10)
    third = engine.claim_batch(campaign_id=campaign.pk, limit=10)

    ids = [m.id for m in first + second + third]
    assert len(ids) == len(set(ids)) == 25
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.queued, stats.sending) == (0, 25)


def test_requeued_message_behind_the_cursor_is_claimed_again(officer: Any, tmp_path: Path) -> None:
    campaign = start(make_email_campaign(officer, people(5), tmp_path=tmp_path))
    batch = engine.claim_batch(campaign_id=campaign.pk, limit=5)
    outcomes = {m.id: Outcome(MessageStatus.SENT, provider_id="p") for m in batch}
    outcomes[batch[0].id] = Outcome(MessageStatus.QUEUED, error_code="Throttling")
    engine.record_results(campaign_id=campaign.pk, outcomes=outcomes)

    again = engine.claim_batch(campaign_id=campaign.pk)

    assert [m.id for m in again] == [batch[0].id]
    assert again[0].attempts == 2


def test_results_never_move_a_message_backwards(officer: Any, tmp_path: Path) -> None:
    campaign = start(make_email_campaign(officer, people(1), tmp_path=tmp_path))
    [claimed] = engine.claim_batch(campaign_id=campaign.pk)
    engine.record_results(campaign_id=campaign.pk, outcomes={claimed.id: Outcome(MessageStatus.SENT, "id-1")})
    apply_delivery_event(provider_id="id-1", status=MessageStatus.DELIVERED)

    changed = engine.record_results(
        campaign_id=campaign.pk, outcomes={claimed.id: Outcome(MessageStatus.FAILED, error_code="late")}
    )

    assert changed == Counter()
    message = Message.objects.get(pk=claimed.id)
    assert (message.status, message.provider_id) == (MessageStatus.DELIVERED, "id-1")


def test_sweeper_returns_expired_leases_to_the_queue(officer: Any, tmp_path: Path) -> None:
    campaign = start(make_email_campaign(officer, people(4), tmp_path=tmp_path))
    batch = engine.claim_batch(campaign_id=campaign.pk, limit=3)

    assert engine.sweep_stale() == 0
    returned = engine.sweep_stale(now=timezone.now() + timedelta(seconds=settings.CAMPAIGN_LEASE_SECONDS + 1))

    assert returned == 3
    assert Message.objects.filter(pk__in=[m.id for m in batch], status=MessageStatus.QUEUED).count() == 3
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.queued, stats.sending) == (4, 0)


def test_paused_or_halted_campaign_sends_nothing(officer: Any, ses_provider: Any, tmp_path: Path) -> None:
    campaign = start(make_email_campaign(officer, people(3), tmp_path=tmp_path))
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.PAUSED)

    assert engine.run_for(campaign.pk, seconds=5) is False
    assert ses_provider.messages() == []


@pytest.mark.parametrize(
    "trouble",
    [{"throttle_rate": 0.3, "seed": 11}, {"latency_ms": 500}, {"error_rate": 0.05, "seed": 5}],
    ids=["throttles 30%", "answers in 500 ms", "fails 5% transiently"],
)
def test_provider_trouble_ends_every_message_and_never_exceeds_the_rate(
    officer: Any, ses_provider: Any, tmp_path: Path, trouble: dict[str, Any]
) -> None:
    ses_provider.configure(**trouble)
    campaign = start(make_email_campaign(officer, people(40), tmp_path=tmp_path), send_rate=20)

    for _ in range(40):
        if not engine.run_for(campaign.pk, seconds=30):
            break

    statuses = Counter(Message.objects.values_list("status", flat=True))
    assert set(statuses) <= {MessageStatus.SENT, MessageStatus.FAILED}
    assert sum(statuses.values()) == 40
    assert all(m.error for m in Message.objects.filter(status=MessageStatus.FAILED))
    accepted = ses_provider.messages()
    assert len(accepted) == statuses[MessageStatus.SENT]
    assert max_in_any_second([m["at"] for m in accepted]) <= 20
