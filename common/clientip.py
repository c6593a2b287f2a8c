"""The address of the client a request came from, for per-IP limits and the login-code email.

Behind TLS-terminating proxies REMOTE_ADDR is the nearest proxy, so every visitor would share one
address and one visitor could lock everyone out. Each proxy appends the address it received the
request from to X-Forwarded-For; anything further left was written by the client and proves
nothing. With TRUSTED_PROXY_COUNT proxies of our own, the client is the entry that many places
from the right. With 0 (the default) the header is ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: from X-Forwarded-For as our proxies wrote it, else REMOTE_ADDR;
    "" if neither holds an address."""
    count: int = settings.TRUSTED_PROXY_COUNT
    forwarded = request.headers.get("X-Forwarded-For", "")
    if count > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        # Fewer entries than proxies: the request did not come through all of them, so no
        # entry can be trusted.
        if len(hops) >= count and (address := _address(hops[-count])):
            return address
    return _address(request.META.get("REMOTE_ADDR", ""))


def _address(text: str) -> str:
    """`text` as an IP address ("" if it is none), without a port some proxies add."""
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""
