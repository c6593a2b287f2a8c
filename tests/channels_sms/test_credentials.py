from __future__ import annotations

import html
import logging
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User
from campaigns.models import CampaignStatus
from channels_sms import encryption
from channels_sms.models import TwilioCredential
from channels_sms.services import rotate_credential_keys
from tests.channels_sms.conftest import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    SENDER,
    make_credential,
    make_sms_campaign,
    phones,
)
from tests.factories import make_officer

pytestmark = pytest.mark.django_db

URL = "/settings/sms/"


def form(**changes: str) -> dict[str, str]:
    data = {
        "label": "Clinic account",
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "api_key_sid": "",
        "api_key_secret": "",
        "messaging_service_sid": "",
        "from_number": SENDER,
        "max_rate": "80",
        "test_number": "9123 4567",
    }
    return data | changes


def page_text(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_add_credential_sends_a_test_sms_and_stores_secrets_encrypted(
    officer_client: Client, officer: User, twilio: Any
) -> None:
    response = officer_client.post(URL, form(), follow=True)

    assert "Saved “Clinic account”. Twilio accepted a test SMS to +6591234567." in page_text(response)
    [sent] = twilio.messages("sms")
    assert (sent["to"], sent["from"], sent["account"]) == ("+6591234567", SENDER, ACCOUNT_SID)
    assert sent["body"] == "Postman: your Twilio credentials work."
    credential = TwilioCredential.objects.get()
    assert (credential.owner, credential.label, credential.account_sid) == (
        officer,
        "Clinic account",
        ACCOUNT_SID,
    )
    assert (credential.from_number, credential.max_rate, credential.auth_token_last4) == (SENDER, 80, "abcd")
    assert credential.verified_number == "+6591234567"
    assert credential.auth_token() == AUTH_TOKEN
    assert "••••abcd" in page_text(response)
    assert AUTH_TOKEN not in page_text(response)


def test_credential_secrets_are_ciphertext_in_the_database(officer: User) -> None:
    make_credential(officer, api_key=True)

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM channels_sms_twiliocredential")
        [row] = cursor.fetchall()

    stored = " ".join(str(value) for value in row)
    assert AUTH_TOKEN not in stored
    assert API_KEY_SECRET not in stored
    credential = TwilioCredential.objects.get()
    assert credential.auth_token_encrypted.startswith("gAAAAA")  # a Fernet token
    assert credential.auth_token() == AUTH_TOKEN
    assert credential.api_key_secret() == API_KEY_SECRET


def test_add_credential_with_api_key_sends_with_key_and_checks_auth_token(
    officer_client: Client, twilio: Any
) -> None:
    data = form(api_key_sid=API_KEY_SID.lower().replace("sk", "SK", 1), api_key_secret=API_KEY_SECRET)

    response = officer_client.post(URL, data, follow=True)

    assert "Saved “Clinic account”." in page_text(response)
    assert len(twilio.messages("sms")) == 1
    credential = TwilioCredential.objects.get()
    assert (credential.api_key_sid, credential.api_key_secret_last4) == (API_KEY_SID, "wxyz")
    assert credential.api_key_secret() == API_KEY_SECRET
    assert "••••wxyz" in page_text(response)


def test_add_credential_with_api_key_and_wrong_auth_token_saves_nothing(
    officer_client: Client, twilio: Any
) -> None:
    data = form(api_key_sid=API_KEY_SID, api_key_secret=API_KEY_SECRET, auth_token="bad-token")

    response = officer_client.post(URL, data)

    assert (
        "Twilio refused the auth token: The account SID or auth token is wrong (Twilio 20003)"
    ) in page_text(response)
    assert not TwilioCredential.objects.exists()
    assert twilio.messages("sms") == []


def test_add_credential_refused_by_twilio_shows_reason_and_saves_nothing(
    officer_client: Client, twilio: Any
) -> None:
    response = officer_client.post(URL, form(auth_token="bad-token"))

    assert response.status_code == 200
    assert (
        "Twilio refused the test SMS: The account SID or auth token is wrong (Twilio 20003)"
    ) in page_text(response)
    assert not TwilioCredential.objects.exists()
    assert "bad-token" not in page_text(response)


def test_add_credential_with_number_twilio_rejects_says_why_in_plain_words(
    officer_client: Client, twilio: Any
) -> None:
    twilio.configure(twilio_error_numbers={"+6591234567": 21408})

    response = officer_client.post(URL, form())

    assert (
        "Twilio refused the test SMS: The Twilio account may not send SMS to this country: allow it in "
        "Twilio's geo permissions (Twilio 21408)"
    ) in page_text(response)
    assert not TwilioCredential.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"account_sid": "AC123"}, "Starts with AC and has 32 letters and digits after it."),
        ({"auth_token": ""}, "This field is required."),
        ({"from_number": ""}, "Give either a messaging service SID or a sender, not both."),
        (
            {"messaging_service_sid": "MG" + "3" * 32},
            "Give either a messaging service SID or a sender, not both.",
        ),
        ({"from_number": "+65 12"}, "Write a phone number such as +6580000000, or a sender ID of letters."),
        ({"api_key_sid": API_KEY_SID}, "Give the secret of the API key too."),
        ({"api_key_secret": API_KEY_SECRET}, "Give the SID of the API key the secret belongs to."),
        ({"test_number": "6123 4567"}, "Not a mobile number. Write a mobile number such as 9123 4567."),
        ({"max_rate": "0"}, "Ensure this value is greater than or equal to 1."),
    ],
)
def test_add_credential_bad_input_says_why_and_changes_nothing(
    officer_client: Client, twilio: Any, changes: dict[str, str], field_error: str
) -> None:
    response = officer_client.post(URL, form(**changes))

    assert field_error in page_text(response)
    assert not TwilioCredential.objects.exists()
    assert twilio.messages("sms") == []


