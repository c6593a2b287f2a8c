"""The Twilio Messages API as ``twilio.rest.Client`` (9.x) calls it.

Message create and account fetch, Twilio-shaped errors, and signed delivery
status callbacks. The auth token ``bad-token`` is refused (401 / 20003).
"""

from __future__ import annotations

import base64
import urllib.parse
import uuid
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime
from typing import Any

from fake_provider.state import Call, ProviderState, Reply

TWILIO_ERROR_TEXT = {
    21211: "The 'To' number {to} is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region of {to}.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number {to} is not a valid mobile number",
}
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


def sms_segments(body: str) -> int:
    """Segments as carriers bill them: GSM-7 fits 160 (153 when split), UCS-2 70 (67)."""
    if all(c in _GSM7 or c in _GSM7_EXTENDED for c in body):
        units, single, part = len(body) + sum(c in _GSM7_EXTENDED for c in body), 160, 153
    else:
        units, single, part = len(body.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else -(-units // part)


def twilio_create_message(state: ProviderState, call: Call) -> Reply:
    account, auth = call.args[0], _basic_auth(call.headers)
    if auth is None or auth[1] == "bad-token":
        state.count("sms", "rejected")
        return _twilio_error(401, 20003, "Authenticate")
    form = {key: values[0] for key, values in urllib.parse.parse_qs(call.body.decode()).items()}
    config = state.config
    problem = _twilio_problem(form, config)
    if problem is not None:
        state.count("sms", "rejected")
        return _twilio_error(400, *problem)
    message = _twilio_message(form, account)
    outcome = state.submit(message)
    if outcome == "errored":
        return _twilio_error(500, 20500, "Internal Server Error")
    if outcome == "throttled":
        return _twilio_error(429, 20429, "Too Many Requests")
    if form.get("StatusCallback") and config["twilio_callbacks"]:
        token = config["twilio_auth_tokens"].get(account) or auth[1]
        state.schedule_callbacks(form["StatusCallback"], token, _status_posts(message, config))
    return 201, _twilio_resource(message), {}


def twilio_fetch_account(state: ProviderState, call: Call) -> Reply:
    sid, auth = call.args[0], _basic_auth(call.headers)
    if auth is None or auth[1] == "bad-token":
        return _twilio_error(401, 20003, "Authenticate")
    stamp = format_datetime(datetime.now(UTC))
    uri = f"/2010-04-01/Accounts/{sid}"
    account = {
        "sid": sid,
        "owner_account_sid": sid,
        "friendly_name": "Fake Postman account",
        "status": "active",
        "type": "Full",
        "date_created": stamp,
        "date_updated": stamp,
        "uri": f"{uri}.json",
        "subresource_uris": {"messages": f"{uri}/Messages.json"},
    }
    return 200, account, {}


def _twilio_problem(form: dict[str, str], config: dict[str, Any]) -> tuple[int, str] | None:
    to = form.get("To")
    if not to:
        return 21604, "A 'To' phone number is required."
    if not (form.get("From") or form.get("MessagingServiceSid")):
        return 21603, "A 'From' phone number is required."
    if not (form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")):
        return 21602, "Message body is required."
    code = config["twilio_error_numbers"].get(to)
    if code is None:
        return None
    return code, TWILIO_ERROR_TEXT.get(code, "Error {code} for {to}").format(code=code, to=to)


def _twilio_message(form: dict[str, str], account: str) -> dict[str, Any]:
    return {
        "channel": "sms",
        "id": "SM" + uuid.uuid4().hex,
        "at": None,
        "to": form["To"],
        "from": form.get("From"),
        "body": form.get("Body", ""),
        "account": account,
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "status_callback": form.get("StatusCallback"),
        "num_segments": sms_segments(form.get("Body", "")),
    }


def _twilio_resource(message: dict[str, Any]) -> dict[str, Any]:
    stamp = format_datetime(datetime.fromtimestamp(message["at"], UTC))
    uri = f"/2010-04-01/Accounts/{message['account']}/Messages/{message['id']}"
    return {
        "sid": message["id"],
        "account_sid": message["account"],
        "api_version": "2010-04-01",
        "to": message["to"],
        "from": message["from"],
        "body": message["body"],
        "messaging_service_sid": message["messaging_service_sid"],
        "status": "queued",
        "direction": "outbound-api",
        "num_segments": str(message["num_segments"]),
        "num_media": "0",
        "price": None,
        "price_unit": "USD",
        "error_code": None,
        "error_message": None,
        "date_created": stamp,
        "date_updated": stamp,
        "date_sent": None,
        "uri": f"{uri}.json",
        "subresource_uris": {"media": f"{uri}/Media.json"},
    }


def _status_posts(message: dict[str, Any], config: dict[str, Any]) -> list[dict[str, str]]:
    failure = config["twilio_failed_numbers"].get(message["to"])
    statuses = [("failed", failure)] if failure else [("sent", None), ("delivered", None)]
    return [_callback_params(message, status, code) for status, code in statuses]


def _callback_params(message: dict[str, Any], status: str, error_code: int | None) -> dict[str, str]:
    params = {
        "MessageSid": message["id"],
        "SmsSid": message["id"],
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": message["account"],
        "To": message["to"],
        "ApiVersion": "2010-04-01",
    }
    if message["from"]:
        params["From"] = message["from"]
    if message["messaging_service_sid"]:
        params["MessagingServiceSid"] = message["messaging_service_sid"]
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    return params


def _basic_auth(headers: Message) -> tuple[str, str] | None:
    value = headers.get("Authorization", "")
    if not value.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(value[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password


def _twilio_error(status: int, code: int, message: str) -> Reply:
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    return status, {"code": code, "message": message, "more_info": more_info, "status": status}, {}
