from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, AllowedAddress, AllowedDomain, User
from channels_email.models import InboxMessage

pytestmark = pytest.mark.django_db

REQUEST_URL = reverse("account_request_login_code")
CONFIRM_URL = reverse("account_confirm_login_code")


def request_code(client: Client, email: str, ip: str = "10.0.0.1") -> Any:
    return client.post(REQUEST_URL, {"email": email}, REMOTE_ADDR=ip)


def latest_code(email: str) -> str:
    message = InboxMessage.objects.filter(to=email).order_by("-id").first()
    assert message is not None, f"no email to {email}"
    match = re.search(r"^([A-Z0-9]{6})$", message.text, re.MULTILINE)
    assert match, message.text
    return match.group(1)


def test_login_new_officer_at_allowed_domain_creates_account_and_logs_in() -> None:
    client = Client()

    response = request_code(client, "New.Officer@MOH.gov.sg")

    assert response.status_code == 302
    assert response["Location"] == CONFIRM_URL
    code = latest_code("new.officer@moh.gov.sg")
    response = client.post(CONFIRM_URL, {"code": code})
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:dashboard")
    page = client.get(reverse("campaigns:dashboard"))
    assert "new.officer@moh.gov.sg" in page.content.decode()
    assert User.objects.get(email="new.officer@moh.gov.sg").has_usable_password() is False


def test_login_code_email_has_six_characters_and_the_requesting_ip() -> None:
    request_code(Client(), "a@gov.sg", ip="10.9.8.7")

    message = InboxMessage.objects.get(to="a@gov.sg")
    assert message.subject == "[Postman] Your Postman login code"
    assert len(latest_code("a@gov.sg")) == 6
    assert "10.9.8.7" in message.text


def test_login_disallowed_domain_is_refused_naming_allowed_domains() -> None:
    response = request_code(Client(), "someone@gmail.com")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Postman is only for government officers" in page
    assert "any address ending in .gov.sg" in page
    assert not User.objects.filter(email="someone@gmail.com").exists()
    assert not InboxMessage.objects.exists()


def test_login_lookalike_domain_is_refused() -> None:
    response = request_code(Client(), "x@evilgov.sg")

    assert "Postman is only for government officers" in response.content.decode()
    assert not InboxMessage.objects.exists()


def test_login_admin_added_domain_and_subdomains_are_allowed() -> None:
    agency = Agency.objects.create(name="Partner Office")
    AllowedDomain.objects.create(domain=".partner.example", agency=agency)

    request_code(Client(), "a@partner.example", ip="10.0.0.1")
    request_code(Client(), "b@unit.partner.example", ip="10.0.0.2")

    assert InboxMessage.objects.filter(to__in=["a@partner.example", "b@unit.partner.example"]).count() == 2
    assert User.objects.get(email="a@partner.example").agency == agency


def test_login_admin_added_exact_domain_excludes_subdomains() -> None:
    AllowedDomain.objects.create(domain="exact.example")

    request_code(Client(), "a@exact.example", ip="10.0.0.1")
    response = request_code(Client(), "b@sub.exact.example", ip="10.0.0.2")

    assert InboxMessage.objects.filter(to="a@exact.example").count() == 1
    assert "Postman is only for government officers" in response.content.decode()


def test_login_admin_added_individual_address_is_allowed() -> None:
    AllowedAddress.objects.create(email="contractor@vendor.example")

    request_code(Client(), "contractor@vendor.example", ip="10.0.0.1")
    response = request_code(Client(), "other@vendor.example", ip="10.0.0.2")

    assert InboxMessage.objects.filter(to="contractor@vendor.example").count() == 1
    assert "Postman is only for government officers" in response.content.decode()


def test_login_page_reads_the_same_for_existing_and_new_accounts() -> None:
    User.objects.create_user("existing@agency.gov.sg")

    existing = Client()
    new = Client()
    first = request_code(existing, "existing@agency.gov.sg", ip="10.0.0.1")
    second = request_code(new, "brand.new@agency.gov.sg", ip="10.0.0.2")

    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    first_page = existing.get(CONFIRM_URL).content.decode().replace("existing@agency.gov.sg", "X")
    second_page = new.get(CONFIRM_URL).content.decode().replace("brand.new@agency.gov.sg", "X")
    strip_csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert strip_csrf.sub("", first_page) == strip_csrf.sub("", second_page)


def test_login_three_wrong_codes_lock_out_that_code() -> None:
    client = Client()
    request_code(client, "officer@agency.gov.sg")
    code = latest_code("officer@agency.gov.sg")

    for _ in range(3):
        client.post(CONFIRM_URL, {"code": "WRONG1"})
    response = client.post(CONFIRM_URL, {"code": code})

    assert response.status_code == 302
    assert response["Location"] != reverse("campaigns:dashboard")
    assert "_auth_user_id" not in client.session