def test_add_credential_accepts_alphanumeric_sender_and_messaging_service(
    officer_client: Client, twilio: Any
) -> None:
    officer_client.post(URL, form(label="Named", from_number="MOH Clinic"))
    officer_client.post(URL, form(label="Service", from_number="", messaging_service_sid="MG" + "A" * 32))

    assert dict(TwilioCredential.objects.values_list("label", "from_number")) == {
        "Named": "MOH Clinic",
        "Service": "",
    }
    assert TwilioCredential.objects.get(label="Service").messaging_service_sid == "MG" + "a" * 32
    assert [m["messaging_service_sid"] for m in twilio.messages("sms")] == [None, "MG" + "a" * 32]


def test_add_credential_with_a_label_already_used_saves_nothing_more(
    officer_client: Client, officer: User, twilio: Any
) -> None:
    make_credential(officer, label="Clinic account")

    response = officer_client.post(URL, form())

    assert "You already have a credential called “Clinic account”." in page_text(response)
    assert TwilioCredential.objects.count() == 1
    assert twilio.messages("sms") == []


def test_add_credential_never_logs_secrets(
    officer_client: Client, twilio: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    officer_client.post(URL, form(api_key_sid=API_KEY_SID, api_key_secret=API_KEY_SECRET))
    officer_client.post(URL, form(label="Refused", auth_token="bad-token"))

    assert TwilioCredential.objects.count() == 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert AUTH_TOKEN not in logged
    assert API_KEY_SECRET not in logged


def test_credentials_page_lists_only_the_officers_own(
    officer_client: Client, officer: User, other_officer: User
) -> None:
    make_credential(officer, label="Mine")
    make_credential(other_officer, label="Theirs")

    response = officer_client.get(URL)

    text = page_text(response)
    assert "Mine" in text
    assert "Theirs" not in text
    assert text.count('data-testid="credential-row"') == 1


def test_credentials_page_needs_login(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_delete_credential_forgets_its_secrets(officer_client: Client, officer: User) -> None:
    credential = make_credential(officer)

    response = officer_client.post(f"{URL}{credential.pk}/delete/", follow=True)

    assert "Deleted “Main account”. Postman no longer holds its secrets." in page_text(response)
    assert not TwilioCredential.objects.exists()


def test_delete_credential_of_another_officer_is_404(officer_client: Client, other_officer: User) -> None:
    credential = make_credential(other_officer)

    response = officer_client.post(f"{URL}{credential.pk}/delete/")

    assert response.status_code == 404
    assert TwilioCredential.objects.filter(pk=credential.pk).exists()


def test_delete_credential_refused_while_a_campaign_sends_with_it(
    officer_client: Client, officer: User, tmp_path: Any
) -> None:
    credential = make_credential(officer)
    campaign = make_sms_campaign(
        officer, phones(2), tmp_path=tmp_path, credential=credential, name="Flu jabs"
    )
    campaign.status = CampaignStatus.SENDING
    campaign.save()

    response = officer_client.post(f"{URL}{credential.pk}/delete/", follow=True)

    assert "“Flu jabs” still needs this credential to send." in page_text(response)
    assert TwilioCredential.objects.filter(pk=credential.pk).exists()


def test_rotate_credential_keys_reencrypts_under_the_new_key(officer: User, settings: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SMS_CREDENTIAL_KEYS = [old]
    credential = make_credential(officer, api_key=True)
    settings.SMS_CREDENTIAL_KEYS = [new, old]

    assert rotate_credential_keys() == 1

    settings.SMS_CREDENTIAL_KEYS = [new]
    credential.refresh_from_db()
    assert credential.auth_token() == AUTH_TOKEN
    assert credential.api_key_secret() == API_KEY_SECRET


def test_check_keys_names_a_key_that_is_not_fernet() -> None:
    assert encryption.check_keys([Fernet.generate_key().decode(), "short"]) == [
        "Key 2 of SMS_CREDENTIAL_KEYS is not a Fernet key."
    ]


def test_admin_shows_credentials_without_their_secrets(officer: User) -> None:
    credential = make_credential(officer, api_key=True)
    staff = make_officer("admin@agency.gov.sg", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)

    listing = client.get("/admin/channels_sms/twiliocredential/")
    change = client.get(f"/admin/channels_sms/twiliocredential/{credential.pk}/change/")

    assert listing.status_code == change.status_code == 200
    page = page_text(change)
    assert "abcd" in page and "wxyz" in page
    assert AUTH_TOKEN not in page and API_KEY_SECRET not in page
    assert credential.auth_token_encrypted not in page
