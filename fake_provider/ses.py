"""Amazon SES v2 as boto3's ``sesv2`` client calls it (rest-json protocol).

Only SendEmail (Simple and Raw content) and GetAccount are faked. The access key
``bad-key`` is refused so credential checks have a failing case.
"""

from __future__ import annotations

import base64
import email
import json
import re
import uuid
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses
from typing import Any

from fake_provider.state import Call, ProviderState, Reply

BAD_KEY_TEXT = "The security token included in the request is invalid."


def ses_send_email(state: ProviderState, call: Call) -> Reply:
    account = _aws_access_key(call.headers)
    if account == "bad-key":
        state.count("email", "rejected")
        return _ses_error(403, "UnrecognizedClientException", BAD_KEY_TEXT)
    try:
        message = _ses_message(json.loads(call.body or b"{}"), account)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        state.count("email", "rejected")
        return _ses_error(400, "BadRequestException", f"Invalid SendEmail request: {exc}")
    outcome = state.submit(message)
    if outcome == "errored":
        return _ses_error(
            500, "InternalFailure", "The request processing has failed because of an unknown error."
        )
    if outcome == "throttled":
        return _ses_error(429, "TooManyRequestsException", "Maximum sending rate exceeded.")
    return 200, {"MessageId": message["id"]}, {}


def ses_get_account(state: ProviderState, call: Call) -> Reply:
    if _aws_access_key(call.headers) == "bad-key":
        return _ses_error(403, "UnrecognizedClientException", BAD_KEY_TEXT)
    quota = {
        "Max24HourSend": 1_000_000.0,
        "MaxSendRate": float(state.config["max_rate_per_second"] or 1000),
        "SentLast24Hours": float(state.stats()["email"]["accepted"]),
    }
    account = {"SendQuota": quota, "SendingEnabled": True, "ProductionAccessEnabled": True}
    return 200, {**account, "EnforcementStatus": "HEALTHY", "DedicatedIpAutoWarmupEnabled": False}, {}


def _ses_message(request: dict[str, Any], account: str | None) -> dict[str, Any]:
    destination = request.get("Destination") or {}
    message: dict[str, Any] = {
        "channel": "email",
        "id": str(uuid.uuid4()),
        "at": None,
        "to": destination.get("ToAddresses", []),
        "cc": destination.get("CcAddresses", []),
        "bcc": destination.get("BccAddresses", []),
        "from": request.get("FromEmailAddress"),
        "reply_to": request.get("ReplyToAddresses", []),
        "account": account,
        "configuration_set": request.get("ConfigurationSetName"),
        "tags": {tag["Name"]: tag["Value"] for tag in request.get("EmailTags", [])},
    }
    content = request.get("Content") or {}
    if "Simple" in content:
        message.update(_simple_content(content["Simple"]))
    elif "Raw" in content:
        message.update(_raw_content(content["Raw"], message))
    else:
        raise ValueError("Content needs Simple or Raw (templates are not faked)")
    if not (message["to"] or message["cc"] or message["bcc"]):
        raise ValueError("no recipients")
    return message


def _simple_content(simple: dict[str, Any]) -> dict[str, Any]:
    body = simple.get("Body", {})
    return {
        "subject": simple.get("Subject", {}).get("Data"),
        "text": body.get("Text", {}).get("Data"),
        "html": body.get("Html", {}).get("Data"),
        "headers": {header["Name"]: header["Value"] for header in simple.get("Headers", [])},
    }


def _raw_content(raw: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    mime = email.message_from_bytes(base64.b64decode(raw["Data"]), _class=EmailMessage, policy=policy.default)
    headers = {name: str(value) for name, value in mime.items()}
    found: dict[str, Any] = {
        "subject": headers.get("Subject"),
        "text": _mime_body(mime, "plain"),
        "html": _mime_body(mime, "html"),
        "headers": headers,
        "from": message["from"] or headers.get("From"),
    }
    # Without a Destination, SES sends to the addresses in the MIME headers.
    for key, header in (("to", "To"), ("cc", "Cc")):
        if not message[key]:
            found[key] = [addr for _, addr in getaddresses([str(v) for v in mime.get_all(header, [])])]
    return found


def _mime_body(mime: EmailMessage, subtype: str) -> str | None:
    part = mime.get_body(preferencelist=(subtype,))
    return None if part is None else part.get_content()


def _aws_access_key(headers: Message) -> str | None:
    match = re.search(r"Credential=([^/,\s]+)/", headers.get("Authorization", ""))
    return match.group(1) if match else None


def _ses_error(status: int, code: str, message: str) -> Reply:
    # botocore reads the error code of rest-json services from this header.
    return status, {"message": message}, {"x-amzn-ErrorType": code}
