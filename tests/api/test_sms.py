from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from twilio.request_validator import RequestValidator

from accounts.models import User
from api.models import TransactionalSms
from api.services.sms import callback_url, deliver_sms
from campaigns.models import Suppression
from channels_sms import encryption
from channels_sms.models import TwilioCredential
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

SEND = "/api/v1/transactional/sms/send"
LIST = "/api/v1/transactional/sms"
ACCOUNT_SID = "AC" + "3" * 32
AUTH_TOKEN = "authtoken-api-tests-0000000000-abcd"
SMS = {"recipient": "9123 4567", "body": "Your OTP is 123456.", "label": "clinic-sms"}


def make_credential(owner: User, label: str = "clinic-sms") -> TwilioCredential:
    return TwilioCredential.objects.create(
        owner=owner,
        label=label,
        account_sid=ACCOUNT_SID,
        auth_token_encrypted=encryption.encrypt(AUTH_TOKEN),
        auth_token_last4=AUTH_TOKEN[-4:],
        from_number="+6580000000",
        verified_at=timezone.now(),
    )


@pytest.fixture
def credential(officer: User) -> TwilioCredential:
    return make_credential(officer)


@pytest.fixture
def twilio(fake_provider: Any, settings: Any) -> Any:
    settings.TWILIO_BASE_URL = fake_provider.url
    fake_provider.configure(twilio_callbacks=False)
    return fake_provider


def send(client: Client, payload: dict[str, Any]) -> Any:
    return client.post(SEND, payload, content_type="application/json")


def test_send_sms_answers_201_with_postmans_fields(
    credential: TwilioCredential, api_client: ApiClient
) -> None:
    response = send(api_client, SMS)

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("credentialsLabel", "recipient", "body", "message_id", "status")} == {
        "credentialsLabel": "clinic-sms",
        "recipient": "+6591234567",
        "body": "Your OTP is 123456.",
        "message_id": None,
        "status": "ACCEPTED",
    }
    assert body["accepted_at"] and body["created_at"]
    assert TransactionalSms.objects.get().credential == credential


def test_send_sms_as_a_form_is_accepted(credential: TwilioCredential, api_client: ApiClient) -> None:
    response = api_client.post(SEND, SMS)

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            {"recipient": "12"},
            "api_validation",
            '"recipient" must be a valid mobile number (not a valid phone number)',
        ),
        (
            {"recipient": "6123 4567"},
            "api_validation",
            '"recipient" must be a valid mobile number (not a mobile number)',
        ),
        ({"body": " "}, "api_validation", '"body" is not allowed to be empty'),
        ({"body": "x" * 1601}, "api_validation", '"body" must be at most 1600 characters'),
        ({"label": "nope"}, "invalid_credential_label", 'You have no Twilio credentials labelled "nope".'),
        (
            {"attachments": "x"},
            "attachment_format",
            "Attachments can only be sent as multipart/form-data files.",
        ),
    ],
)
def test_send_sms_invalid_input_is_400_naming_the_problem(
    credential: TwilioCredential, api_client: ApiClient, change: dict[str, str], code: str, message: str
) -> None:
    response = send(api_client, {**SMS, **change})

    assert (response.status_code, response.json()) == (400, {"code": code, "message": message})
    assert not TransactionalSms.objects.exists()


def test_send_sms_without_label_is_400(credential: TwilioCredential, api_client: ApiClient) -> None:
    response = send(api_client, {"recipient": "91234567", "body": "Hi"})

    assert response.json() == {"code": "api_validation", "message": '"label" is required'}


def test_send_sms_with_another_officers_credential_label_is_400(
    other_officer: User, api_client: ApiClient
) -> None:
    make_credential(other_officer)

    response = send(api_client, SMS)

    assert response.json()["code"] == "invalid_credential_label"


def test_send_sms_to_a_number_that_unsubscribed_from_the_officer_is_400(
    officer: User, credential: TwilioCredential, api_client: ApiClient
) -> None:
    Suppression.objects.create(channel="sms", recipient="+6591234567", reason="unsubscribed", owner=officer)

    response = send(api_client, SMS)

    assert response.json() == {
        "code": "invalid_recipient",
        "message": "Recipient number is suppressed: Unsubscribed.",
    }


def test_deliver_sms_sends_with_the_officers_twilio_account(
    credential: TwilioCredential, api_client: ApiClient, twilio: Any
) -> None:
    sent = send(api_client, SMS).json()

    outcome = deliver_sms(sms_id=sent["id"])

    assert outcome.done
    [message] = twilio.messages("sms")
    assert (message["to"], message["body"]) == ("+6591234567", "Your OTP is 123456.")
    row = TransactionalSms.objects.get()
    assert (row.status, row.provider_id) == ("SENT", message["id"])
    answer = api_client.get(f"{LIST}/{row.pk}").json()
    assert (answer["status"], answer["message_id"]) == ("SENT", message["id"])


def test_deliver_sms_to_a_number_twilio_refuses_fails_with_twilios_reason(
    credential: TwilioCredential, api_client: ApiClient, twilio: Any
) -> None:
    twilio.configure(twilio_error_numbers={"+6591234567": 21614})
    sent = send(api_client, SMS).json()

    assert deliver_sms(sms_id=sent["id"]).done

    row = TransactionalSms.objects.get()
    assert (row.status, row.error_code) == ("FAILED", "21614")
    assert row.errored_at is not None


