"""The v1 API's request and response shapes: pydantic models that validate and document them.

Field names, statuses and the list envelope follow Postman's v1 API, so a client written for it
works here with only the base URL changed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from api.errors import ApiError, invalid

EMAIL_STATUSES = ("ACCEPTED", "SENT", "DELIVERED", "BOUNCED", "COMPLAINT", "FAILED")
# Postman's other statuses: accepted as filters (they match nothing here) so its clients' queries work.
EMAIL_STATUS_FILTERS = ("UNSENT", *EMAIL_STATUSES, "OPENED")
SMS_STATUSES = ("ACCEPTED", "SENT", "DELIVERED", "FAILED")
SMS_STATUS_FILTERS = ("UNSENT", *SMS_STATUSES, "ERROR")
SORT_FIELDS = ("created_at", "updated_at")
SORT_VALUES = tuple(f"{sign}{name}" for name in SORT_FIELDS for sign in ("", "+", "-"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        # PostgreSQL text holds neither NUL nor a lone surrogate (JSON's "\ud800", or a form's
        # bytes that are not UTF-8, see api.rest.bodies): refuse them naming the field, not fail on save.
        values = value if isinstance(value, list) else [value]
        texts = [item for item in values if isinstance(item, str)]
        if any(not is_utf8_text(item) for item in texts):
            raise ValueError("must be valid UTF-8 text")
        if any("\x00" in item for item in texts):
            raise ValueError("must not contain NUL characters")
        return value


def is_utf8_text(text: str) -> bool:
    """False for text with a lone surrogate, which no UTF-8 encodes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class EmailSendIn(_Strict):
    recipient: str = Field(
        description="One email address (ASCII only).",
        examples=["resident@example.com"],
        json_schema_extra={"format": "email"},
    )
    subject: str = Field(description="Plain text.", examples=["Your appointment is confirmed"])
    body: str = Field(
        description="HTML, sanitised like campaign templates; at most 1 MiB (UTF-8).",
        examples=["<p>Dear resident,</p><p>Your appointment is on <b>3 March, 10:00</b>.</p>"],
    )
    from_: str | None = Field(
        None,
        alias="from",
        description="The default sender (optionally with another display name, shown "
        '"Name via Postman") or your own address. Default: the default sender.',
        examples=["Clinic A <donotreply@postman.example.gov.sg>"],
    )
    reply_to: str | None = Field(
        None, description="Default: your own address.", examples=["help@agency.gov.sg"]
    )
    cc: list[str] = Field(
        default_factory=list,
        description="cc and bcc: at most 49 addresses together.",
        json_schema_extra={"items": {"type": "string", "format": "email"}},
    )
    bcc: list[str] = Field(
        default_factory=list, json_schema_extra={"items": {"type": "string", "format": "email"}}
    )
    tag: str | None = Field(
        None, max_length=255, description="Your own label, to filter the list by.", examples=["appointments"]
    )
    classification: Literal["URGENT", "FOR_ACTION", "FOR_INFO"] | None = Field(
        None, description="Shown at the top of the email.", examples=["FOR_INFO"]
    )
    disable_tracking: bool = Field(False, description="Send through the configuration set without tracking.")

    @field_validator("classification", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class SmsSendIn(_Strict):
    recipient: str = Field(
        description="A mobile number; Singapore numbers need no +65.", examples=["+6591234567"]
    )
    body: str = Field(description="Plain text, at most 1600 characters.", examples=["Your OTP is 123456."])
    label: str = Field(
        description="The label of one of your saved Twilio credentials.", examples=["clinic-sms"]
    )


class AttachmentMetadata(BaseModel):
    fileName: str
    fileSize: int
    hash: str


class EmailParams(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    subject: str
    body: str
    from_: str = Field(alias="from")
    reply_to: str | None


class EmailOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: int
    from_: str = Field(alias="from")
    recipient: str
    params: EmailParams | None
    attachments_metadata: list[AttachmentMetadata] | None
    status: Literal[EMAIL_STATUSES]  # type: ignore[valid-type]
    error_code: str | None
    error_sub_type: str | None
    accepted_at: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    created_at: datetime
    updated_at: datetime
    classification: str | None
    tag: str | None
    cc: list[str]
    bcc: list[str]


class EmailListOut(BaseModel):
    has_more: bool
    data: list[EmailOut]


class SmsOut(BaseModel):
    id: int
    credentialsLabel: str
    recipient: str
    body: str
    message_id: str | None
    status: Literal[SMS_STATUSES]  # type: ignore[valid-type]
    error_code: str | None
    accepted_at: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    errored_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SmsListOut(BaseModel):
    has_more: bool
    data: list[SmsOut]


class ErrorOut(BaseModel):
    code: str = Field(examples=["api_validation"])
    message: str = Field(examples=['"recipient" is required'])


class ListQuery(_Strict):
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=10**12)
    status: str | None = None
    tag: str | None = Field(None, max_length=255)
    created_at_gt: datetime | None = Field(None, alias="created_at[gt]")
    created_at_gte: datetime | None = Field(None, alias="created_at[gte]")
    created_at_lt: datetime | None = Field(None, alias="created_at[lt]")
    created_at_lte: datetime | None = Field(None, alias="created_at[lte]")
    sort_by: str = "created_at"
    exclude_params: bool = False

    @field_validator("sort_by", mode="before")
    @classmethod
    def _sort(cls, value: Any) -> Any:
        # An unencoded "+" in a query string arrives as a space.
        if isinstance(value, str) and value.startswith(" "):
            value = "+" + value[1:]
        if value not in SORT_VALUES:
            raise ValueError("must be one of " + ", ".join(SORT_VALUES))
        return value

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("created_at_gt", "created_at_gte", "created_at_lt", "created_at_lte", mode="before")
    @classmethod
    def _iso_8601(cls, value: Any) -> Any:
        # As documented: ISO 8601 only. pydantic alone would also read "0.5" as a Unix time.
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                raise ValueError("must be an ISO 8601 date and time, such as 2026-03-01T00:00:00Z") from None
        return value

    @field_validator("created_at_gt", "created_at_gte", "created_at_lt", "created_at_lte")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            # PostgreSQL takes offsets up to ±15:59 only; UTC is always fine.
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("is out of range") from None

    def created_at_filters(self) -> dict[str, datetime]:
        bounds = {
            "gt": self.created_at_gt,
            "gte": self.created_at_gte,
            "lt": self.created_at_lt,
            "lte": self.created_at_lte,
        }
        return {f"created_at__{op}": moment for op, moment in bounds.items() if moment is not None}

    def ordering(self) -> list[str]:
        name = self.sort_by.lstrip("+-")
        ascending = self.sort_by.startswith("+")
        return [name if ascending else f"-{name}", "id" if ascending else "-id"]


def validated[M: BaseModel](model: type[M], data: dict[str, Any]) -> M:
    """`model` from `data`, or a 400 naming the first field at fault (Joi stops at the first too)."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_error(error) from None


def validation_error(error: ValidationError) -> ApiError:
    first = error.errors(include_url=False)[0]
    name = ".".join(str(part) for part in first["loc"]) or "body"
    kind = first["type"]
    if kind == "missing":
        return invalid(name, "is required")
    if kind == "extra_forbidden":
        return invalid(name, "is not allowed")
    message = str(first["msg"]).removeprefix("Value error, ")
    return invalid(name, message[:1].lower() + message[1:])
