"""Callback URLs reach only public addresses: refused at registration and again at send time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from tests.webhooks.conftest import FakeDns, attempt
from tests.webhooks.receiver import Receiver, certificate_authority
from webhooks.models import DeliveryStatus, EventType, WebhookDelivery, WebhookEndpoint
from webhooks.services import WebhookError, emit, register_endpoint

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

# (address, what the officer is told it is)
FORBIDDEN = [
    ("127.0.0.1", "a loopback address"),
    ("127.8.9.10", "a loopback address"),
    ("10.1.2.3", "a private address"),
    ("172.16.5.4", "a private address"),
    ("192.168.0.1", "a private address"),
    ("169.254.169.254", "a link-local address"),
    ("0.0.0.0", "an unspecified address"),
    ("100.64.0.1", "a shared (carrier-grade NAT) address"),
    ("224.0.0.1", "a multicast address"),
    ("240.0.0.1", "a private address"),
    ("::1", "a loopback address"),
    ("::", "an unspecified address"),
    ("::ffff:127.0.0.1", "a loopback address"),
    ("::ffff:10.0.0.1", "a private address"),
    ("::ffff:169.254.169.254", "a link-local address"),
    ("fc00::1", "a private address"),
    ("fd12:3456::1", "a private address"),
    ("fe80::1", "a link-local address"),
    ("ff02::1", "a multicast address"),
    ("64:ff9b::a00:1", "a private address"),  # NAT64 of 10.0.0.1
    ("2002:a00:1::1", "a private address"),  # 6to4 of 10.0.0.1
]
PUBLIC = ["93.184.216.34", "2606:4700::6810:84e5"]


def literal(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@pytest.mark.parametrize(("address", "kind"), FORBIDDEN)
def test_registration_refuses_a_url_naming_an_internal_address(officer: Any, address: str, kind: str) -> None:
    with pytest.raises(WebhookError) as refused:
        register_endpoint(owner=officer, url=f"https://{literal(address)}/hooks", campaign_milestones=False)

    assert str(refused.value) == f"{address} is {kind}: Postman calls only public addresses."
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(("address", "kind"), FORBIDDEN)
def test_registration_refuses_a_name_resolving_to_an_internal_address(
    officer: Any, dns: FakeDns, address: str, kind: str
) -> None:
    dns["hooks.agency.example"] = [address]

    with pytest.raises(WebhookError) as refused:
        register_endpoint(owner=officer, url="https://hooks.agency.example/in", campaign_milestones=True)

    assert str(refused.value) == (
        f"hooks.agency.example resolves to {address}, {kind}: Postman calls only public addresses."
    )
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url", ["https://localhost/hooks", "https://2130706433/hooks", "https://0x7f.1/hooks"]
)
def test_registration_refuses_other_spellings_of_loopback(officer: Any, url: str) -> None:
    with pytest.raises(WebhookError, match=r"resolves to (127\.0\.0\.1|::1), a loopback address"):
        register_endpoint(owner=officer, url=url, campaign_milestones=False)


def test_one_internal_answer_among_public_ones_refuses_the_name(officer: Any, dns: FakeDns) -> None:
    dns["hooks.agency.example"] = ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(WebhookError, match=r"resolves to 10\.0\.0\.7, a private address"):
        register_endpoint(owner=officer, url="https://hooks.agency.example/", campaign_milestones=False)


@pytest.mark.parametrize("address", PUBLIC)
def test_registration_accepts_a_public_https_url(officer: Any, dns: FakeDns, address: str) -> None:
    dns["hooks.agency.example"] = [address]

    endpoint, secret = register_endpoint(
        owner=officer, url="https://hooks.agency.example/postman?x=1", campaign_milestones=False
    )

    assert endpoint.url == "https://hooks.agency.example/postman?x=1"
    assert secret.startswith("whsec_")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.agency.example/", "The URL must start with https://."),
        ("ftp://hooks.agency.example/", "The URL must start with https://."),
        ("https://user:pw@hooks.agency.example/", "must not contain a user name or password"),
        ("https://hooks.agency.example/#top", "must not contain a #fragment"),
        ("https:///path", "The URL has no host name."),
        ("https://hooks.agency.example:99999/", "This is not a valid URL."),
        ("https://hooks.agency.example/a b", "must not contain spaces or control characters"),
        ("https://hooks.agency.example/\x00", "must not contain spaces or control characters"),
        ("https://nowhere.invalid/", "nowhere.invalid could not be found: check the host name."),
        ("https://hooks.agency.example/" + "a" * 2000, "The URL is too long"),
    ],
)
def test_registration_refuses_malformed_urls(officer: Any, dns: FakeDns, url: str, message: str) -> None:
    dns["hooks.agency.example"] = ["93.184.216.34"]

    with pytest.raises(WebhookError) as refused:
        register_endpoint(owner=officer, url=url, campaign_milestones=False)

    assert message in str(refused.value)


def test_loopback_setting_allows_only_loopback(officer: Any, loopback: None, dns: FakeDns) -> None:
    dns["rebind.example"] = ["127.0.0.1", "::ffff:10.0.0.1"]

    register_endpoint(owner=officer, url="http://127.0.0.1:9/hooks", campaign_milestones=False)
    register_endpoint(owner=officer, url="http://[::1]:9/hooks", campaign_milestones=False)
    for url, refused in [
        ("https://10.0.0.1/", "10.0.0.1 is a private address"),
        ("https://169.254.169.254/", "169.254.169.254 is a link-local address"),
        ("https://rebind.example/", "::ffff:10.0.0.1, a private address"),
        ("http://93.184.216.34/", "The URL must start with https://."),
    ]:
        with pytest.raises(WebhookError) as error:
            register_endpoint(owner=officer, url=url, campaign_milestones=False)
        assert refused in str(error.value)
    assert WebhookEndpoint.objects.count() == 2


def registered_then_moved(officer: Any, dns: FakeDns, address: str) -> WebhookDelivery:
    """An endpoint registered while its name was public; the name now points at `address`."""
    dns["hooks.agency.example"] = ["93.184.216.34"]
    register_endpoint(owner=officer, url="https://hooks.agency.example/in", campaign_milestones=False)
    dns["hooks.agency.example"] = [address]
    dns.lookups.clear()
    emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data={"id": 1})
    return WebhookDelivery.objects.get()


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("10.0.0.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("::1", "a loopback address"),
    ],
)
def test_send_time_refuses_a_name_that_now_resolves_inside(
    officer: Any, dns: FakeDns, address: str, kind: str
) -> None:
    delivery = attempt(registered_then_moved(officer, dns, address))

    assert dns.lookups == ["hooks.agency.example"]  # checked again at send time
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, None)
    assert delivery.last_error == (
        f"Refused: hooks.agency.example resolves to {address}, {kind}: Postman calls only public addresses."
    )
    assert delivery.next_attempt_at is None


def test_send_time_refusal_holds_with_loopback_allowed(officer: Any, dns: FakeDns, settings: Any) -> None:
    delivery = registered_then_moved(officer, dns, "169.254.169.254")
    settings.WEBHOOKS_ALLOW_LOOPBACK = True

    delivery = attempt(delivery)

    assert delivery.status == DeliveryStatus.FAILED
    assert "169.254.169.254, a link-local address" in delivery.last_error


def test_connection_goes_to_the_address_that_was_checked(officer: Any, loopback: None, dns: FakeDns) -> None:
    """One lookup per attempt, and the request reaches that address with the name as Host."""
    dns["hooks.agency.example"] = ["127.0.0.1"]
    with Receiver() as receiver:
        register_endpoint(
            owner=officer, url=receiver.url(host="hooks.agency.example"), campaign_milestones=False
        )
        dns.lookups.clear()
        emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data={"id": 1})

        delivery = attempt(WebhookDelivery.objects.get())

    assert delivery.status == DeliveryStatus.DELIVERED
    assert dns.lookups == ["hooks.agency.example"]
    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.agency.example:{receiver.port}"
    assert request.path == "/hooks"


def test_https_connects_to_the_checked_address_with_the_name_for_sni_and_certificate(
    officer: Any, loopback: None, dns: FakeDns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_file, server_context = certificate_authority(tmp_path, "hooks.agency.example")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    dns["hooks.agency.example"] = ["127.0.0.1"]
    dns["impostor.example"] = ["127.0.0.1"]
    with Receiver(tls=server_context) as receiver:
        register_endpoint(
            owner=officer, url=receiver.url(host="hooks.agency.example"), campaign_milestones=False
        )
        register_endpoint(owner=officer, url=receiver.url(host="impostor.example"), campaign_milestones=False)
        emit(owner_id=officer.pk, event=EventType.MESSAGE_STATUS, data={"id": 1})

        good = attempt(WebhookDelivery.objects.get(endpoint__url__contains="hooks.agency"))
        bad = attempt(WebhookDelivery.objects.get(endpoint__url__contains="impostor"))

    assert good.status == DeliveryStatus.DELIVERED
    assert receiver.server_names[0] == "hooks.agency.example"
    assert len(receiver.requests) == 1
    # The certificate does not name impostor.example: no request, and a retry is due.
    assert (bad.status, bad.attempts, bad.last_status_code) == ("pending", 1, None)
    assert bad.last_error.startswith("TLS failed: [SSL: CERTIFICATE_VERIFY_FAILED]")


def settings_process(**variables: str) -> subprocess.CompletedProcess[str]:
    key = Fernet.generate_key().decode()
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("WEBHOOKS_")},
        "DEBUG": "0",
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": "postman.example",
        "SMS_CREDENTIAL_KEYS": key,
        "TELEGRAM_CREDENTIAL_KEYS": key,
        "EMAIL_PROVIDER": "ses",
        "WEBHOOKS_SECRET_KEYS": key,
        **variables,
    }
    code = "import django; django.setup(); print('started')"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_loopback_setting_is_refused_with_debug_off() -> None:
    refused = settings_process(WEBHOOKS_ALLOW_LOOPBACK="1")
    started = settings_process(WEBHOOKS_ALLOW_LOOPBACK="0")

    assert refused.returncode != 0
    assert (
        "ImproperlyConfigured: WEBHOOKS_ALLOW_LOOPBACK must not be set when DEBUG is off." in refused.stderr
    )
    assert started.stdout.strip() == "started", started.stderr


def test_secret_keys_are_required_with_debug_off() -> None:
    refused = settings_process(WEBHOOKS_SECRET_KEYS="")

    assert "ImproperlyConfigured: WEBHOOKS_SECRET_KEYS must be set when DEBUG is off." in refused.stderr
