"""Twilio Programmable Messaging through twilio.rest.Client, with the officer's own account.

`send_batch(account, messages) -> results`, one result per message in order: a message SID, or
Twilio's error code and message with what the engine should do about it (retry after backoff,
mark the recipient invalid or unsubscribed, or fail the message).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from campaigns.delivery import Delivery
from campaigns.models import MessageStatus
from channels_sms.errors import twilio_words
from channels_sms.models import TwilioCredential

THROTTLED = 20429
INVALID_NUMBER_CODES = {21211, 21614}  # not a valid phone number; not a mobile number
UNSUBSCRIBED_CODES = {21610}  # the recipient replied STOP to this sender
TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    body: str
    status_callback: str = ""


@dataclass(frozen=True)
class TwilioAccount:
    """A credential decrypted for one use; `repr` leaves the secret out of any traceback."""

    account_sid: str
    username: str
    password: str
    messaging_service_sid: str = ""
    from_number: str = ""

    def __repr__(self) -> str:
        return f"TwilioAccount({self.account_sid}, {self.username})"


@sensitive_variables("password")
def account_for(credential: TwilioCredential) -> TwilioAccount:
    """Send with the API key when there is one (it can be revoked alone), else the auth token."""
    username, password = credential.account_sid, ""
    if credential.uses_api_key:
        username, password = credential.api_key_sid, credential.api_key_secret()
    else:
        password = credential.auth_token()
    return TwilioAccount(
        credential.account_sid,
        username,
        password,
        credential.messaging_service_sid,
        credential.from_number,
    )


def client_for(account: TwilioAccount) -> Client:
    return _client(account, settings.TWILIO_BASE_URL)


@functools.lru_cache(maxsize=32)
def _client(account: TwilioAccount, base_url: str) -> Client:
    # One client per account and process: its requests session keeps connections open.
    client = Client(
        account.username,
        account.password,
        account.account_sid,
        http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS),
    )
    if base_url:
        # Every request URL is built from this; tests point it at the fake provider.
        client.api.base_url = base_url
    return client


def send_one(account: TwilioAccount, sms: OutgoingSms) -> Delivery:
    request: dict[str, Any] = {"to": sms.to, "body": sms.body}
    if account.messaging_service_sid:
        request["messaging_service_sid"] = account.messaging_service_sid
    else:
        request["from_"] = account.from_number
    if sms.status_callback:
        request["status_callback"] = sms.status_callback
    try:
        message = client_for(account).messages.create(**request)
    except (TwilioRestException, TwilioServiceException) as error:
        return result_for_error(error)
    except (TwilioException, requests.RequestException) as error:
        reason = str(error) or type(error).__name__
        return Delivery(error_code="ConnectionError", error=f"Twilio could not be reached: {reason}")
    return Delivery(provider_id=str(message.sid))


class TwilioSender:
    """Calls run on a small thread pool: each is one HTTPS round trip of ~100-300 ms to Twilio."""

    threads = 8

    def send_batch(self, account: TwilioAccount, messages: Sequence[OutgoingSms]) -> list[Delivery]:
        if len(messages) <= 1:
            return [send_one(account, sms) for sms in messages]
        with ThreadPoolExecutor(max_workers=min(self.threads, len(messages))) as pool:
            return list(pool.map(lambda sms: send_one(account, sms), messages))


def error_text(error: TwilioRestException | TwilioServiceException) -> str:
    if isinstance(error, TwilioServiceException):
        return error.detail or error.title
    # The SDK puts "Unable to create record: " before Twilio's own message.
    _, _, message = error.msg.partition(": ")
    return message or error.msg


def result_for_error(error: TwilioRestException | TwilioServiceException) -> Delivery:
    code = int(error.code or error.status)
    text = twilio_words(code, error_text(error))
    if error.status == 429 or code == THROTTLED:
        return Delivery(error_code=str(code), error=text, throttled=True)
    if code in INVALID_NUMBER_CODES:
        return Delivery(error_code=str(code), error=text, permanent=True, status=MessageStatus.INVALID)
    if code in UNSUBSCRIBED_CODES:
        return Delivery(error_code=str(code), error=text, permanent=True, status=MessageStatus.UNSUBSCRIBED)
    # Twilio's 5xx are its own trouble: worth the engine's few retries. A 4xx will not change.
    return Delivery(error_code=str(code), error=text, permanent=error.status < 500)


class VerificationError(Exception):
    """Twilio refused the credential; the message is Twilio's reason, for the officer."""


def verify(account: TwilioAccount, *, auth_token: str, test_number: str) -> str:
    """Send a test SMS with `account`; with an API key, also check the auth token. Returns the SID."""
    if account.username != account.account_sid:
        token_account = TwilioAccount(account.account_sid, account.account_sid, auth_token)
        try:
            client_for(token_account).api.v2010.accounts(account.account_sid).fetch()
        except (TwilioRestException, TwilioServiceException) as error:
            code = error.code or error.status
            raise VerificationError(
                f"Twilio refused the auth token: {twilio_words(code, error_text(error))}"
            ) from None
        except (TwilioException, requests.RequestException):
            raise VerificationError("Twilio could not be reached. Try again in a moment.") from None
    sms = OutgoingSms(to=test_number, body="Postman: your Twilio credentials work.")
    result = send_one(account, sms)
    if result.error_code == "ConnectionError":
        raise VerificationError("Twilio could not be reached. Try again in a moment.")
    if not result.ok:
        raise VerificationError(f"Twilio refused the test SMS: {result.error}")
    return result.provider_id
