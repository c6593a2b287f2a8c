from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings

from accounts.models import User
from channels_email.models import InboxMessage

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_redis_up() -> None:
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}


def test_healthz_reports_redis_down_with_503() -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "redis": "down"}


def test_security_headers_on_every_page() -> None:
    response = Client().get("/accounts/login/code/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


def test_session_cookie_is_httponly_samesite_and_ends_after_a_day_idle(officer_client: Client) -> None:
    response = officer_client.get("/")

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 24 * 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_session_survives_a_secret_key_rotation_through_the_fallbacks(officer: User, settings: Any) -> None:
    used, unused = Client(), Client()
    used.force_login(officer)  # both encrypted and hashed under the key in use
    unused.force_login(officer)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789abcdefghij"

    settings.SECRET_KEY_FALLBACKS = [old_key]
    kept = used.get("/")  # a session used while the old key is a fallback moves to the new one
    settings.SECRET_KEY_FALLBACKS = []
    still = used.get("/")
    dropped = unused.get("/")

    assert (kept.status_code, still.status_code) == (200, 200)
    assert 'data-testid="officer-email">officer@agency.gov.sg<' in kept.content.decode()
    assert (dropped.status_code, dropped["Location"]) == (302, "/accounts/login/code/?next=/")


def test_dashboard_shows_officer_email_and_logout(officer_client: Client) -> None:
    page = officer_client.get("/").content.decode()

    assert 'data-testid="officer-email">officer@agency.gov.sg<' in page
    assert "Log out" in page
    assert "/static/vendor/bootstrap/bootstrap.min.css" in page


def test_dashboard_requires_login() -> None:
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/?next=/"


def test_dev_inbox_shows_stored_emails_in_debug() -> None:
    InboxMessage.objects.create(to="a@b.gov.sg", from_email="x", subject="Hello inbox", text="Body text")

    with override_settings(DEBUG=True):
        page = Client().get("/dev/inbox/").content.decode()

    assert "Hello inbox" in page
    assert "Body text" in page


def test_dev_inbox_does_not_exist_outside_debug_even_for_staff(officer: User) -> None:
    message = InboxMessage.objects.create(
        to="a@b.gov.sg", from_email="x", subject="Secret code", text="ABC123"
    )
    staff = User.objects.create_user("admin@agency.gov.sg", is_staff=True, is_superuser=True)
    anonymous, officer_client, staff_client = Client(), Client(), Client()
    officer_client.force_login(officer)
    staff_client.force_login(staff)

    with override_settings(DEBUG=False):
        for client in (anonymous, officer_client, staff_client):
            for url in ("/dev/inbox/", f"/dev/inbox/{message.pk}/html/"):
                response = client.get(url)
                assert response.status_code == 404
                assert b"Secret code" not in response.content


def test_admin_sends_anonymous_visitors_to_code_login() -> None:
    response = Client().get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/login/code/?next=%2Fadmin%2F"
    assert "Log in to Postman" in response.content.decode()


def test_admin_lists_agencies_and_domains_for_staff() -> None:
    staff = User.objects.create_user("admin@agency.gov.sg", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)

    page = client.get("/admin/").content.decode()

    for model in ["Agencies", "Allowed domains", "Allowed addresses", "Users"]:
        assert model in page


def test_admin_refuses_non_staff(officer_client: Client) -> None:
    assert officer_client.get("/admin/", follow=True).status_code == 403


def test_createstaff_makes_a_staff_account_without_password() -> None:
    call_command("createstaff", "Boss@Agency.gov.sg")

    user = User.objects.get(email="boss@agency.gov.sg")
    assert user.is_staff and user.is_superuser
    assert user.has_usable_password() is False
