"""What the OpenAPI document adds to the generated one: request bodies in the three encodings
Postman accepts, the Idempotency-Key header, list parameters, and an example for every answer."""

from __future__ import annotations

from string import Template
from typing import Any

from django.conf import settings
from pydantic import BaseModel

from api.rest.bodies import MAX_REQUEST_BYTES
from api.schemas import EMAIL_STATUS_FILTERS, SMS_STATUS_FILTERS, SORT_VALUES, EmailSendIn, SmsSendIn
from api.services.email import MAX_ATTACHMENT_BYTES, MAX_CC_AND_BCC
from api.services.idempotency import MAX_KEY_CHARS
from api.services.idempotency import TTL as IDEMPOTENCY_TTL

_DESCRIPTION = Template("""
Send single emails and SMS from your own systems, and run whole campaigns. The transactional
endpoints, fields and answers are those of Postman's v1 API: a client written for it works here
with only the base URL changed.

**Authentication.** Create a key under *API keys* and send it on every request as
`Authorization: Bearer <key>`. Keys expire ($key_months months unless chosen otherwise); the owner is
emailed $reminder_days days before. A key reaches only its owner's messages and campaigns.

**Rate limit.** Each officer may make $rate requests a second, all their keys together, unless an
administrator has set another rate. Beyond it the answer is `429` with a `Retry-After` header
(seconds).

**Idempotency.** Send an `Idempotency-Key` header (any unique string, up to $key_chars characters)
with a send or a campaign creation, and a retry with the same key and body within $idempotency_hours
hours returns the first answer instead of doing it again; the same key with a different body is a `422`.

**Delivery.** A send answers at once with status `ACCEPTED`; the message then moves to `SENT`
and, as the provider reports, `DELIVERED`, `BOUNCED`, `COMPLAINT` or `FAILED`. Poll the message
or the list to follow it, or register a webhook endpoint (*Webhooks* in the app) to be called
back on each change, signed with HMAC-SHA256.

**Campaigns.** `POST /api/v1/campaigns` makes a draft on email or SMS; `PUT …/template` writes
its message with `{{keyword}}`s; `POST …/recipients` uploads a CSV or Excel file (multipart,
$recipient_file_size) and answers `202` with a URL to poll until the file is `ready` (or `failed`, with the
reason); `POST …/test` sends the first message to you; `POST …/send` sends now or at
`scheduled_at`; `GET /api/v1/campaigns/{id}` gives the status and counters while it sends;
`GET …/export` streams the results as CSV. `pause`, `resume`, `retry` and `cancel` do what the
campaign page's buttons do. Webhook endpoints that ask for campaign milestones are called when a
campaign starts, pauses, resumes, is halted or finishes, with the same campaign `id`.

**Errors** are JSON `{"code": "...", "message": "..."}`: `400` invalid input (the message names
the field), `401` no or bad key, `403` not allowed (also what a campaign's state does not allow:
`not_allowed`), `404` not found (also another officer's message or campaign), `405` a method the
path does not take, `413` too large, `422` Idempotency-Key reused, `429` rate-limited.
""")


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB"


def _idempotency_hours() -> int:
    return int(IDEMPOTENCY_TTL.total_seconds() // 3600)


def description() -> str:
    """The API's introduction, with the numbers the running settings give."""
    days = [str(day) for day in sorted(settings.API_KEY_REMINDER_DAYS, reverse=True)]
    return _DESCRIPTION.substitute(
        key_months=settings.API_KEY_VALIDITY_MONTHS,
        reminder_days=", ".join(days[:-1]) + f" and {days[-1]}" if len(days) > 1 else "".join(days),
        rate=settings.API_DEFAULT_RATE_PER_SECOND,
        idempotency_hours=_idempotency_hours(),
        key_chars=MAX_KEY_CHARS,
        recipient_file_size=_size(settings.UPLOAD_MAX_BYTES),
    )


_TIMES = {
    "accepted_at": "2026-03-02T09:30:00.120Z",
    "sent_at": None,
    "delivered_at": None,
    "created_at": "2026-03-02T09:30:00.118Z",
    "updated_at": "2026-03-02T09:30:00.118Z",
}
EMAIL_EXAMPLE: dict[str, Any] = {
    "id": 4127,
    "from": "Health Promotion Board via Postman <donotreply@postman.example.gov.sg>",
    "recipient": "resident@example.com",
    "params": {
        "subject": "Your appointment is confirmed",
        "body": "<p>Dear resident,</p><p>Your appointment is on <b>3 March, 10:00</b>.</p>",
        "from": "Health Promotion Board via Postman <donotreply@postman.example.gov.sg>",
        "reply_to": "officer@agency.gov.sg",
    },
    "attachments_metadata": None,
    "status": "ACCEPTED",
    "error_code": None,
    "error_sub_type": None,
    **_TIMES,
    "opened_at": None,
    "classification": "FOR_INFO",
    "tag": "appointments",
    "cc": [],
    "bcc": [],
}
EMAIL_WITH_ATTACHMENT_EXAMPLE = {
    **EMAIL_EXAMPLE,
    "from": "officer@agency.gov.sg",
    "params": {**EMAIL_EXAMPLE["params"], "from": "officer@agency.gov.sg"},
    "attachments_metadata": [
        {
            "fileName": "letter.pdf",
            "fileSize": 48213,
            "hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822c",
        }
    ],
}
SMS_EXAMPLE = {
    "id": 981,
    "credentialsLabel": "clinic-sms",
    "recipient": "+6591234567",
    "body": "Your OTP is 123456.",
    "message_id": None,
    "status": "ACCEPTED",
    "error_code": None,
    **_TIMES,
    "errored_at": None,
}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"content": {"application/json": {"example": {"code": code, "message": message}}}}


