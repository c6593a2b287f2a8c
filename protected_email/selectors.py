"""Reads for the protected campaign's pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Max

from campaigns.models import Campaign
from campaigns.templating import CompiledTemplate, Keyword
from channels_email.templating import compile_email_body
from protected_email.loading import ITERATIONS
from protected_email.models import ProtectedMessage, ProtectedTemplate

PASSWORD_COLUMN = "password"  # noqa: S105  # a column name, not a password


def template_parts(compiled: CompiledTemplate) -> list[Any]:
    """The compiled protected message as the browser's renderer reads it (static/js/protected/render.js)."""
    return [
        part
        if not isinstance(part, Keyword)
        else {"name": part.name, "slot": part.slot.value, "attribute": part.attribute}
        for part in compiled.parts
    ]


def opened_count(campaign: Campaign) -> int:
    found = ProtectedTemplate.objects.filter(campaign=campaign).values_list("opened", flat=True).first()
    return found or 0


def expires_at(campaign: Campaign) -> datetime | None:
    found: datetime | None = ProtectedMessage.objects.filter(campaign=campaign).aggregate(
        at=Max("expires_at")
    )["at"]
    return found


def upload_config(campaign: Campaign) -> dict[str, Any]:
    """What the officer's browser needs to fill in and encrypt each row."""
    template = ProtectedTemplate.objects.filter(campaign=campaign).first()
    if template is None or not template.body_html:
        return {"ready": False}
    keywords = [k for k in template.keywords if k != "recipient"]
    return {
        "ready": True,
        "parts": template_parts(compile_email_body(template.body_html)),
        "columns": ["recipient", PASSWORD_COLUMN, *keywords],
        "iterations": ITERATIONS,
    }