def test_login_code_expires_after_ten_minutes() -> None:
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        request_code(client, "officer@agency.gov.sg")
        code = latest_code("officer@agency.gov.sg")
        traveller.shift(timedelta(minutes=10, seconds=5))
        response = client.post(CONFIRM_URL, {"code": code})

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_code_still_works_just_before_expiry() -> None:
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        request_code(client, "officer@agency.gov.sg")
        code = latest_code("officer@agency.gov.sg")
        traveller.shift(timedelta(minutes=9, seconds=50))
        client.post(CONFIRM_URL, {"code": code})

    assert client.session["_auth_user_id"] == str(User.objects.get(email="officer@agency.gov.sg").pk)


def test_login_new_code_for_same_address_waits_thirty_seconds() -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        request_code(Client(), "officer@agency.gov.sg", ip="10.0.0.1")
        refused = request_code(Client(), "officer@agency.gov.sg", ip="10.0.0.2")
        traveller.shift(timedelta(seconds=31))
        allowed = request_code(Client(), "officer@agency.gov.sg", ip="10.0.0.3")

    assert refused.status_code == 200
    assert "Too many failed login attempts" in refused.content.decode()
    assert allowed.status_code == 302
    assert InboxMessage.objects.filter(to="officer@agency.gov.sg").count() == 2


def test_login_code_requests_are_limited_per_ip() -> None:
    responses = [request_code(Client(), f"user{i}@agency.gov.sg", ip="10.1.1.1") for i in range(21)]

    assert [r.status_code for r in responses[:20]] == [302] * 20
    assert responses[20].status_code == 200
    assert "Too many failed login attempts" in responses[20].content.decode()
    assert InboxMessage.objects.count() == 20
    assert not User.objects.filter(email="user20@agency.gov.sg").exists()


PROXY = "10.0.0.254"


def request_code_via_proxy(email: str, forwarded_for: str) -> Any:
    """As the TLS proxy passes a request on: from its own address, the client's appended."""
    return Client().post(REQUEST_URL, {"email": email}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def test_behind_one_proxy_two_clients_have_separate_limits(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1

    first = [request_code_via_proxy(f"a{i}@agency.gov.sg", "203.0.113.7") for i in range(21)]
    second = request_code_via_proxy("b@agency.gov.sg", "198.51.100.9")

    assert [r.status_code for r in first[:20]] == [302] * 20
    assert "Too many failed login attempts" in first[20].content.decode()
    assert second.status_code == 302
    assert InboxMessage.objects.filter(to="b@agency.gov.sg").exists()


def test_behind_one_proxy_a_spoofed_forwarded_for_does_not_escape_the_limit(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1

    # The client writes a new left-most address each time; the proxy appends the real one.
    responses = [
        request_code_via_proxy(f"a{i}@agency.gov.sg", f"192.0.2.{i}, 203.0.113.7") for i in range(21)
    ]

    assert [r.status_code for r in responses[:20]] == [302] * 20
    assert "Too many failed login attempts" in responses[20].content.decode()
    assert not User.objects.filter(email="a20@agency.gov.sg").exists()


def test_login_code_email_names_the_client_behind_the_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1

    request_code_via_proxy("a@gov.sg", "192.0.2.1, 203.0.113.7")

    text = InboxMessage.objects.get(to="a@gov.sg").text
    assert "203.0.113.7" in text
    assert "192.0.2.1" not in text
    assert PROXY not in text


def test_without_trusted_proxies_forwarded_for_is_ignored() -> None:
    responses = [request_code_via_proxy(f"a{i}@agency.gov.sg", f"192.0.2.{i}") for i in range(21)]

    assert [r.status_code for r in responses[:20]] == [302] * 20
    assert "Too many failed login attempts" in responses[20].content.decode()
    assert PROXY in InboxMessage.objects.get(to="a0@agency.gov.sg").text


def test_login_code_is_never_logged_or_stored_in_plain_text(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client()
    request_code(client, "officer@agency.gov.sg")
    code = latest_code("officer@agency.gov.sg")

    assert code not in caplog.text
    assert all(code not in session.session_data for session in Session.objects.all())
    assert client.session["account_login"]  # the pending login is in the (encrypted) session


def test_login_deactivated_account_gets_no_code() -> None:
    User.objects.create_user("gone@agency.gov.sg", is_active=False)

    response = request_code(Client(), "gone@agency.gov.sg")

    assert response.status_code == 302
    message = InboxMessage.objects.get(to="gone@agency.gov.sg")
    assert message.subject == "[Postman] Postman login attempt"


def test_logout_ends_the_session(officer_client: Client) -> None:
    response = officer_client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert officer_client.get(reverse("campaigns:dashboard"))["Location"].startswith(REQUEST_URL)


def test_password_pages_lead_to_code_login() -> None:
    for url in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(REQUEST_URL)


def test_code_page_says_once_that_a_code_is_on_its_way() -> None:
    client = Client()

    response = request_code(client, "a@gov.sg")
    page = client.get(response["Location"]).content.decode()

    # The page's own sentence, which does not tell whether the address may log in; not allauth's
    # "A sign-in code has been sent to …" as well.
    assert page.count("a@gov.sg</strong> may use Postman, a 6-character code is on its way") == 1
    assert "sign-in code has been sent" not in page
    assert 'role="alert"' not in page