def _errors(**examples: tuple[str, str]) -> dict[str, Any]:
    return {
        "content": {
            "application/json": {
                "examples": {n: {"value": {"code": c, "message": m}} for n, (c, m) in examples.items()}
            }
        }
    }


UNAUTHENTICATED = _errors(
    missing=("unauthenticated", 'Missing API key: send it as the header "Authorization: Bearer <key>".'),
    revoked=("unauthenticated", "This API key has been revoked."),
    expired=("unauthenticated", "This API key has expired."),
)
RATE_LIMITED = {
    **_error("rate_limit", "Too many requests. Please try again later."),
    "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
}
NOT_FOUND = _error("not_found", "Email not found.")
IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": f"Any unique string (1 to {MAX_KEY_CHARS} printable ASCII characters). A retry with "
    f"the same key and body within {_idempotency_hours()} hours returns the first answer instead of "
    "sending again.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS, "pattern": "^[\\x20-\\x7e]+$"},
    "example": "order-7781-confirmation",
}


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    schema.pop("title", None)
    return schema


def send_email_doc() -> dict[str, Any]:
    schema = _body_schema(EmailSendIn)
    multipart = {
        **schema,
        "properties": {
            **schema["properties"],
            "attachments": {
                "type": "array",
                "items": {"type": "string", "format": "binary"},
                "description": f"Files (multipart only), at most {_size(MAX_ATTACHMENT_BYTES)} in all. "
                "Allowed by content: PDF, PNG, JPEG, GIF, RTF, Word/Excel/PowerPoint (.docx/.xlsx/.pptx), "
                "OpenDocument, text (.txt/.csv/.ics). Only with your own address as 'from'.",
            },
        },
    }
    json_example = {
        "recipient": "resident@example.com",
        "subject": "Your appointment is confirmed",
        "body": "<p>Dear resident,</p><p>Your appointment is on <b>3 March, 10:00</b>.</p>",
        "tag": "appointments",
        "classification": "FOR_INFO",
    }
    return {
        "parameters": [IDEMPOTENCY_PARAMETER],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema, "example": json_example},
                "application/x-www-form-urlencoded": {"schema": schema, "example": json_example},
                "multipart/form-data": {"schema": multipart},
            },
        },
        "responses": {
            201: {
                "content": {
                    "application/json": {
                        "examples": {
                            "accepted": {"value": EMAIL_EXAMPLE},
                            "with attachment": {"value": EMAIL_WITH_ATTACHMENT_EXAMPLE},
                        }
                    }
                }
            },
            400: _errors(
                validation=("api_validation", '"recipient" must be a valid email address'),
                suppressed=("invalid_recipient", "Recipient email is suppressed: Hard bounce."),
                from_address=(
                    "invalid_from_address",
                    "Invalid 'from' email address: use "
                    "donotreply@postman.example.gov.sg or your own address, officer@agency.gov.sg.",
                ),
                too_many=(
                    "too_many_recipients",
                    f"cc and bcc can have at most {MAX_CC_AND_BCC} addresses together.",
                ),
                attachment=(
                    "attachment_format",
                    'Attachment "run.exe" is a Windows program, which cannot be attached.',
                ),
                empty=(
                    "invalid_template",
                    "Message is invalid as the subject or body only contains invalid HTML tags.",
                ),
            ),
            401: UNAUTHENTICATED,
            403: _error("unauthorized", "Attachments can only be sent with your own address as 'from'."),
            413: _error(
                "attachment_limit", f"Attachments can be at most {MAX_ATTACHMENT_BYTES} bytes in all."
            ),
            422: _error(
                "idempotency_mismatch", "This Idempotency-Key was already used with a different request."
            ),
            429: RATE_LIMITED,
        },
    }


