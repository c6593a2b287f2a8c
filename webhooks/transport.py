"""One POST to a receiver, to an address that was checked, within a hard time limit.

The connection goes to the IP address resolve() approved, never to the name again: the Host
header and TLS (SNI and certificate check) carry the name, so a DNS answer that changes between
check and connect cannot send us elsewhere. http.client follows no redirects and reads no proxy
settings; only the first READ_LIMIT bytes of the answer are read.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from webhooks.addresses import IPAddress, Target

CONNECT_TIMEOUT = 3.0
TOTAL_TIMEOUT = 10.0
READ_LIMIT = 4096


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: bytes
    retry_after: str


class TransportError(Exception):
    """No HTTP answer: connection refused, TLS failure, timeout. Always worth another try."""


def _abort(sock: socket.socket) -> None:
    # Shutting the socket down wakes a thread blocked in recv() or send() on it: that is how a
    # receiver that drips its answer a byte at a time is held to TOTAL_TIMEOUT.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _connect(target: Target, addresses: list[IPAddress], deadline: float) -> socket.socket:
    failures = []
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            return socket.create_connection(
                (str(address), target.port), timeout=min(CONNECT_TIMEOUT, remaining)
            )
        except OSError as error:
            failures.append(f"{address}: {error.strerror or error}")
    raise TransportError("Could not connect (" + "; ".join(failures or ["timed out"]) + ").")


def _open(target: Target, addresses: list[IPAddress], deadline: float) -> http.client.HTTPConnection:
    sock = _connect(target, addresses, deadline)
    sock.settimeout(max(0.1, deadline - time.monotonic()))
    if target.scheme == "https":
        context = ssl.create_default_context()
        try:
            sock = context.wrap_socket(sock, server_hostname=target.host)
        except (ssl.SSLError, OSError) as error:
            sock.close()
            raise TransportError(f"TLS failed: {error}") from None
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, context=context
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port)
    connection.sock = sock  # http.client connects only when it has no socket
    return connection


def post(*, target: Target, addresses: list[IPAddress], body: bytes, headers: dict[str, str]) -> Answer:
    deadline = time.monotonic() + TOTAL_TIMEOUT
    connection = _open(target, addresses, deadline)
    assert connection.sock is not None
    timer = threading.Timer(max(0.0, deadline - time.monotonic()), _abort, (connection.sock,))
    timer.daemon = True
    timer.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.read(READ_LIMIT), response.getheader("Retry-After") or "")
    except (OSError, http.client.HTTPException) as error:
        if time.monotonic() >= deadline - 0.05:
            raise TransportError(f"No answer within {TOTAL_TIMEOUT:g} s.") from None
        raise TransportError(f"The connection failed: {error or type(error).__name__}.") from None
    finally:
        timer.cancel()
        connection.close()
