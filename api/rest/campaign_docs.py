"""What the OpenAPI document adds for the campaign endpoints: request bodies and an example for
every answer, errors included."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from api.campaign_schemas import (
    API_CHANNELS,
    CAMPAIGN_STATUSES,
    CampaignCreateIn,
    CampaignTestIn,
    SendIn,
    TemplateIn,
)
from api.rest.campaign_examples import (
    COUNTS_READY,
    DRAFT,
    FILE_FAILED,
    FILE_PENDING,
    FILE_READY,
    READY,
    SCHEDULED,
    SENDING,
    SENT,
    SMS_DRAFT,
)
from api.rest.docs import IDEMPOTENCY_PARAMETER, RATE_LIMITED, UNAUTHENTICATED, _error, _errors

NOT_FOUND = _error("not_found", "Campaign not found.")
BAD_ID = ("api_validation", '"campaign_id" input should be greater than or equal to 1')


def _ok(status: int, **examples: dict[str, Any]) -> dict[int, Any]:
    media = {"examples": {name: {"value": value} for name, value in examples.items()}}
    return {status: {"content": {"application/json": media}}}


def _answers(
    ok: dict[int, Any], *, bad: dict[str, tuple[str, str]], more: dict[int, Any] | None = None
) -> dict[str, Any]:
    return {
        "responses": {
            **ok,
            400: _errors(id=BAD_ID, **bad),
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
            429: RATE_LIMITED,
            **(more or {}),
        }
    }


def _json_body(model: type[BaseModel], **examples: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    media = {"schema": schema, "examples": {name: {"value": value} for name, value in examples.items()}}
    return {"requestBody": {"required": False, "content": {"application/json": media}}}


CREATE_DOC = {
    "parameters": [{**IDEMPOTENCY_PARAMETER, "example": "clinic-reminders-2026-03"}],
    **_json_body(
        CampaignCreateIn,
        email={"name": "Clinic reminders, March", "channel": "email"},
        sms={"name": "Clinic reminders, March (SMS)", "channel": "sms"},
    ),
    "responses": {
        **_ok(201, email=DRAFT),
        400: _errors(
            channel=(
                "api_validation",
                '"channel" input should be ' + " or ".join(f"'{c}'" for c in API_CHANNELS),
            ),
            name=(
                "api_validation",
                '"name": Write this on one line, without line breaks or control characters (found U+000A).',
            ),
        ),
        401: UNAUTHENTICATED,
        422: _error(
            "idempotency_mismatch", "This Idempotency-Key was already used with a different request."
        ),
        429: RATE_LIMITED,
    },
}
CREATE_DOC["requestBody"]["required"] = True


def _query(name: str, schema: dict[str, Any], description: str, example: Any) -> dict[str, Any]:
    return {
        "in": "query",
        "name": name,
        "required": False,
        "schema": schema,
        "description": description,
        "example": example,
    }


LIST_DOC = {
    "parameters": [
        _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}, "Page size.", 20),
        _query(
            "offset",
            {"type": "integer", "minimum": 0, "maximum": 10**12, "default": 0},
            "Campaigns to skip.",
            0,
        ),
        _query(
            "status",
            {"type": "string", "enum": list(CAMPAIGN_STATUSES)},
            "Only campaigns in this status.",
            "sent",
        ),
        _query(
            "channel",
            {"type": "string", "enum": list(API_CHANNELS)},
            "Only campaigns on this channel.",
            "sms",
        ),
        _query(
            "name", {"type": "string", "maxLength": 255}, "Only campaigns whose name contains this.", "clinic"
        ),
    ],
    "responses": {
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "has_more": False,
                        "data": [{k: SENT[k] for k in [*list(DRAFT)[:10], "counts"]}],
                    }
                }
            }
        },
        400: _errors(
            limit=("api_validation", '"limit" input should be less than or equal to 100'),
            unknown=("api_validation", '"page" is not allowed'),
        ),
        401: UNAUTHENTICATED,
        429: RATE_LIMITED,
    },
}
GET_DOC = _answers(_ok(200, draft=DRAFT, ready=READY, sending=SENDING, sent=SENT, sms=SMS_DRAFT), bad={})
DELETE_DOC = _answers(
    {204: {"description": "Deleted."}},
    bad={},
    more={403: _error("not_allowed", "Only a draft can be deleted.")},
)
TEMPLATE_DOC = {
    **_json_body(
        TemplateIn,
        email={
            "subject": "Your appointment, {{name}}",
            "body": "<p>Dear {{name}}, your appointment is on <b>{{date}}</b>.</p>",
            "sender_name": "Clinic A",
        },
        markdown={
            "subject": "Your appointment, {{name}}",
            "body": "Dear {{name}},\n\nYour appointment is on **{{date}}**.",
            "body_format": "markdown",
        },
        sms={"body": "Hi {{name}}, your appointment is on {{date}}."},
    ),
    **_answers(
        _ok(200, email=READY, sms=SMS_DRAFT),
        bad={
            "template": (
                "invalid_template",
                '"body": Invalid keyword "{{first name}}" at line 1, column 6: keywords may contain '
                "only letters, numbers and underscores.",
            ),
            "missing": ("api_validation", '"subject": This field is required.'),
            "sms": ("api_validation", '"subject" is not allowed for an SMS campaign'),
        },
        more={
            403: _error(
                "not_allowed", "This campaign has been sent or scheduled; it can no longer be changed."
            )
        },
    ),
}
TEMPLATE_DOC["requestBody"]["required"] = True
UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV (UTF-8) or Excel (.xlsx), at most 200 MB. First row: "
                            "recipient, then one column per keyword.",
                        }
                    },
                    "additionalProperties": False,
                }
            }
        },
    },
    **_answers(
        _ok(202, accepted=FILE_PENDING),
        bad={
            "missing": ("api_validation", '"file": This field is required.'),
            "empty": ("api_validation", '"file": The submitted file is empty.'),
            "form": ("malformed", 'Send the file as multipart/form-data, in the field "file".'),
        },
        more={
            403: _error("not_allowed", "Write the message first: the file is checked against its keywords."),
            413: _error("payload_too_large", "The file is larger than 200 MB. Split it into smaller files."),
        },
    ),
}
UPLOAD_DOC["responses"][202]["headers"] = {
    "Location": {"description": "The URL to poll for the ingest result.", "schema": {"type": "string"}}
}
_FILE_ERRORS = {"file_id": ("api_validation", '"file_id" input should be greater than or equal to 1')}
FILE_DOC = _answers(_ok(200, pending=FILE_PENDING, ready=FILE_READY, failed=FILE_FAILED), bad=_FILE_ERRORS)
FILE_DOC["responses"][404] = _errors(
    campaign=("not_found", "Campaign not found."), file=("not_found", "Recipient file not found.")
)
_CSV = "\ufeffrow,recipient,reason\r\n7,not-an-email,Not a valid email address\r\n"
REJECTED_DOC = _answers(
    {200: {"content": {"text/csv": {"schema": {"type": "string"}, "example": _CSV}}}}, bad=_FILE_ERRORS
)
REJECTED_DOC["responses"][404] = _errors(
    campaign=("not_found", "Campaign not found."),
    replaced=("not_found", "Rejected rows are kept only for the list now loaded."),
)
TEST_DOC = {
    **_json_body(
        CampaignTestIn,
        email={"to": "officer@agency.gov.sg"},
        sms={"to": "+6591234567", "label": "clinic-sms"},
        defaults={},
    ),
    **_answers(
        _ok(200, email={"to": "officer@agency.gov.sg"}, sms={"to": "+6591234567"}),
        bad={
            "to": ("api_validation", '"to": Enter a valid email address.'),
            "label": ("invalid_credential_label", 'You have no Twilio credentials labelled "clinic-sms".'),
        },
        more={
            403: _errors(
                government=("not_allowed", "Send tests to a government address, such as your own."),
                empty=("not_allowed", "Upload a recipient file with at least one valid recipient first."),
            )
        },
    ),
}
SEND_DOC = {
    **_json_body(
        SendIn,
        now={},
        rate={"send_rate": 50},
        scheduled={"scheduled_at": "2026-03-03T09:30:00+08:00"},
        sms={"label": "clinic-sms", "send_rate": 10},
    ),
    **_answers(
        _ok(200, sending={**SENDING, "counts": {**COUNTS_READY, "queued": 995}}, scheduled=SCHEDULED),
        bad={
            "time": (
                "api_validation",
                '"scheduled_at" must include a time zone offset, such as 2026-03-02T09:30:00+08:00',
            ),
            "past": (
                "api_validation",
                '"scheduled_at": That time has passed. '
                "Choose a time after 2 Mar 2026, 09:31 (Singapore time).",
            ),
            "label": ("invalid_credential_label", 'You have no Twilio credentials labelled "clinic-sms".'),
        },
        more={
            403: _errors(
                nobody=("not_allowed", "There is nobody to send to: upload a file with valid recipients."),
                sent=(
                    "not_allowed",
                    "This campaign has been sent or scheduled; it can no longer be changed.",
                ),
            )
        },
    ),
}


def control_doc(status: str, refusal: str) -> dict[str, Any]:
    example = {**SENDING, "status": status}
    if status == "draft":
        example = READY
    return _answers(_ok(200, campaign=example), bad={}, more={403: _error("not_allowed", refusal)})


_EXPORT = (
    "\ufeffrow,recipient,status,error_code,error,sent_at,delivered_at,updated_at,name,date\r\n"
    "1,amy@example.com,delivered,,,2026-03-02T09:31:01Z,2026-03-02T09:31:03Z,"
    "2026-03-02T09:31:03Z,Amy,3 March\r\n"
)
EXPORT_DOC = _answers(
    {200: {"content": {"text/csv": {"schema": {"type": "string"}, "example": _EXPORT}}}}, bad={}
)
