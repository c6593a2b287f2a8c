from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from api.models import ApiKey, ApiSettings, TransactionalEmail
from api.services.keys import create_api_key
from tests.api.conftest import EMAIL, ApiClient, send_json
from tests.factories import make_officer

pytestmark = pytest.mark.django_db

LIST = "/api/v1/transactional/email"


def test_request_without_key_is_401_with_how_to_send_it() -> None:
    response = Client().get(LIST)

    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthenticated",
        "message": 'Missing API key: send it as the header "Authorization: Bearer <key>".',
    }


def test_request_with_other_scheme_is_401(api_key: tuple[Any, str]) -> None:
    response = Client(HTTP_AUTHORIZATION=f"Token {api_key[1]}").get(LIST)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_request_with_unknown_key_is_401_and_sends_nothing(api_key: tuple[Any, str]) -> None:
    response = send_json(ApiClient(api_key[1][:-1] + "x"), EMAIL)

    assert response.status_code == 401
    assert response.json() == {"code": "unauthenticated", "message": "Invalid API key."}
    assert not TransactionalEmail.objects.exists()


def test_request_with_revoked_key_is_401(api_key: tuple[Any, str], api_client: ApiClient) -> None:
    ApiKey.objects.filter(pk=api_key[0].pk).update(revoked_at=datetime.now(UTC))

    response = send_json(api_client, EMAIL)

    assert response.status_code == 401
    assert response.json() == {"code": "unauthenticated", "message": "This API key has been revoked."}
    assert not TransactionalEmail.objects.exists()


def test_request_with_expired_key_is_401(api_key: tuple[Any, str], api_client: ApiClient) -> None:
    with time_machine.travel(api_key[0].expires_at + timedelta(seconds=1), tick=False):
        response = send_json(api_client, EMAIL)

    assert response.status_code == 401
    assert response.json() == {"code": "unauthenticated", "message": "This API key has expired."}


def test_key_works_until_the_moment_it_expires(api_key: tuple[Any, str], api_client: ApiClient) -> None:
    with time_machine.travel(api_key[0].expires_at - timedelta(seconds=1), tick=False):
        assert api_client.get(LIST).status_code == 200


def test_key_of_a_deactivated_officer_is_401(officer: Any, api_client: ApiClient) -> None:
    officer.is_active = False
    officer.save()

    response = api_client.get(LIST)

    assert response.status_code == 401
    assert response.json()["message"] == "The account this API key belongs to is disabled."


def test_use_records_last_used_at_at_most_once_a_minute(
    api_key: tuple[Any, str], api_client: ApiClient
) -> None:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        api_client.get(LIST)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        api_client.get(LIST)
    api_key[0].refresh_from_db()
    assert api_key[0].last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api_client.get(LIST)
    api_key[0].refresh_from_db()
    assert api_key[0].last_used_at == start + timedelta(seconds=61)


