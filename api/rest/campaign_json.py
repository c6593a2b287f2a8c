"""What the campaign endpoints share: the owner-scoped lookup, the JSON of a campaign and of an
upload, and turning the campaign pages' form and service errors into the API's {code, message}."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404
from django.urls import reverse

from accounts.models import User
from api.campaign_schemas import API_CHANNELS
from api.errors import ApiError, not_found
from campaigns import control
from campaigns import selectors as campaign_selectors
from campaigns.models import (
    Campaign,
    CampaignStats,
    CampaignStatus,
    Channel,
    RecipientFile,
    RecipientFileStatus,
)
from campaigns.services import CampaignError
from campaigns.templating import TemplateError
from channels_sms.selectors import campaign_sms_settings

MAX_ID = 2**63 - 1
# Errors on these fields that no built-in validator raised are problems in the template itself.
_TEMPLATE_FIELDS = frozenset({"subject", "body"})


def owned_campaign(owner: User, campaign_id: int) -> Campaign:
    """The officer's own campaign on a channel the API serves; anyone else's is a 404, exactly
    like one that never existed."""
    try:
        campaign = campaign_selectors.owned_campaign(owner, campaign_id)
    except Http404:
        raise not_found("Campaign") from None
    if campaign.channel not in API_CHANNELS or campaign.protected:
        # A password-protected campaign needs the officer's browser: its recipients' passwords
        # and messages must never reach a server, ours included.
        raise not_found("Campaign")
    return campaign


def refused(error: CampaignError) -> ApiError:
    """The campaign's state or Postman's rules do not allow the request; nothing changed."""
    return ApiError(403, "not_allowed", str(error))


def template_refused(error: TemplateError) -> ApiError:
    return ApiError(400, "invalid_template", " ".join(problem.message for problem in error.problems))


def perform[T](action: Callable[[], T]) -> T:
    """Run one campaign service, answering its refusals as the API's errors."""
    try:
        return action()
    except CampaignError as error:
        raise refused(error) from None
    except TemplateError as error:
        raise template_refused(error) from None


def form_error(form: forms.Form, names: Mapping[str, str] | None = None) -> ApiError:
    """The form's first problem as a 400 naming the API's field (`names` maps form fields to it)."""
    for field, errors in form.errors.as_data().items():
        text = " ".join(message for error in errors for message in error.messages)
        in_template = field in _TEMPLATE_FIELDS and all(error.code is None for error in errors)
        code = "invalid_template" if in_template else "api_validation"
        if field == NON_FIELD_ERRORS:
            return ApiError(400, code, text)
        return ApiError(400, code, f'"{(names or {}).get(field, field)}": {text}')
    return ApiError(400, "api_validation", "The request is invalid.")


def campaign_url(campaign_id: int) -> str:
    return reverse("api_v1:campaign", kwargs={"campaign_id": campaign_id})


def file_url(recipient_file: RecipientFile) -> str:
    kwargs = {"campaign_id": recipient_file.campaign_id, "file_id": recipient_file.pk}
    return reverse("api_v1:recipient_file", kwargs=kwargs)


def _loaded_file_id(campaign: Campaign) -> int | None:
    loaded = campaign.recipient_files.filter(status=RecipientFileStatus.READY).values_list("pk", flat=True)
    return loaded.first()


def recipient_file_json(recipient_file: RecipientFile) -> dict[str, Any]:
    ready = recipient_file.status == RecipientFileStatus.READY
    rejected_url = None
    if ready and recipient_file.rejected and _loaded_file_id(recipient_file.campaign) == recipient_file.pk:
        rejected_url = file_url(recipient_file) + "/rejected"
    rows_read = recipient_file.rows_read
    if recipient_file.status in (RecipientFileStatus.PENDING, RecipientFileStatus.PROCESSING):
        rows_read = campaign_selectors.ingest_rows_read(recipient_file)
    return {
        "id": recipient_file.pk,
        "url": file_url(recipient_file),
        "status": recipient_file.status,
        "file_name": recipient_file.original_name,
        "size_bytes": recipient_file.size_bytes,
        "rows_read": rows_read,
        "total": recipient_file.total,
        "valid": recipient_file.valid,
        "invalid": recipient_file.invalid,
        "duplicates": recipient_file.duplicates,
        "suppressed": recipient_file.suppressed,
        "columns": recipient_file.headers,
        "notes": recipient_file.notes,
        "error": recipient_file.error or None,
        "rejected_rows_url": rejected_url,
        "created_at": recipient_file.created_at,
        "finished_at": recipient_file.finished_at,
    }


def counts_json(stats: CampaignStats) -> dict[str, int]:
    names = ["total", "queued", "sending", "sent", "delivered", "failed", "invalid", "duplicate"]
    names += ["suppressed", "bounced", "unsubscribed"]
    return {name: getattr(stats, name) for name in names}


def _template_json(campaign: Campaign) -> dict[str, Any] | None:
    if not campaign.has_template:
        return None
    email = campaign.channel == Channel.EMAIL
    return {
        "subject": campaign.subject if email else None,
        "body": campaign.body,
        "body_format": campaign.body_format if email else None,
        "sender_name": (campaign.sender_name or None) if email else None,
        "reply_to": (campaign.reply_to or None) if email else None,
        "keywords": campaign.keywords,
        "columns": campaign_selectors.file_columns(campaign),
    }


def _sms_json(campaign: Campaign) -> dict[str, Any] | None:
    if campaign.channel != Channel.SMS:
        return None
    settings = campaign_sms_settings(campaign)
    credential = settings.credential if settings else None
    return {
        "credential_label": credential.label if credential else None,
        "estimated_segments": settings.estimated_segments if settings else 0,
        "too_long": settings.too_long if settings else 0,
    }


def _progress_json(campaign: Campaign) -> dict[str, Any]:
    stats = campaign.stats
    progress = campaign_selectors.campaign_progress(campaign)
    return {
        "percent": progress.percent,
        "done": stats.done,
        "sendable": max(0, stats.sendable),
        "rate_per_second": progress.rate,
        "seconds_left": progress.seconds_left,
        "finish_at": progress.finish_at,
    }


def summary_json(campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "channel": campaign.channel,
        "status": campaign.status,
        "created_at": campaign.created_at,
        "updated_at": campaign.updated_at,
        "scheduled_at": campaign.scheduled_at,
        "started_at": campaign.started_at,
        "finished_at": campaign.finished_at,
        "counts": counts_json(campaign.stats),
        "url": campaign_url(campaign.pk),
    }


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    recipient_file = campaign_selectors.current_recipient_file(campaign)
    retryable = control.retryable(campaign) if campaign.status == CampaignStatus.SENT else 0
    return {
        **summary_json(campaign),
        "halted_reason": campaign.halted_reason or None,
        "send_rate": campaign.send_rate,
        "template": _template_json(campaign),
        "recipients": recipient_file_json(recipient_file) if recipient_file else None,
        "sms": _sms_json(campaign),
        "progress": _progress_json(campaign),
        "retryable": retryable,
        "export_url": campaign_url(campaign.pk) + "/export",
    }
