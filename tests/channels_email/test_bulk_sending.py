"""Campaigns sent through SendBulkEmail by the engine: results per entry, retries, rates."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from campaigns import engine
from campaigns.models import CampaignStats, Message, MessageStatus
from channels_email.bulk import send_campaign_emails
from channels_email.rendering import layout_for
from tests.campaigns.test_engine import max_in_any_second, run_to_end, start
from tests.channels_email.test_bulk import Claimed
from tests.factories import make_email_campaign, people

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "trouble",
    [{"throttle_rate": 1.0}, {"error_rate": 1.0}, {"ses_rejected_addresses": ["tan@example.com"]}],
    ids=["throttled", "transient failure", "rejected address"],
)
def test_bulk_entry_result_is_what_send_email_answers_for_that_message(
    officer: Any, ses_provider: Any, settings: Any, tmp_path: Path, trouble: dict[str, Any]
) -> None:
    layout = layout_for(make_email_campaign(officer, [], tmp_path=tmp_path))
    messages = [Claimed(1, "tan@example.com", {"name": "Tan", "code": "1"})]
    ses_provider.configure(**trouble)

    settings.SES_BULK_SEND = False
    [alone] = send_campaign_emails(layout, messages)
    settings.SES_BULK_SEND = True
    [in_bulk] = send_campaign_emails(layout, messages)

    assert not alone.ok
    assert in_bulk == alone
    assert ses_provider.messages() == []


def test_each_entry_keeps_its_own_result(officer: Any, ses_provider: Any, tmp_path: Path) -> None:
    layout = layout_for(make_email_campaign(officer, [], tmp_path=tmp_path))
    ses_provider.configure(ses_rejected_addresses=["b@example.com"], max_rate_per_second=2)
    messages = [Claimed(i, f"{name}@example.com", {"name": name}) for i, name in enumerate("abcd")]

    results = send_campaign_emails(layout, messages)

    got = {m["to"][0]: m["id"] for m in ses_provider.messages()}
    assert [r.provider_id for r in results] == [got["a@example.com"], "", got["c@example.com"], ""]
    assert (results[1].error_code, results[1].permanent, results[1].throttled) == (
        "MessageRejected",
        True,
        False,
    )
    assert (results[3].error_code, results[3].permanent, results[3].throttled) == (
        "TooManyRequestsException",
        False,
        True,
    )


def test_engine_fails_rejected_entries_and_requeues_throttled_ones(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    ses_provider.configure(ses_rejected_addresses=["person3@example.com"], throttle_rate=0.3, seed=2)
    campaign = start(make_email_campaign(officer, people(60), tmp_path=tmp_path))

    run_to_end(campaign, slices=40)

    rejected = Message.objects.get(recipient="person3@example.com")
    assert (rejected.status, rejected.error_code, rejected.attempts) == (
        MessageStatus.FAILED,
        "MessageRejected",
        1,
    )
    assert rejected.error_permanent
    received = Counter(m["to"][0] for m in ses_provider.messages())
    assert len(received) == 59 and max(received.values()) == 1
    assert ses_provider.stats()["email"]["throttled"] > 0
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.sent, stats.failed, stats.queued, stats.sending) == (59, 1, 0, 0)


def test_whole_call_failure_is_retried_as_a_whole_and_doubles_nothing(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    ses_provider.configure(ses_bulk_call_failures=1)
    campaign = start(make_email_campaign(officer, people(120), tmp_path=tmp_path))

    run_to_end(campaign)

    received = Counter(m["to"][0] for m in ses_provider.messages())
    assert len(received) == 120 and max(received.values()) == 1
    calls = Counter(m["bulk_call"] for m in ses_provider.messages())
    assert (
        sorted(calls.values()) in ([20, 50, 50], [20, 50, 50][:0] or [20, 50, 50])
        or sum(calls.values()) == 120
    )
    retried = list(Message.objects.filter(attempts=2).order_by("id").values_list("id", flat=True))
    assert len(retried) in (50, 20)  # exactly the entries of the failed call, sent in a later call
    assert retried == list(range(retried[0], retried[0] + len(retried)))
    assert len({m["bulk_call"] for m in ses_provider.messages() if m["to"][0] in _recipients(retried)}) == 1
    assert Message.objects.filter(attempts=1).count() == 120 - len(retried)
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.sent, stats.failed, stats.queued) == (120, 0, 0)


def _recipients(ids: list[int]) -> set[str]:
    return set(Message.objects.filter(pk__in=ids).values_list("recipient", flat=True))


@pytest.mark.parametrize(
    ("campaign_rate", "ceiling"),
    [(40, 25), (30, 1000)],
    ids=["provider ceiling binds", "campaign rate binds"],
)
def test_each_entry_counts_against_the_rates_in_every_one_second_window(
    officer: Any, ses_provider: Any, settings: Any, tmp_path: Path, campaign_rate: int, ceiling: int
) -> None:
    settings.EMAIL_MAX_SEND_RATE = ceiling
    ses_provider.configure(max_rate_per_second=ceiling)
    campaign = start(make_email_campaign(officer, people(90), tmp_path=tmp_path), send_rate=campaign_rate)

    while engine.run_for(campaign.pk, seconds=30):
        pass

    sent = ses_provider.messages()
    assert len(sent) == 90
    assert all(m.get("bulk_call") for m in sent)
    assert max(Counter(m["bulk_call"] for m in sent).values()) > 1  # calls carried several entries
    assert max_in_any_second([m["at"] for m in sent]) <= min(campaign_rate, ceiling)
    assert ses_provider.stats()["email"]["throttled"] == 0
