"""System checks on the sending settings and the message counters."""

from __future__ import annotations

from typing import Any

from campaigns.checks import check_every_status_has_a_counter, check_sending_timings
from campaigns.transitions import COUNTER, counter_fields


def test_default_sending_timings_pass() -> None:
    assert check_sending_timings() == []


def test_heartbeat_shorter_than_a_renewal_is_refused(settings: Any) -> None:
    settings.CAMPAIGN_LEASE_SECONDS, settings.CAMPAIGN_HEARTBEAT_SECONDS = 30, 5

    assert [error.id for error in check_sending_timings()] == ["campaigns.E002"]


def test_sweep_slower_than_the_lease_is_refused(settings: Any) -> None:
    settings.CAMPAIGN_SWEEP_SECONDS = settings.CAMPAIGN_LEASE_SECONDS + 1

    assert [error.id for error in check_sending_timings()] == ["campaigns.E003"]


def test_visibility_timeout_shorter_than_the_longest_task_is_refused(settings: Any) -> None:
    settings.INGEST_TIME_LIMIT_SECONDS, settings.CELERY_VISIBILITY_TIMEOUT_SECONDS = 600, 300

    [error] = check_sending_timings()
    assert error.id == "campaigns.E004"
    assert "more than 600 s" in error.msg


def test_every_message_status_has_a_counter() -> None:
    assert check_every_status_has_a_counter() == []
    assert set(COUNTER.values()) <= counter_fields()
