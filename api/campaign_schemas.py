"""The campaign API's request and response shapes.

Requests are checked here for their shape only (types, required fields, no unknown ones); the
campaign pages' own forms then apply the same rules to the values as they do in the browser.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from api.schemas import _Strict

# Channels a key may create campaigns on. Each is added here on purpose: a channel that needs the
# browser (protected email) never is.
API_CHANNELS = ("email", "sms")
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "paused", "sent", "halted")
FILE_STATUSES = ("pending", "processing", "ready", "failed")
MAX_SEND_RATE = 10_000


class CampaignCreateIn(_Strict):
    name: str = Field(
        max_length=255,
        description="For you and your team; recipients do not see it. One line.",
        examples=["Clinic reminders, March"],
    )
    channel: Literal[API_CHANNELS] = Field(  # type: ignore[valid-type]
        description="How the campaign is sent. SMS goes through one of your Twilio credentials.",
        examples=["email"],
    )


class TemplateIn(_Strict):
    body: str = Field(
        description="The message with {{keyword}} where each recipient's own value goes. Email: HTML "
        "(sanitised at save) or Markdown; SMS: plain text, at most 1,600 characters before keywords "
        "are filled in.",
        examples=["<p>Dear {{name}}, your appointment is on <b>{{date}}</b>.</p>"],
    )
    subject: str | None = Field(
        None, description="Email only, required there. One line; may use keywords.", max_length=998
    )
    body_format: Literal["rich", "markdown"] | None = Field(
        None, description="Email only: rich (HTML, the default) or markdown."
    )
    sender_name: str | None = Field(
        None,
        max_length=100,
        description='Email only: shown as the sender, followed by "via Postman". '
        "Default: your agency's name.",
    )
    reply_to: str | None = Field(
        None,
        description="Email only: where replies go. Default: your own address.",
        examples=["help@agency.gov.sg"],
    )


class SendIn(_Strict):
    scheduled_at: datetime | None = Field(
        None,
        description="Send at this time instead of now: ISO 8601 with a time zone offset. Until it "
        "starts, a scheduled campaign can be sent again with another time, or cancelled.",
        examples=["2026-03-02T09:30:00+08:00"],
    )
    send_rate: int | None = Field(
        None,
        ge=1,
        le=MAX_SEND_RATE,
        description="Messages per second. Email: default as fast as Postman allows; SMS: default "
        "10, and never above the Twilio credential's own limit.",
    )
    label: str | None = Field(
        None,
        description="SMS only: the label of the Twilio credential to send with. Default: the one the "
        "campaign's test was sent with.",
        examples=["clinic-sms"],
    )

    @field_validator("scheduled_at", mode="before")
    @classmethod
    def _with_offset(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(
                    "must be an ISO 8601 date and time, such as 2026-03-02T09:30:00+08:00"
                ) from None
        if isinstance(value, datetime) and value.tzinfo is None:
            # Singapore or UTC? A wrong guess sends a whole campaign hours early or late.
            raise ValueError("must include a time zone offset, such as 2026-03-02T09:30:00+08:00")
        if isinstance(value, datetime):
            try:
                return value.astimezone(UTC)
            except OverflowError:
                raise ValueError("is out of range") from None
        return value


class CampaignTestIn(_Strict):
    to: str | None = Field(
        None,
        description="Email: a government address, default your own. SMS: your own Singapore mobile "
        "(the test number of one of your Twilio credentials), default the first of them.",
        examples=["officer@agency.gov.sg"],
    )
    label: str | None = Field(
        None,
        description="SMS only: the Twilio credential to send with; it becomes the campaign's. "
        "Default: the campaign's current one.",
        examples=["clinic-sms"],
    )


class TemplateOut(BaseModel):
    subject: str | None
    body: str
    body_format: Literal["rich", "markdown"] | None
    sender_name: str | None
    reply_to: str | None
    keywords: list[str]
    columns: list[str] = Field(description="The columns a recipient file must have, recipient first.")


class CountsOut(BaseModel):
    total: int = Field(description="Rows in the loaded recipient file.")
    queued: int
    sending: int
    sent: int
    delivered: int
    failed: int
    invalid: int
    duplicate: int
    suppressed: int
    bounced: int
    unsubscribed: int


class ProgressOut(BaseModel):
    percent: int = Field(ge=0, le=100)
    done: int = Field(
        description="Messages with an outcome: sent, delivered, bounced, failed or unsubscribed."
    )
    sendable: int = Field(description="Rows that are not invalid, duplicate or suppressed.")
    rate_per_second: float = Field(description="Messages sent per second over the last 10 seconds.")
    seconds_left: int | None = Field(description="At the current rate; null while nothing is moving.")
    finish_at: datetime | None


class RecipientFileOut(BaseModel):
    id: int
    url: str = Field(description="Poll this for the ingest result.")
    status: Literal[FILE_STATUSES]  # type: ignore[valid-type]
    file_name: str
    size_bytes: int
    rows_read: int = Field(description="Rows read so far; all of them once ready.")
    total: int
    valid: int
    invalid: int
    duplicates: int
    suppressed: int
    columns: list[str]
    notes: list[str]
    error: str | None = Field(description="Why the file was refused (status failed).")
    rejected_rows_url: str | None = Field(
        description="CSV of the invalid, duplicate and suppressed rows with the reason for each; "
        "present while this file's rows are the campaign's list and some were rejected."
    )
    created_at: datetime
    finished_at: datetime | None


class CampaignSmsOut(BaseModel):
    credential_label: str | None
    estimated_segments: int
    too_long: int


class CampaignOut(BaseModel):
    id: int
    name: str
    channel: Literal[API_CHANNELS]  # type: ignore[valid-type]
    status: Literal[CAMPAIGN_STATUSES]  # type: ignore[valid-type]
    created_at: datetime
    updated_at: datetime
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    url: str
    halted_reason: str | None
    send_rate: int | None
    template: TemplateOut | None
    recipients: RecipientFileOut | None = Field(description="The latest upload.")
    sms: CampaignSmsOut | None
    counts: CountsOut
    progress: ProgressOut
    retryable: int = Field(description="Failed messages a retry would send again (once sent).")
    export_url: str


class CampaignSummaryOut(BaseModel):
    id: int
    name: str
    channel: Literal[API_CHANNELS]  # type: ignore[valid-type]
    status: Literal[CAMPAIGN_STATUSES]  # type: ignore[valid-type]
    created_at: datetime
    updated_at: datetime
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    counts: CountsOut
    url: str


class CampaignListOut(BaseModel):
    has_more: bool
    data: list[CampaignSummaryOut]


class CampaignListQuery(_Strict):
    limit: int = Field(10, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10**12)
    status: Literal[CAMPAIGN_STATUSES] | None = None  # type: ignore[valid-type]
    channel: Literal[API_CHANNELS] | None = None  # type: ignore[valid-type]
    name: str | None = Field(None, max_length=255)


class CampaignTestOut(BaseModel):
    to: str = Field(description="Where the test was sent.", examples=["officer@agency.gov.sg"])
