"""Amazon SES v2 as boto3's ``sesv2`` client calls it (rest-json protocol).

SendEmail (Simple and Raw content), SendBulkEmail (inline ``TemplateContent`` only) and
GetAccount are faked. The access key ``bad-key`` is refused so credential checks have a failing
case; addresses in the ``ses_rejected_addresses`` config are refused as SES refuses them.

SendBulkEmail renders each entry the way SES's Handlebars templates render plain
substitutions: ``{{name}}`` HTML-escaped, ``{{{name}}}`` as given, a missing name as nothing;
values are never read as template text. Blocks and helpers are refused rather than ignored.
Each entry is drawn and counted on its own (``error_rate``, ``throttle_rate``,
``max_rate_per_second``) and logged as one message with what that recipient received.
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
REJECTED_TEXT = "Email address is not verified."
FAILURE_TEXT = "The request processing has failed because of an unknown error."
THROTTLED_TEXT = "Maximum sending rate exceeded."
MAX_BULK_ENTRIES = 50


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
    if _rejected(state, message):
        state.count("email", "rejected")
        return _ses_error(400, "MessageRejected", REJECTED_TEXT)
    outcome = state.submit(message)
    if outcome == "errored":
        return _ses_error(500, "InternalFailure", FAILURE_TEXT)
    if outcome == "throttled":
        return _ses_error(429, "TooManyRequestsException", THROTTLED_TEXT)
    return 200, {"MessageId": message["id"]}, {}


def ses_send_bulk_email(state: ProviderState, call: Call) -> Reply:
    account = _aws_access_key(call.headers)
    if account == "bad-key":
        state.count("email", "rejected")
        return _ses_error(403, "UnrecognizedClientException", BAD_KEY_TEXT)
    try:
        messages = _bulk_messages(json.loads(call.body or b"{}"), account, state.config["keep_bodies"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        state.count("email", "rejected")
        return _ses_error(400, "BadRequestException", f"Invalid SendBulkEmail request: {exc}")
    if state.take_bulk_call_failure():
        return _ses_error(500, "InternalFailure", FAILURE_TEXT)
    refused = [_rejected(state, message) for message in messages]
    for _ in range(sum(refused)):
        state.count("email", "rejected")
    outcomes = iter(state.submit_many([m for m, no in zip(messages, refused, strict=True) if not no]))
    results = [
        {"Status": "MESSAGE_REJECTED", "Error": REJECTED_TEXT}
        if no
        else _entry_result(message, next(outcomes))
        for message, no in zip(messages, refused, strict=True)
    ]
    return 200, {"BulkEmailEntryResults": results}, {}


def _entry_result(message: dict[str, Any], outcome: str | None) -> dict[str, str]:
    if outcome == "errored":
        return {"Status": "TRANSIENT_FAILURE", "Error": FAILURE_TEXT}
    if outcome == "throttled":
        return {"Status": "ACCOUNT_THROTTLED", "Error": THROTTLED_TEXT}
    return {"Status": "SUCCESS", "MessageId": message["id"]}


def _rejected(state: ProviderState, message: dict[str, Any]) -> bool:
    refused = state.config["ses_rejected_addresses"]
    return bool(refused) and any(a in refused for a in message["to"] + message["cc"] + message["bcc"])


_SUBSTITUTION = re.compile(r"\{\{\{\s*([\w.-]+)\s*\}\}\}|\{\{\s*([\w.-]+)\s*\}\}")
# What Handlebars escapes in a {{name}} substitution.
_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;", "`": "&#x60;", "=": "&#x3D;"}
)


def render_substitutions(template: str, data: dict[str, Any]) -> str:
    """One pass over ``template``: a value is never read as template text itself."""

    def fill(match: re.Match[str]) -> str:
        raw = match[1] is not None
        value = data.get(match[1] if raw else match[2])
        text = "" if value is None else str(value)
        return text if raw else text.translate(_ESCAPES)

    return _SUBSTITUTION.sub(fill, template)


def _bulk_messages(request: dict[str, Any], account: str | None, render: bool = True) -> list[dict[str, Any]]:
    template = request["DefaultContent"]["Template"]
    if "TemplateContent" not in template:
        raise ValueError("only inline TemplateContent is faked, not stored templates")
    content = template["TemplateContent"]
    parts = {
        key: content.get(name) for key, name in (("subject", "Subject"), ("text", "Text"), ("html", "Html"))
    }
    for key, text in parts.items():
        if text is not None and "{{" in _SUBSTITUTION.sub("", text):
            raise ValueError(f"the {key} uses template logic; only {{{{name}}}} substitution is faked")
    defaults = json.loads(template.get("TemplateData") or "{}")
    headers = {header["Name"]: header["Value"] for header in template.get("Headers", [])}
    entries = request["BulkEmailEntries"]
    if not 1 <= len(entries) <= MAX_BULK_ENTRIES:
        raise ValueError(f"BulkEmailEntries must hold 1 to {MAX_BULK_ENTRIES} entries, not {len(entries)}")
    call = str(uuid.uuid4())
    # Without kept bodies the log holds no subject, text or html: rendering them would be thrown away.
    shown = parts if render else {}
    return [_bulk_entry(request, entry, shown, defaults, headers, account, call) for entry in entries]


def _bulk_entry(
    request: dict[str, Any],
    entry: dict[str, Any],
    parts: dict[str, str | None],
    defaults: dict[str, Any],
    headers: dict[str, str],
    account: str | None,
    call: str,
) -> dict[str, Any]:
    replacement = entry.get("ReplacementEmailContent", {}).get("ReplacementTemplate", {})
    data = {**defaults, **json.loads(replacement.get("ReplacementTemplateData") or "{}")}
    message = _envelope(request, entry["Destination"], account)
    if not (message["to"] or message["cc"] or message["bcc"]):
        raise ValueError("an entry has no recipients")
    message["tags"] = {
        tag["Name"]: tag["Value"]
        for tag in request.get("DefaultEmailTags", []) + entry.get("ReplacementTags", [])
    }
    message.update(
        {key: None if text is None else render_substitutions(text, data) for key, text in parts.items()}
    )
    message["headers"] = {**headers, **{h["Name"]: h["Value"] for h in entry.get("ReplacementHeaders", [])}}
    message["bulk_call"] = call
    return message


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
    message = _envelope(request, request.get("Destination") or {}, account)
    message["tags"] = {tag["Name"]: tag["Value"] for tag in request.get("EmailTags", [])}
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


def _envelope(request: dict[str, Any], destination: dict[str, Any], account: str | None) -> dict[str, Any]:
    return {
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
    }


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