def send_sms_doc() -> dict[str, Any]:
    schema = _body_schema(SmsSendIn)
    example = {"recipient": "+6591234567", "body": "Your OTP is 123456.", "label": "clinic-sms"}
    return {
        "parameters": [IDEMPOTENCY_PARAMETER],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema, "example": example},
                "application/x-www-form-urlencoded": {"schema": schema, "example": example},
                "multipart/form-data": {"schema": schema},
            },
        },
        "responses": {
            201: {"content": {"application/json": {"example": SMS_EXAMPLE}}},
            400: _errors(
                validation=("api_validation", '"recipient" must be a valid mobile number'),
                label=("invalid_credential_label", 'You have no Twilio credentials labelled "clinic-sms".'),
                suppressed=("invalid_recipient", "Recipient number is suppressed: Unsubscribed."),
            ),
            401: UNAUTHENTICATED,
            413: _error("payload_too_large", f"The request is larger than {MAX_REQUEST_BYTES} bytes."),
            422: _error(
                "idempotency_mismatch", "This Idempotency-Key was already used with a different request."
            ),
            429: RATE_LIMITED,
        },
    }


def get_doc(example: dict[str, Any], what: str) -> dict[str, Any]:
    return {
        "responses": {
            200: {"content": {"application/json": {"example": example}}},
            400: _error("api_validation", '"id" input should be greater than or equal to 1'),
            401: UNAUTHENTICATED,
            404: _error("not_found", f"{what} not found."),
            429: RATE_LIMITED,
        }
    }


def list_doc(example: dict[str, Any], *, statuses: tuple[str, ...], max_limit: int) -> dict[str, Any]:
    moment = {"type": "string", "format": "date-time"}
    bounds = {"gt": "after", "gte": "at or after", "lt": "before", "lte": "at or before"}
    return {
        "parameters": [
            _query(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": max_limit, "default": 10},
                "Page size.",
                20,
            ),
            _query(
                "offset",
                {"type": "integer", "minimum": 0, "maximum": 10**12, "default": 0},
                "Messages to skip.",
                0,
            ),
            _query(
                "status",
                {"type": "string", "enum": list(statuses)},
                "Only messages in this status.",
                "DELIVERED",
            ),
            _query(
                "tag",
                {"type": "string", "maxLength": 255},
                "Only messages with this tag (email).",
                "appointments",
            ),
            *(
                _query(
                    f"created_at[{op}]",
                    moment,
                    f"Only messages created {words} this time (ISO 8601).",
                    "2026-03-01T00:00:00Z",
                )
                for op, words in bounds.items()
            ),
            _query(
                "sort_by",
                {"type": "string", "enum": list(SORT_VALUES), "default": "created_at"},
                "Sort field; newest first unless prefixed with + (ascending). Encode + as %2B.",
                "-created_at",
            ),
            _query(
                "exclude_params", {"type": "boolean", "default": False}, "Leave out params (the body).", True
            ),
        ],
        "responses": {
            200: {"content": {"application/json": {"example": {"has_more": False, "data": [example]}}}},
            400: _errors(
                limit=("api_validation", f'"limit" input should be less than or equal to {max_limit}'),
                sort=("api_validation", '"sort_by" must be one of ' + ", ".join(SORT_VALUES)),
                unknown=("api_validation", '"page" is not allowed'),
            ),
            401: UNAUTHENTICATED,
            429: RATE_LIMITED,
        },
    }


def _query(name: str, schema: dict[str, Any], description: str, example: Any) -> dict[str, Any]:
    return {
        "in": "query",
        "name": name,
        "required": False,
        "schema": schema,
        "description": description,
        "example": example,
    }


EMAIL_LIST_DOC = list_doc(EMAIL_EXAMPLE, statuses=EMAIL_STATUS_FILTERS, max_limit=1000)
SMS_LIST_DOC = list_doc(SMS_EXAMPLE, statuses=SMS_STATUS_FILTERS, max_limit=100)
