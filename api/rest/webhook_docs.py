"""The calls Postman makes to an officer's webhook endpoint, in the OpenAPI document's `webhooks`
(OpenAPI 3.1) beside the endpoints Postman answers: one document for both directions."""

from __future__ import annotations

from typing import Any

from webhooks.models import EventType

MILESTONES = [kind.value for kind in EventType if kind != EventType.MESSAGE_STATUS]
_EVENT_ID = "5f0c6a4e-3b1d-4a8e-9c57-2d41f0a8b6e3"
MESSAGE_EVENT = {
    "id": _EVENT_ID,
    "type": EventType.MESSAGE_STATUS.value,
    "created_at": "2026-03-02T09:30:04.512000+00:00",
    "data": {
        "channel": "email",
        "id": 4127,
        "status": "DELIVERED",
        "error_code": None,
        "sent_at": "2026-03-02T09:30:01.020000+00:00",
        "delivered_at": "2026-03-02T09:30:04.410000+00:00",
    },
}
CAMPAIGN_EVENT = {
    "id": "0b6f2d8e-91a4-4f57-8c1e-6a3d2b7c9e10",
    "type": EventType.CAMPAIGN_FINISHED.value,
    "created_at": "2026-03-02T09:31:21.000000+00:00",
    "data": {
        "id": 311,
        "name": "Clinic reminders, March",
        "channel": "email",
        "status": "sent",
        "started_at": "2026-03-02T09:31:00+00:00",
        "finished_at": "2026-03-02T09:31:21+00:00",
        "halted_reason": None,
    },
}
_MOMENT = {"type": ["string", "null"], "format": "date-time"}
_HEADERS = [
    {
        "in": "header",
        "name": "Postman-Webhook-Id",
        "required": True,
        "description": "The event's id: the same on every retry and replay. Ignore an id you have handled.",
        "schema": {"type": "string", "format": "uuid"},
        "example": _EVENT_ID,
    },
    {
        "in": "header",
        "name": "Postman-Webhook-Timestamp",
        "required": True,
        "description": "Unix seconds when this attempt was signed. Refuse the call if it is more "
        "than 5 minutes from your clock.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "example": "1772415004",
    },
    {
        "in": "header",
        "name": "Postman-Webhook-Signature",
        "required": True,
        "description": "`v1=` and the hex HMAC-SHA256, keyed with your endpoint's whole `whsec_…` "
        'secret, of the timestamp, a "." and the raw body. Compare in constant time before '
        "parsing the body.",
        "schema": {"type": "string", "pattern": "^v1=[0-9a-f]{64}$"},
        "example": "v1=" + "6d1f0c" + "0" * 58,
    },
]
_ANSWERS = {
    "2XX": {"description": "Received. Answer within 10 seconds; the body is not read beyond 4 KB."},
    "5XX": {
        "description": "Retried with exponential backoff (30 s, 1 min, 2 min, … then hourly) for 24 "
        "hours, as are 429 (its Retry-After honoured, up to an hour), timeouts and failed "
        "connections. Any other answer, a redirect included, is final."
    },
}


def _envelope(types: list[str], data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "type", "created_at", "data"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "type": {"type": "string", "enum": types},
            "created_at": {"type": "string", "format": "date-time"},
            "data": data,
        },
    }


_MESSAGE_DATA = {
    "type": "object",
    "description": "No recipient or text: look the message up by its id.",
    "properties": {
        "channel": {"type": "string", "enum": ["email", "sms"]},
        "id": {"type": "integer", "description": "As GET /api/v1/transactional/{channel}/{id} has it."},
        "status": {"type": "string", "enum": ["SENT", "DELIVERED", "BOUNCED", "COMPLAINT", "FAILED"]},
        "error_code": {"type": ["string", "null"]},
        "sent_at": _MOMENT,
        "delivered_at": _MOMENT,
    },
}
_CAMPAIGN_DATA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "description": "As GET /api/v1/campaigns/{id} has it."},
        "name": {"type": "string"},
        "channel": {"type": "string"},
        "status": {"type": "string", "enum": ["sending", "paused", "sent", "halted"]},
        "started_at": _MOMENT,
        "finished_at": _MOMENT,
        "halted_reason": {"type": ["string", "null"]},
    },
}


def _call(summary: str, description: str, schema: dict[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "description": description,
            "tags": ["Webhooks"],
            "parameters": _HEADERS,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": schema, "example": example}},
            },
            "responses": _ANSWERS,
            "security": [],
        }
    }


WEBHOOKS = {
    "messageStatusChanged": _call(
        "A message sent through the API changed status",
        "POSTed to each of your active endpoints when an email or SMS you sent with a key moves "
        "to SENT, DELIVERED, BOUNCED, COMPLAINT or FAILED. Events may arrive out of order: "
        "compare `status` rather than trusting arrival order.",
        _envelope([EventType.MESSAGE_STATUS.value], _MESSAGE_DATA),
        MESSAGE_EVENT,
    ),
    "campaignMilestone": _call(
        "One of your campaigns started, paused, resumed, was halted or finished",
        "POSTed to your endpoints that ask for campaign milestones, whether the campaign was sent "
        "from its page or through the campaign API.",
        _envelope(MILESTONES, _CAMPAIGN_DATA),
        CAMPAIGN_EVENT,
    ),
}
