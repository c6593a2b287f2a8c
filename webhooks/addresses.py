"""Where a webhook may go: a public address, checked after DNS resolution.

An officer chooses the URL but our workers fetch it from inside our network, so without these
checks a callback could reach the cloud metadata service, Redis or the database (SSRF). The
check runs at registration and again at every attempt, on the very addresses the transport then
connects to, so a name that changes its answer in between (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# NAT64's well-known prefix carries an IPv4 address in its last 32 bits, and Python calls the
# whole range global: 64:ff9b::a00:1 is 10.0.0.1 to a NAT64 gateway.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")


class UnsafeUrl(ValueError):
    """A URL Postman will not call; the message says why, for the officer."""


class UnresolvableHost(Exception):
    """DNS gave no answer: refused at registration, retried at send time (it may be passing)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def allow_loopback() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_LOOPBACK", False))


def parse_url(url: str) -> Target:
    """The parts of a callback URL, or UnsafeUrl when its shape alone rules it out."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"The URL is too long: at most {MAX_URL_LENGTH} characters.")
    if not url.isprintable() or any(c.isspace() for c in url):
        raise UnsafeUrl("The URL must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("This is not a valid URL.") from None
    schemes = {"https", "http"} if allow_loopback() else {"https"}
    if parts.scheme.lower() not in schemes:
        raise UnsafeUrl("The URL must start with https://.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("The URL must not contain a user name or password; Postman signs every request.")
    if parts.fragment:
        raise UnsafeUrl("The URL must not contain a #fragment.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host name.")
    try:
        host = parts.hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UnsafeUrl("The host name is not valid.") from None
    if port == 0:
        raise UnsafeUrl("This is not a valid URL.")
    scheme = parts.scheme.lower()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not path.isascii():
        raise UnsafeUrl("Percent-encode any character outside ASCII in the path and query.")
    return Target(scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80), path=path)


def refusal(ip: IPAddress) -> str | None:
    """Why Postman will not connect to this address, or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and (reason := refusal(embedded)):
            return reason
    if ip.is_loopback:
        return None if allow_loopback() else "a loopback address"
    for kind, flag in (
        ("an unspecified address", ip.is_unspecified),
        ("a link-local address", ip.is_link_local),
        ("a multicast address", ip.is_multicast),
        ("a private address", ip.is_private),
        ("a reserved address", ip.is_reserved),
        ("a shared (carrier-grade NAT) address", ip in CARRIER_GRADE_NAT),
    ):
        if flag:
            return kind
    return None if ip.is_global else "not a public address"


def resolve(target: Target) -> list[IPAddress]:
    """Every address the host resolves to, each one public, or UnsafeUrl.

    One private answer among public ones refuses the whole name: mixed answers are how
    rebinding attacks are built, and no real receiver needs them.
    """
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnresolvableHost(f"{target.host} could not be resolved ({error}).") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnresolvableHost(f"{target.host} could not be resolved.")
    for address in addresses:
        reason = refusal(address)
        if reason:
            where = f"{address} is" if _is_literal(target.host) else f"{target.host} resolves to {address},"
            raise UnsafeUrl(f"{where} {reason}: Postman calls only public addresses.")
    if target.scheme == "http" and not all(address.is_loopback for address in addresses):
        raise UnsafeUrl("The URL must start with https://.")
    return addresses


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_url(url: str) -> Target:
    """Registration's check: the URL's shape and where its name points now."""
    target = parse_url(url)
    try:
        resolve(target)
    except UnresolvableHost:
        raise UnsafeUrl(f"{target.host} could not be found: check the host name.") from None
    return target
