"""Settings → Webhooks: register (secret shown once), follow deliveries, replay; owner only."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from tests.webhooks.conftest import FakeDns, attempt
from tests.webhooks.receiver import Receiver, Reply
from webhooks.models import EventType, WebhookDelivery, WebhookEndpoint
from webhooks.services import emit, register_endpoint

pytestmark = pytest.mark.django_db
PAGE = "/settings/webhooks/"


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(strip_tags(response.content.decode())))


def test_settings_nav_links_to_webhooks(officer_client: Client) -> None:
    page = officer_client.get("/settings/api-keys/").content.decode()

    assert '<a class="nav-link" href="/settings/webhooks/">Webhooks</a>' in page


def test_register_shows_the_secret_once_and_stores_it_encrypted(officer_client: Client, dns: FakeDns) -> None:
    dns["hooks.agency.example"] = ["93.184.216.34"]

    created = officer_client.post(
        PAGE, {"url": "https://hooks.agency.example/postman", "campaign_milestones": "on"}
    )

    endpoint = WebhookEndpoint.objects.get()
    secret = endpoint.secret()
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    assert f'value="{secret}"' in created.content.decode()
    assert "This is the only time the secret is shown." in text_of(created)
    assert (endpoint.url, endpoint.campaign_milestones, endpoint.active) == (
        "https://hooks.agency.example/postman",
        True,
        True,
    )
    listing = officer_client.get(PAGE)
    assert secret not in listing.content.decode()
    assert (
        f"https://hooks.agency.example/postman API message status and campaign milestones · "
        f"secret ••••{secret[-4:]}"
    ) in text_of(listing)
    assert secret not in officer_client.get(f"{PAGE}{endpoint.pk}/").content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is a link-local address: Postman calls only public addresses.",
        ),
        (
            "https://internal.agency.example/",
            "internal.agency.example resolves to 10.20.30.40, a private address",
        ),
        ("http://hooks.agency.example/", "The URL must start with https://."),
        ("", "This field is required."),
    ],
)
def test_register_refuses_an_unsafe_url_with_a_clear_message(
    officer_client: Client, dns: FakeDns, url: str, message: str
) -> None:
    dns["internal.agency.example"] = ["10.20.30.40"]
    dns["hooks.agency.example"] = ["93.184.216.34"]

    response = officer_client.post(PAGE, {"url": url})

    assert response.status_code == 200
    assert message in text_of(response)
    assert not WebhookEndpoint.objects.exists()


def test_endpoint_page_lists_deliveries_with_their_last_answer(
    officer: Any, officer_client: Client, settings: Any
) -> None:
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    with Receiver(Reply(503, b"Service Unavailable: maintenance"), Reply(200, b"ok")) as receiver:
        endpoint, _ = register_endpoint(owner=officer, url=receiver.url(), campaign_milestones=False)
        emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data={"id": 1})
        emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data={"id": 2})
        failing, succeeding = WebhookDelivery.objects.order_by("pk")
        attempt(failing)
        attempt(succeeding)

    page = officer_client.get(f"{PAGE}{endpoint.pk}/")

    rows = re.findall(r'data-testid="delivery-row">(.*?)</li>', page.content.decode(), re.DOTALL)
    texts = [re.sub(r"\s+", " ", html.unescape(strip_tags(row))).strip() for row in rows]
    assert len(texts) == 2
    assert texts[0].startswith("message.status_changed Delivered Details")
    assert texts[0].endswith(" · 1 attempt HTTP 200 ok")
    assert texts[1].startswith("message.status_changed Retrying Details")
    assert re.search(r" · 1 attempt · next try [\d:]+ HTTP 503 Service Unavailable: maintenance$", texts[1])


def test_delivery_page_shows_attempts_and_replays(
    officer: Any, officer_client: Client, settings: Any
) -> None:
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    with Receiver(Reply(410, b"gone")) as receiver:
        endpoint, _ = register_endpoint(owner=officer, url=receiver.url(), campaign_milestones=False)
        emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data={"id": 7, "status": "SENT"})
        delivery = attempt(WebhookDelivery.objects.get())
        url = f"{PAGE}{endpoint.pk}/deliveries/{delivery.pk}/"

        response = officer_client.get(url)
        page = text_of(response)
        replayed = officer_client.post(f"{url}replay/", follow=True)
        again = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
        attempt(again)

    assert "message.status_changed Failed" in page
    assert f'data-testid="event-id">{delivery.event_id}</dd>' in response.content.decode()
    assert re.search(r"Attempts # When Answer Took 1 \d+ \w+, [\d:]+ HTTP 410 gone \d+ ms Body", page)
    assert '"status": "SENT"' in page
    assert replayed.redirect_chain == [(f"{PAGE}{endpoint.pk}/deliveries/{again.pk}/", 302)]
    assert "Replayed: the event is on its way again, with the same id." in text_of(replayed)
    assert (again.event_id, again.replay_of_id, again.status) == (delivery.event_id, delivery.pk, "delivered")
    assert [r.headers["Postman-Webhook-Id"] for r in receiver.requests] == [str(delivery.event_id)] * 2


def test_turn_off_on_and_delete(officer: Any, officer_client: Client, settings: Any) -> None:
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    endpoint, _ = register_endpoint(owner=officer, url="http://127.0.0.1:9/", campaign_milestones=False)

    off = officer_client.post(f"{PAGE}{endpoint.pk}/state/", {"active": "off"}, follow=True)
    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert "The endpoint is off" in text_of(off)
    officer_client.post(f"{PAGE}{endpoint.pk}/state/", {"active": "on"})
    endpoint.refresh_from_db()
    assert endpoint.active is True

    deleted = officer_client.post(f"{PAGE}{endpoint.pk}/delete/", follow=True)
    assert "Deleted the endpoint http://127.0.0.1:9/" in text_of(deleted)
    assert not WebhookEndpoint.objects.exists()


def test_another_officers_endpoint_and_deliveries_are_404(
    officer: Any, other_officer: Any, settings: Any
) -> None:
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    endpoint, _ = register_endpoint(owner=officer, url="http://127.0.0.1:9/", campaign_milestones=False)
    emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data={"id": 1})
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", next_attempt_at=None)
    mine, _ = register_endpoint(owner=other_officer, url="http://127.0.0.1:8/", campaign_milestones=False)
    other = Client()
    other.force_login(other_officer)
    base = f"{PAGE}{endpoint.pk}/"
    crossed = f"{PAGE}{mine.pk}/deliveries/{delivery.pk}/"  # their own endpoint, my delivery

    answers = {
        "endpoint": other.get(base).status_code,
        "delivery": other.get(f"{base}deliveries/{delivery.pk}/").status_code,
        "crossed": other.get(crossed).status_code,
        "replay": other.post(f"{base}deliveries/{delivery.pk}/replay/").status_code,
        "crossed replay": other.post(f"{crossed}replay/").status_code,
        "state": other.post(f"{base}state/", {"active": "off"}).status_code,
        "delete": other.post(f"{base}delete/").status_code,
    }

    assert answers == dict.fromkeys(answers, 404)
    endpoint.refresh_from_db()
    assert endpoint.active is True and WebhookDelivery.objects.count() == 1
    assert "127.0.0.1:9" not in other.get(PAGE).content.decode()


def test_pages_need_login() -> None:
    response = Client().get(PAGE)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("count", [1, 3])
def test_list_and_endpoint_pages_do_not_grow_queries_with_rows(
    officer: Any, officer_client: Client, settings: Any, count: int
) -> None:
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    for number in range(count):
        register_endpoint(owner=officer, url=f"http://127.0.0.1:{number + 1}/", campaign_milestones=True)
    endpoint = WebhookEndpoint.objects.first()
    for number in range(count):
        emit(owner_id=officer.pk, event=EventType.CAMPAIGN_STARTED, data={"id": number})
    assert endpoint is not None

    with CaptureQueriesContext(connection) as listing:
        assert officer_client.get(PAGE).status_code == 200
    with CaptureQueriesContext(connection) as deliveries:
        assert officer_client.get(f"{PAGE}{endpoint.pk}/").status_code == 200

    assert (len(listing), len(deliveries)) == QUERIES


QUERIES = (6, 7)  # the same for 1 and 3 rows
