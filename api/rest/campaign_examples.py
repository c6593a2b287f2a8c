"""Example answers of the campaign API for its OpenAPI document: one campaign, 311, through its
life (a draft, ready, sending, scheduled, sent) and its upload (pending, ready, failed)."""

from __future__ import annotations

from typing import Any

_ID = 311
_URL = f"/api/v1/campaigns/{_ID}"
COUNTS_READY = {
    "total": 1000,
    "queued": 995,
    "sending": 0,
    "sent": 0,
    "delivered": 0,
    "failed": 0,
    "invalid": 3,
    "duplicate": 2,
    "suppressed": 0,
    "bounced": 0,
    "unsubscribed": 0,
}
FILE_PENDING: dict[str, Any] = {
    "id": 52,
    "url": f"{_URL}/recipients/52",
    "status": "pending",
    "file_name": "march.csv",
    "size_bytes": 48213,
    "rows_read": 0,
    "total": 0,
    "valid": 0,
    "invalid": 0,
    "duplicates": 0,
    "suppressed": 0,
    "columns": [],
    "notes": [],
    "error": None,
    "rejected_rows_url": None,
    "created_at": "2026-03-02T09:30:00.118Z",
    "finished_at": None,
}
FILE_READY = {
    **FILE_PENDING,
    "status": "ready",
    "rows_read": 1000,
    "total": 1000,
    "valid": 995,
    "invalid": 3,
    "duplicates": 2,
    "columns": ["recipient", "name", "date"],
    "rejected_rows_url": f"{_URL}/recipients/52/rejected",
    "finished_at": "2026-03-02T09:30:02.410Z",
}
FILE_FAILED = {
    **FILE_PENDING,
    "status": "failed",
    "error": 'The file has no "date" column, which the message uses. Add it and upload the file again.',
    "finished_at": "2026-03-02T09:30:00.950Z",
}
DRAFT: dict[str, Any] = {
    "id": _ID,
    "name": "Clinic reminders, March",
    "channel": "email",
    "status": "draft",
    "created_at": "2026-03-02T09:29:00.000Z",
    "updated_at": "2026-03-02T09:29:30.000Z",
    "scheduled_at": None,
    "started_at": None,
    "finished_at": None,
    "url": _URL,
    "halted_reason": None,
    "send_rate": None,
    "template": None,
    "recipients": None,
    "sms": None,
    "counts": dict.fromkeys(COUNTS_READY, 0),
    "progress": {
        "percent": 0,
        "done": 0,
        "sendable": 0,
        "rate_per_second": 0.0,
        "seconds_left": 0,
        "finish_at": None,
    },
    "retryable": 0,
    "export_url": f"{_URL}/export",
}
TEMPLATE = {
    "subject": "Your appointment, {{name}}",
    "body": "<p>Dear {{name}}, your appointment is on <b>{{date}}</b>.</p>",
    "body_format": "rich",
    "sender_name": "Clinic A",
    "reply_to": "officer@agency.gov.sg",
    "keywords": ["date", "name"],
    "columns": ["recipient", "date", "name"],
}
READY = {
    **DRAFT,
    "template": TEMPLATE,
    "recipients": FILE_READY,
    "counts": COUNTS_READY,
    "progress": {**DRAFT["progress"], "sendable": 995, "seconds_left": None},
}
SENDING = {
    **READY,
    "status": "sending",
    "started_at": "2026-03-02T09:31:00.000Z",
    "send_rate": 50,
    "counts": {**COUNTS_READY, "queued": 545, "sending": 50, "sent": 380, "delivered": 20},
    "progress": {
        "percent": 40,
        "done": 400,
        "sendable": 995,
        "rate_per_second": 49.8,
        "seconds_left": 12,
        "finish_at": "2026-03-02T09:31:20.000Z",
    },
}
SCHEDULED = {**READY, "status": "scheduled", "scheduled_at": "2026-03-03T01:30:00Z"}
SENT = {
    **READY,
    "status": "sent",
    "started_at": "2026-03-02T09:31:00.000Z",
    "finished_at": "2026-03-02T09:31:21.000Z",
    "counts": {**COUNTS_READY, "queued": 0, "sent": 12, "delivered": 980, "failed": 2, "bounced": 1},
    "progress": {**SENDING["progress"], "percent": 100, "done": 995, "seconds_left": 0, "finish_at": None},
    "retryable": 2,
}
SMS_DRAFT = {
    **READY,
    "channel": "sms",
    "template": {
        "subject": None,
        "body": "Hi {{name}}, your appointment is on {{date}}.",
        "body_format": None,
        "sender_name": None,
        "reply_to": None,
        "keywords": ["date", "name"],
        "columns": ["recipient", "date", "name"],
    },
    "sms": {"credential_label": "clinic-sms", "estimated_segments": 995, "too_long": 0},
}
