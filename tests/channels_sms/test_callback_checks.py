"""The one check every Twilio status callback passes, campaign message or API SMS."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from accounts.models import User
from campaigns.models import MessageStatus
from channels_sms.callbacks import CallbackRefused, TwilioCallback, check_callback, delivery_error
from tests.channels_sms.conftest import ACCOUNT_SID, AUTH_TOKEN, make_credential

pytestmark = pytest.mark.django_db

URL = "https://postman.example/sms/callbacks/7/token/"
SID = "SM" + "a" * 32


def _params(**changes: str) -> dict[str, str]:
    return {
        "MessageSid": SID,
        "MessageStatus": "undelivered",
        "AccountSid": ACCOUNT_SID,
        "ErrorCode": "30003",
    } | changes


def _check(
    officer: User, params: dict[str, str], *, known_sid: str = SID, token: str = AUTH_TOKEN
) -> TwilioCallback:
    signature = RequestValidator(token).compute_signature(URL, params)
    return check_callback(
        credential=make_credential(officer), known_sid=known_sid, url=URL, params=params, signature=signature
    )


def test_genuine_callback_gives_sid_status_and_error(officer: User) -> None:
    callback = _check(officer, _params())

    assert callback == TwilioCallback(SID, MessageStatus.FAILED, "30003")
    assert (
        delivery_error(callback.status or "", callback.error_code)
        == "Not delivered: The phone is switched off or out of reach (Twilio 30003)"
    )


def test_sid_not_recorded_yet_is_accepted_and_intermediate_status_moves_nothing(officer: User) -> None:
    assert _check(officer, _params(MessageStatus="queued"), known_sid="").status is None


@pytest.mark.parametrize(
    ("params", "known_sid", "token"),
    [
        (_params(AccountSid="AC" + "9" * 32), SID, AUTH_TOKEN),  # another account
        (_params(), SID, "someone-elses-token-000000000000"),  # signed with another token
        (_params(MessageSid="SM" + "b" * 32), SID, AUTH_TOKEN),  # about another message
        (_params(MessageSid=""), "", AUTH_TOKEN),  # about no message
    ],
)
def test_callback_not_twilios_own_for_this_message_is_refused(
    officer: User, params: dict[str, str], known_sid: str, token: str
) -> None:
    with pytest.raises(CallbackRefused):
        _check(officer, params, known_sid=known_sid, token=token)


def test_callback_for_a_deleted_credential_is_refused() -> None:
    with pytest.raises(CallbackRefused):
        check_callback(credential=None, known_sid=SID, url=URL, params=_params(), signature="x")