def _post_all(
    url: str, key: str | list[str], count: int, *, send: bool = True
) -> list[tuple[int, dict[str, str], Any]]:
    """`count` requests at once from threads, like a client's burst; (status, headers, body) each.

    Each thread connects first and only then waits for the others: the test server's listen
    backlog is 10, and connections beyond it would be retried by TCP a second later.
    """
    parts = urllib.parse.urlsplit(url)
    results: list[tuple[int, dict[str, str], Any]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(count)
    keys = [key] if isinstance(key, str) else key

    def one(i: int) -> None:
        headers = {"Authorization": f"Bearer {keys[i % len(keys)]}", "Content-Type": "application/json"}
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        connection.connect()
        barrier.wait()
        body = json.dumps({**EMAIL, "subject": f"Burst {i}"}) if send else None
        connection.request("POST" if send else "GET", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        outcome = (response.status, dict(response.getheaders()), json.loads(response.read()))
        connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
        time.sleep(0.01)  # connect one by one, within the backlog
    for thread in threads:
        thread.join()
    return results


def _warm_up(url: str, key: str) -> None:
    """One send first, as a running server has done: the first opens the broker connection (~1 s)."""
    assert _post_all(f"{url}/api/v1/transactional/email/send", key, 1)[0][0] == 201


@pytest.mark.django_db(transaction=True)
def test_twenty_requests_in_one_second_from_one_key_accept_ten_and_refuse_ten(
    live_server: Any, officer: Any
) -> None:
    burst_key, plain = create_api_key(owner=officer, label="Burst")
    # Another officer's key: the officer's own would take one of their ten this second.
    _warm_up(live_server.url, create_api_key(owner=make_officer("warm.up@agency.gov.sg"), label="Warm-up")[1])

    # The 20 threads start together, so all 20 requests reach the server within the same second.
    results = _post_all(f"{live_server.url}/api/v1/transactional/email/send", plain, 20)

    statuses = sorted(status for status, _, _ in results)
    assert statuses == [201] * 10 + [429] * 10
    refused = [(headers, body) for status, headers, body in results if status == 429]
    assert all(
        body == {"code": "rate_limit", "message": "Too many requests. Please try again later."}
        for _, body in refused
    )
    assert all(headers["Retry-After"] == "1" for headers, _ in refused)
    # Refused requests are not saved (Postman #1933).
    assert TransactionalEmail.objects.filter(api_key=burst_key).count() == 10


@pytest.mark.django_db(transaction=True)
def test_twenty_keys_of_one_officer_limited_to_one_a_second_get_one_answer_a_second(
    live_server: Any, officer: Any
) -> None:
    ApiSettings.objects.create(user=officer, rate_per_second=1, max_active_keys=20)
    keys = [create_api_key(owner=officer, label=f"Key {i}")[1] for i in range(20)]

    started = time.monotonic()
    results = _post_all(f"{live_server.url}/api/v1/transactional/email", keys, 20, send=False)
    elapsed = time.monotonic() - started

    accepted = sum(1 for status, _, _ in results if status == 200)
    refused = [body for status, _, body in results if status == 429]
    # All twenty normally land within one second: exactly one 200. On a slow machine a burst may
    # straddle more seconds, each of which can let one more through, never one per key.
    assert 1 <= accepted <= 1 + int(elapsed)
    assert len(refused) == 20 - accepted
    assert all(body["code"] == "rate_limit" for body in refused)


@pytest.mark.django_db(transaction=True)
def test_rate_limit_of_one_officer_leaves_another_officers_keys_alone(live_server: Any, officer: Any) -> None:
    _, first = create_api_key(owner=officer, label="First")
    _, second = create_api_key(owner=make_officer("someone@other.gov.sg"), label="Second")

    url = f"{live_server.url}/api/v1/transactional/email"
    results = _post_all(url, first, 10, send=False) + _post_all(url, second, 10, send=False)

    assert [status for status, _, _ in results] == [200] * 20


@pytest.mark.django_db(transaction=True)
def test_rate_set_for_an_officer_in_the_admin_applies_to_their_keys(live_server: Any, officer: Any) -> None:
    ApiSettings.objects.create(user=officer, rate_per_second=3)
    _, plain = create_api_key(owner=officer, label="Slow")

    results = _post_all(f"{live_server.url}/api/v1/transactional/email", plain, 6, send=False)

    assert sorted(status for status, _, _ in results) == [200] * 3 + [429] * 3


def test_rate_limit_window_frees_up_after_a_second(officer: Any) -> None:
    ApiSettings.objects.create(user=officer, rate_per_second=2)
    client = ApiClient(create_api_key(owner=officer, label="Key")[1])

    assert [client.get(LIST).status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(1.05)
    assert client.get(LIST).status_code == 200


def test_admin_can_set_an_officers_rate(officer: Any, admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/api/apisettings/add/", {"user": officer.pk, "rate_per_second": 25, "max_active_keys": 10}
    )

    assert response.status_code == 302
    assert ApiSettings.objects.get(user=officer).rate_per_second == 25