def _signed_callback(client: Client, sms: TransactionalSms, status: str, token: str = AUTH_TOKEN) -> Any:
    url = callback_url(sms.pk)
    params = {"AccountSid": ACCOUNT_SID, "MessageSid": sms.provider_id, "MessageStatus": status}
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(urlsplit(url).path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_twilio_status_callback_moves_the_sms_to_delivered(
    credential: TwilioCredential, api_client: ApiClient, twilio: Any
) -> None:
    sent = send(api_client, SMS).json()
    deliver_sms(sms_id=sent["id"])
    sms = TransactionalSms.objects.get()

    response = _signed_callback(Client(), sms, "delivered")

    assert response.status_code == 204
    sms.refresh_from_db()
    assert sms.status == "DELIVERED"
    assert sms.delivered_at is not None


def test_twilio_status_callback_with_a_forged_signature_is_403(
    credential: TwilioCredential, api_client: ApiClient, twilio: Any
) -> None:
    sent = send(api_client, SMS).json()
    deliver_sms(sms_id=sent["id"])
    sms = TransactionalSms.objects.get()

    response = _signed_callback(Client(), sms, "delivered", token="not-the-token")

    assert response.status_code == 403
    sms.refresh_from_db()
    assert sms.status == "SENT"


@pytest.mark.parametrize("a_was_sent", [False, True], ids=["a-not-yet-sent", "a-sent"])
def test_callback_signed_for_one_sms_carrying_anothers_sid_changes_nothing_on_the_other(
    a_was_sent: bool, credential: TwilioCredential, api_client: ApiClient, twilio: Any
) -> None:
    a = send(api_client, SMS).json()["id"]
    b = send(api_client, {**SMS, "recipient": "9123 4568"}).json()["id"]
    deliver_sms(sms_id=b)
    if a_was_sent:
        deliver_sms(sms_id=a)
    before = {row.pk: (row.status, row.provider_id) for row in TransactionalSms.objects.all()}
    b_sid = before[b][1]
    a_url = callback_url(a)
    params = {"AccountSid": ACCOUNT_SID, "MessageSid": b_sid, "MessageStatus": "undelivered"}

    response = Client().post(
        urlsplit(a_url).path,
        params,
        HTTP_X_TWILIO_SIGNATURE=RequestValidator(AUTH_TOKEN).compute_signature(a_url, params),
    )

    assert response.status_code == 403
    after = {row.pk: (row.status, row.provider_id) for row in TransactionalSms.objects.all()}
    assert after == before
    assert after[b] == ("SENT", b_sid)


def test_callback_moves_the_sms_its_url_names_when_twilio_calls_before_the_sid_is_recorded(
    credential: TwilioCredential, api_client: ApiClient, twilio: Any
) -> None:
    a = send(api_client, SMS).json()["id"]
    url = callback_url(a)
    params = {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "a" * 32, "MessageStatus": "sent"}

    response = Client().post(
        urlsplit(url).path,
        params,
        HTTP_X_TWILIO_SIGNATURE=RequestValidator(AUTH_TOKEN).compute_signature(url, params),
    )

    assert response.status_code == 204
    row = TransactionalSms.objects.get(pk=a)
    assert (row.status, row.provider_id) == ("SENT", "SM" + "a" * 32)


def test_callback_url_issued_before_a_key_rotation_still_works(
    credential: TwilioCredential, api_client: ApiClient, twilio: Any, settings: Any
) -> None:
    sent = send(api_client, SMS).json()
    deliver_sms(sms_id=sent["id"])
    sms = TransactionalSms.objects.get()
    old_url = twilio.messages("sms")[0]["status_callback"]
    assert old_url == callback_url(sms.pk)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789abcdefghij"
    params = {"AccountSid": ACCOUNT_SID, "MessageSid": sms.provider_id, "MessageStatus": "delivered"}

    response = Client().post(
        urlsplit(old_url).path,
        params,
        HTTP_X_TWILIO_SIGNATURE=RequestValidator(AUTH_TOKEN).compute_signature(old_url, params),
    )
    forged_url = old_url.replace(urlsplit(old_url).path.split("/")[-2], "f" * 32)
    forged = Client().post(
        urlsplit(forged_url).path,
        params,
        HTTP_X_TWILIO_SIGNATURE=RequestValidator(AUTH_TOKEN).compute_signature(forged_url, params),
    )

    assert (response.status_code, forged.status_code) == (204, 403)
    sms.refresh_from_db()
    assert sms.status == "DELIVERED"
    assert callback_url(sms.pk) != old_url


def test_get_another_officers_sms_is_404(
    credential: TwilioCredential, api_client: ApiClient, other_api_client: ApiClient
) -> None:
    sent = send(api_client, SMS).json()["id"]

    response = other_api_client.get(f"{LIST}/{sent}")

    assert (response.status_code, response.json()) == (
        404,
        {"code": "not_found", "message": "SMS not found."},
    )


def test_list_sms_answers_the_envelope_with_filters(
    credential: TwilioCredential, api_client: ApiClient
) -> None:
    first = send(api_client, SMS).json()["id"]
    second = send(api_client, SMS).json()["id"]
    TransactionalSms.objects.filter(pk=first).update(status="DELIVERED")

    everything = api_client.get(LIST).json()
    delivered = api_client.get(f"{LIST}?status=delivered").json()

    assert ([m["id"] for m in everything["data"]], everything["has_more"]) == ([second, first], False)
    assert [m["id"] for m in delivered["data"]] == [first]


def test_list_sms_pages_are_at_most_100(api_client: ApiClient) -> None:
    response = api_client.get(f"{LIST}?limit=101")

    assert response.json() == {
        "code": "api_validation",
        "message": '"limit" input should be less than or equal to 100',
    }
