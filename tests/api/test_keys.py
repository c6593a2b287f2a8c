from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import ApiKey
from api.services.keys import ApiKeyError, add_months, create_api_key, remind_expiring_keys, revoke_api_key
from channels_email.models import InboxMessage
from tests.api.conftest import ApiClient
from tests.factories import make_officer

pytestmark = pytest.mark.django_db

KEY_PATTERN = re.compile(r"postman_test_[A-Za-z0-9]{43}")


def test_create_key_page_shows_the_key_once_and_stores_only_its_hash(
    officer: Any, officer_client: Client
) -> None:
    response = officer_client.post("/settings/api-keys/", {"label": "Appointments", "months": "6"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    plain = KEY_PATTERN.search(response.content.decode())
    assert plain is not None
    key = ApiKey.objects.get(owner=officer)
    assert key.label == "Appointments"
    assert key.key_hash == hashlib.sha256(plain[0].encode()).hexdigest()
    assert key.last_four == plain[0][-4:]
    assert key.prefix == "postman_test_"
    stored = " ".join(str(value) for value in ApiKey.objects.filter(pk=key.pk).values().get().values())
    assert plain[0] not in stored
    listing = officer_client.get("/settings/api-keys/").content.decode()
    assert plain[0] not in listing
    assert f"postman_test_…{plain[0][-4:]}" in listing


def test_key_expires_after_six_months_by_default(officer: Any) -> None:
    with time_machine.travel(datetime(2026, 8, 31, 10, 0, tzinfo=UTC), tick=False):
        key, _ = create_api_key(owner=officer, label="Default term")

    assert key.expires_at == datetime(2027, 2, 28, 10, 0, tzinfo=UTC)


def test_key_term_chosen_on_the_page_sets_its_expiry(officer: Any, officer_client: Client) -> None:
    with time_machine.travel(datetime(2026, 1, 15, 2, 0, tzinfo=UTC), tick=False):
        officer_client.post("/settings/api-keys/", {"label": "Short", "months": "1"})

    assert ApiKey.objects.get(owner=officer).expires_at == datetime(2026, 2, 15, 2, 0, tzinfo=UTC)


def test_add_months_clamps_to_the_end_of_a_shorter_month() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)


def test_create_key_without_label_shows_the_error_and_creates_nothing(
    officer: Any, officer_client: Client
) -> None:
    response = officer_client.post("/settings/api-keys/", {"label": "   ", "months": "6"})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_eleventh_active_key_is_refused_on_the_page_and_creates_nothing(
    officer: Any, officer_client: Client
) -> None:
    for i in range(10):
        create_api_key(owner=officer, label=f"Key {i}")

    response = officer_client.post("/settings/api-keys/", {"label": "One more", "months": "6"})

    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "You already have 10 active keys, the most you may hold. "
        "Revoke one you no longer use, then create the new one."
    ) in page
    assert KEY_PATTERN.search(page) is None
    assert ApiKey.objects.filter(owner=officer).count() == 10


def test_revoked_and_expired_keys_do_not_count_towards_the_cap(officer: Any) -> None:
    keys = [create_api_key(owner=officer, label=f"Key {i}")[0] for i in range(10)]
    revoke_api_key(key=keys[0])
    ApiKey.objects.filter(pk=keys[1].pk).update(expires_at=timezone.now() - timedelta(days=1))

    create_api_key(owner=officer, label="Replacement 1")
    create_api_key(owner=officer, label="Replacement 2")

    with pytest.raises(ApiKeyError):
        create_api_key(owner=officer, label="One too many")
    assert ApiKey.objects.filter(owner=officer).count() == 12


def test_cap_set_for_an_officer_in_the_admin_applies(officer: Any, admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/api/apisettings/add/", {"user": officer.pk, "rate_per_second": 10, "max_active_keys": 2}
    )
    assert response.status_code == 302
    create_api_key(owner=officer, label="First")
    create_api_key(owner=officer, label="Second")

    with pytest.raises(ApiKeyError) as refused:
        create_api_key(owner=officer, label="Third")

    assert str(refused.value).startswith("You already have 2 active keys")
    assert create_api_key(owner=make_officer("other@agency.gov.sg"), label="Unaffected")[0].pk


def test_key_list_shows_label_last_four_created_last_used_and_expiry(
    officer: Any, officer_client: Client
) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), tick=False):
        _, plain = create_api_key(owner=officer, label="Clinic bookings")
    with time_machine.travel(datetime(2026, 3, 5, 6, 30, tzinfo=UTC), tick=False):
        ApiClient(plain).get("/api/v1/transactional/email")

    page = officer_client.get("/settings/api-keys/").content.decode()

    row = page[page.index('data-testid="api-key-row"') :]
    assert "Clinic bookings" in row
    assert f"postman_test_…{plain[-4:]}" in row
    assert "2 Mar 2026" in row  # created, Singapore time
    assert "5 Mar 2026, 14:30" in row  # last used, Singapore time
    assert "2 Sep 2026" in row  # expires


def test_key_list_shows_only_the_officers_own_keys(officer: Any, officer_client: Client) -> None:
    create_api_key(owner=officer, label="Mine")
    create_api_key(owner=make_officer("someone.else@other.gov.sg"), label="Theirs")

    page = officer_client.get("/settings/api-keys/").content.decode()

    assert "Mine" in page
    assert "Theirs" not in page


