from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from common.clientip import client_ip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.254"),  # no proxy of ours: the header is the client's own words
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "192.0.2.66, 198.51.100.1", "198.51.100.1"),  # the left-most entry is the client's
        (2, "192.0.2.66, 198.51.100.1, 10.1.1.1", "198.51.100.1"),
        (2, "198.51.100.1", "10.0.0.254"),  # fewer entries than proxies: trust none of them
        (1, "198.51.100.1:52311", "198.51.100.1"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "not-an-address", "10.0.0.254"),
        (1, "", "10.0.0.254"),
    ],
)
def test_client_ip_counts_our_proxies_from_the_right(
    proxies: int, forwarded: str, expected: str, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected
