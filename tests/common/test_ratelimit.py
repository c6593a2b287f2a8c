"""The shared send rate: a grant counts until its sends are done, however long they take."""

from __future__ import annotations

import time
import uuid

from common import ratelimit
from common.ratelimit import Bucket


def bucket(per_second: int) -> Bucket:
    return Bucket(f"test-{uuid.uuid4().hex}", per_second)


def test_a_grant_still_sending_after_a_second_keeps_its_share() -> None:
    # A loaded machine or a slow provider: the first grant's messages are still going out.
    ten = bucket(10)
    sending = ratelimit.acquire((ten,), 10)
    time.sleep(1.2)

    meanwhile = ratelimit.acquire((ten,), 10)

    assert (sending.count, meanwhile.count) == (10, 0)
    assert meanwhile.wait_seconds < 0.2  # asks again soon: it ends when the sends do


def test_a_settled_grant_frees_its_share_one_second_after_its_sends() -> None:
    ten = bucket(10)
    grant = ratelimit.acquire((ten,), 10)
    time.sleep(1.2)
    ratelimit.settle(grant)

    at_once = ratelimit.acquire((ten,), 10)
    time.sleep(1.1)
    later = ratelimit.acquire((ten,), 10)

    assert (at_once.count, later.count) == (0, 10)
    assert 0.5 < at_once.wait_seconds <= 1.0


def test_a_request_metered_on_arrival_counts_for_one_second() -> None:
    two = bucket(2)
    first = [ratelimit.acquire((two,), 1, settled=True).count for _ in range(3)]
    time.sleep(1.1)

    assert first == [1, 1, 0]
    assert ratelimit.acquire((two,), 1, settled=True).count == 1