def test_key_list_query_count_is_the_same_for_one_and_three_keys(
    officer: Any, officer_client: Client
) -> None:
    create_api_key(owner=officer, label="One")
    with CaptureQueriesContext(connection) as one:
        officer_client.get("/settings/api-keys/")
    create_api_key(owner=officer, label="Two")
    create_api_key(owner=officer, label="Three")
    with CaptureQueriesContext(connection) as three:
        page = officer_client.get("/settings/api-keys/").content.decode()

    assert page.count('data-testid="api-key-row"') == 3
    assert len(three) == len(one)


def test_revoke_marks_the_key_revoked_and_the_api_refuses_it(officer: Any, officer_client: Client) -> None:
    key, plain = create_api_key(owner=officer, label="Old system")

    response = officer_client.post(f"/settings/api-keys/{key.pk}/revoke/", follow=True)

    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "Revoked “Old system”" in response.content.decode()
    assert "Revoked " in response.content.decode().split('data-testid="key-state"')[1][:80]
    refused = ApiClient(plain).get("/api/v1/transactional/email")
    assert refused.status_code == 401
    assert refused.json() == {"code": "unauthenticated", "message": "This API key has been revoked."}


def test_revoke_another_officers_key_is_404_and_changes_nothing(officer_client: Client) -> None:
    theirs, _ = create_api_key(owner=make_officer("someone.else@other.gov.sg"), label="Theirs")

    response = officer_client.post(f"/settings/api-keys/{theirs.pk}/revoke/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoke_refuses_get(officer: Any, officer_client: Client) -> None:
    key, _ = create_api_key(owner=officer, label="Key")

    assert officer_client.get(f"/settings/api-keys/{key.pk}/revoke/").status_code == 405


def test_api_keys_page_needs_login() -> None:
    response = Client().get("/settings/api-keys/")

    assert response.status_code == 302
    assert "/accounts/login/code/" in response["Location"] or "login" in response["Location"]


def test_create_api_key_command_prints_a_working_key() -> None:
    out, err = io.StringIO(), io.StringIO()

    call_command("create_api_key", "robot@agency.gov.sg", "--label", "CI pipeline", stdout=out, stderr=err)

    plain = out.getvalue().strip()
    assert KEY_PATTERN.fullmatch(plain)
    key = ApiKey.objects.get(key_hash=hashlib.sha256(plain.encode()).hexdigest())
    assert key.owner.email == "robot@agency.gov.sg"
    assert key.label == "CI pipeline"
    assert "Created “CI pipeline” for robot@agency.gov.sg" in err.getvalue()
    assert ApiClient(plain).get("/api/v1/transactional/email").status_code == 200


def _reminders() -> list[InboxMessage]:
    return list(InboxMessage.objects.order_by("id"))


def test_expiry_reminders_go_28_14_3_and_1_days_before_once_each(officer: Any) -> None:
    with time_machine.travel(datetime(2026, 1, 1, 2, 0, tzinfo=UTC), tick=False):
        key, _ = create_api_key(owner=officer, label="Bookings", months=2)  # expires 1 Mar
    sent_on = []
    day = datetime(2026, 1, 20, 1, 0, tzinfo=UTC)
    while day < key.expires_at:
        with time_machine.travel(day, tick=False):
            if remind_expiring_keys():
                sent_on.append(timezone.localdate())
            remind_expiring_keys()  # a second run the same day sends nothing more
        day += timedelta(days=1)

    assert [d.isoformat() for d in sent_on] == ["2026-02-01", "2026-02-15", "2026-02-26", "2026-02-28"]
    emails = _reminders()
    assert [e.to for e in emails] == ["officer@agency.gov.sg"] * 4
    assert emails[0].subject == "Your Postman API key “Bookings” expires in 28 days"
    assert emails[-1].subject == "Your Postman API key “Bookings” expires in 1 day"
    assert "http://127.0.0.1:8000/settings/api-keys/" in emails[0].text
    key.refresh_from_db()
    assert key.reminders_sent == [28, 14, 3, 1]


def test_expiry_reminder_for_a_key_created_close_to_expiry_is_one_email(officer: Any) -> None:
    with time_machine.travel(datetime(2026, 1, 1, 2, 0, tzinfo=UTC), tick=False):
        key, _ = create_api_key(owner=officer, label="Short", months=1)
    with time_machine.travel(datetime(2026, 1, 29, 2, 0, tzinfo=UTC), tick=False):  # 3 days left
        assert remind_expiring_keys() == 1
        assert remind_expiring_keys() == 0

    assert [e.subject for e in _reminders()] == ["Your Postman API key “Short” expires in 3 days"]
    key.refresh_from_db()
    assert key.reminders_sent == [28, 14, 3]


def test_expiry_reminders_skip_revoked_and_expired_keys(officer: Any) -> None:
    with time_machine.travel(datetime(2026, 1, 1, 2, 0, tzinfo=UTC), tick=False):
        revoked, _ = create_api_key(owner=officer, label="Revoked", months=1)
        revoked.revoked_at = timezone.now()
        revoked.save()
        create_api_key(owner=officer, label="Expired", months=1)
    with time_machine.travel(datetime(2026, 2, 5, 2, 0, tzinfo=UTC), tick=False):
        assert remind_expiring_keys() == 0

    assert _reminders() == []
