"""Everything that changes a campaign. Views call these; tasks call these."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from campaigns import dispatch, ingest, transitions
from campaigns.channels import ChannelSender, sender_for
from campaigns.models import (
    Campaign,
    CampaignAction,
    CampaignActionKind,
    CampaignStatus,
    Channel,
    Message,
    RecipientFile,
    RecipientFileStatus,
    Suppression,
)
from campaigns.recipient_files import MAX_FILE_BYTES, RecipientFileError
from campaigns.templating import RECIPIENT
from common.controls import first_control
from webhooks.services import emit_campaign_milestone


class CampaignError(Exception):
    """A request the campaign's state does not allow; the message is shown to the officer."""


def require_one_line(value: str, what: str) -> None:
    # Names, the subject and the reply-to reach headers (and logs): a CR or LF would start a new one.
    if found := first_control(value):
        raise CampaignError(f"{what} cannot contain line breaks or control characters (found {found}).")


@transaction.atomic
def create_campaign(*, owner: User, name: str, channel: str, protected: bool = False) -> Campaign:
    require_one_line(name.strip(), "The campaign name")
    if protected and channel != Channel.EMAIL:
        raise CampaignError("Only email campaigns can be password-protected.")
    campaign = Campaign.objects.create(owner=owner, name=name.strip(), channel=channel, protected=protected)
    transitions.open_counters(campaign)
    return campaign


def rename_campaign(*, campaign: Campaign, name: str) -> Campaign:
    require_one_line(name.strip(), "The campaign name")
    campaign.name = name.strip()
    campaign.save(update_fields=["name", "updated_at"])
    return campaign


@transaction.atomic
def duplicate_campaign(*, campaign: Campaign, by: User) -> Campaign:
    """A new draft with the same template; recipients are not copied."""
    copy = create_campaign(
        owner=by,
        name=f"Copy of {campaign.name}"[:255],
        channel=campaign.channel,
        protected=campaign.protected,
    )
    fields = ["subject", "body", "body_format", "body_html", "sender_name", "reply_to", "keywords"]
    for field in [*fields, "from_email", "show_agency_logo", "track_opens"]:
        setattr(copy, field, getattr(campaign, field))
    copy.template_version = 1 if campaign.has_template else 0
    copy.save()
    sender_for(campaign).after_duplicate(campaign, copy)
    return copy


def delete_campaign(*, campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignError("Only a draft can be deleted.")
    campaign.deleted_at = timezone.now()
    campaign.save(update_fields=["deleted_at", "updated_at"])


def _require_draft(campaign: Campaign) -> None:
    if not campaign.is_editable:
        raise CampaignError("This campaign has been sent or scheduled; it can no longer be changed.")


# Campaign fields a channel's template step may set.
TEMPLATE_FIELDS = frozenset(
    {
        "subject",
        "body",
        "body_format",
        "body_html",
        "sender_name",
        "reply_to",
        "from_email",
        "show_agency_logo",
        "track_opens",
    }
)


@transaction.atomic
def save_template(*, campaign: Campaign, keywords: Iterable[str], **fields: str | bool) -> Campaign:
    """Store a template its channel has checked; a loaded list is checked again against it.

    `fields` are among TEMPLATE_FIELDS; `keywords` are those the template uses. If the uploaded
    list now lacks a column, the list must be uploaded again.
    """
    _require_draft(campaign)
    if unknown := set(fields) - TEMPLATE_FIELDS:
        raise ValueError(f"Not template fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.keywords = sorted(set(keywords))
    campaign.template_version += 1
    campaign.save()
    _recheck_columns(campaign)
    sender_for(campaign).after_load(campaign)
    return campaign


def _recheck_columns(campaign: Campaign) -> None:
    current = campaign.recipient_files.first()
    if current is None or current.status != RecipientFileStatus.READY:
        return
    missing = [k for k in campaign.keywords if k != "recipient" and k not in current.headers]
    if not missing:
        return
    columns = ", ".join(f'"{name}"' for name in missing)
    transitions.discard_loaded(campaign)
    current.status = RecipientFileStatus.FAILED
    current.error = (
        f"The template now uses {columns}, which the uploaded file does not have. Upload it again."
    )
    current.save(update_fields=["status", "error"])


def upload_recipients(*, campaign: Campaign, upload: UploadedFile) -> RecipientFile:
    """Store the file privately and queue its ingest; the file is read only by the ingest task.

    Nothing here opens the file: a crafted file must never cost a web worker its time or memory.
    """
    _require_draft(campaign)
    if not campaign.has_template:
        raise CampaignError("Write the message first: the file is checked against its keywords.")
    if (upload.size or 0) > MAX_FILE_BYTES:
        raise CampaignError("The file is larger than 200 MB. Split it into smaller files.")
    recipient_file = RecipientFile.objects.create(
        campaign=campaign,
        file=upload,
        original_name=(upload.name or "recipients")[:255],
        size_bytes=upload.size or 0,
    )
    dispatch.after_commit(dispatch.INGEST_RECIPIENT_FILE, recipient_file.pk)
    return recipient_file


def _fail_file(recipient_file: RecipientFile, error: str) -> None:
    recipient_file.status = RecipientFileStatus.FAILED
    recipient_file.error = error
    recipient_file.finished_at = timezone.now()
    recipient_file.save(update_fields=["status", "error", "finished_at"])


def _discard_upload(recipient_file: RecipientFile) -> None:
    """The rows are in the database (or the file was refused): the officer's file is not kept.

    Rejected rows stay downloadable: that CSV is built from the Message rows, not from the file.
    """
    if recipient_file.file.name:
        recipient_file.file.delete(save=False)
        RecipientFile.objects.filter(pk=recipient_file.pk).update(file="")


def process_recipient_file(
    *, recipient_file: RecipientFile, progress: Callable[[int], None]
) -> RecipientFile:
    """Ingest a stored file; a bad file fails with its message and leaves the old list."""
    if recipient_file.status in (RecipientFileStatus.READY, RecipientFileStatus.FAILED):
        return recipient_file  # a task delivered again after it finished
    recipient_file.status = RecipientFileStatus.PROCESSING
    recipient_file.save(update_fields=["status"])
    try:
        with ingest.local_copy(recipient_file.file) as path, transaction.atomic():
            ingest.load_recipients(recipient_file=recipient_file, path=path, progress=progress)
            sender_for(recipient_file.campaign).after_load(recipient_file.campaign)
    except RecipientFileError as error:
        _fail_file(recipient_file, str(error))
    except Exception:
        _fail_file(
            recipient_file, "The file could not be read because of an error on our side. Upload it again."
        )
        _discard_upload(recipient_file)
        raise
    _discard_upload(recipient_file)
    return recipient_file


def first_message(campaign: Campaign) -> Message | None:
    return campaign.messages.filter(status="queued").order_by("id").first()


def first_rendered[Item](campaign: Campaign, sender: ChannelSender[Any, Item]) -> Item | None:
    """The first valid recipient's message, rendered exactly as it will be sent (for previews)."""
    message = first_message(campaign)
    if message is None:
        return None
    return sender.build(
        sender.prepare(campaign), message_id=message.pk, recipient=message.recipient, params=message.params
    )


@dataclass(frozen=True)
class PreviewValues:
    """Whose values fill an unsaved message's preview: the first valid recipient of the loaded
    file, or, before there is one, each keyword's name as a sample ("[name]")."""

    recipient: str
    params: dict[str, str]
    file_name: str  # "" when the values are samples
    missing: list[str]  # keywords the loaded file has no column for: shown as samples


def sample_value(keyword: str) -> str:
    return f"[{keyword}]"


def preview_values(campaign: Campaign, keywords: Iterable[str]) -> PreviewValues:
    keywords = sorted(set(keywords) - {RECIPIENT})
    recipient_file = campaign.recipient_files.first()
    message = first_message(campaign)
    if recipient_file is None or recipient_file.status != RecipientFileStatus.READY or message is None:
        return PreviewValues(sample_value(RECIPIENT), {k: sample_value(k) for k in keywords}, "", [])
    missing = [keyword for keyword in keywords if keyword not in recipient_file.headers]
    params = {**message.params, **{keyword: sample_value(keyword) for keyword in missing}}
    return PreviewValues(message.recipient, params, recipient_file.original_name, missing)


def send_test(*, campaign: Campaign, to: str) -> None:
    """Send the first recipient's message to `to`, e.g. the officer's own address."""
    message = first_message(campaign)
    if message is None:
        raise CampaignError("Upload a recipient file with at least one valid recipient first.")
    sender = sender_for(campaign)
    # Message id 0 belongs to no recipient, so the test's unsubscribe link can never
    # unsubscribe the real first recipient.
    item = sender.build(
        sender.prepare(campaign), message_id=0, recipient=message.recipient, params=message.params
    )
    item = sender.retarget(item, to)
    delivery = sender.send_batch(campaign, [item])[0]
    if not delivery.ok:
        raise CampaignError(f"The test message was not sent: {delivery.error or delivery.error_code}")
    Campaign.objects.filter(pk=campaign.pk).update(test_sent_at=timezone.now())


def require_ready(campaign: Campaign) -> None:
    if not campaign.has_template:
        raise CampaignError("Write the message before sending.")
    if campaign.stats.queued <= 0:
        raise CampaignError("There is nobody to send to: upload a file with valid recipients.")
    if problem := sender_for(campaign).launch_problem(campaign):
        raise CampaignError(problem)


@transaction.atomic
def launch_campaign(*, campaign: Campaign, by: User, send_rate: int | None = None) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_draft(campaign)
    require_ready(campaign)
    if send_rate:
        campaign.send_rate = send_rate
    begin_sending(campaign, by=by, detail="Sent at once")
    return campaign


def begin_sending(campaign: Campaign, *, by: User | None, detail: str) -> None:
    """Draft or scheduled → sending, skipping anyone suppressed since the upload.

    The caller holds the campaign's row lock, inside its transaction. An officer's launch was
    checked by require_ready; the launcher's (no `by`) is checked here: a campaign that cannot
    start goes back to a draft, its history saying why, for the officer to fix and send.
    """
    if by is None and (problem := sender_for(campaign).launch_problem(campaign)):
        campaign.status, campaign.scheduled_at = CampaignStatus.DRAFT, None
        campaign.save(update_fields=["status", "scheduled_at", "updated_at"])
        record_action(campaign, CampaignActionKind.UNSCHEDULED, by=None, detail=f"Not sent: {problem}")
        return
    skip_suppressed(campaign)
    campaign.status = CampaignStatus.SENDING
    campaign.started_at = timezone.now()
    campaign.save()
    record_action(campaign, CampaignActionKind.STARTED, by=by, detail=detail)
    emit_campaign_milestone(campaign=campaign, milestone="started")
    send_after_commit(campaign.pk)


def send_after_commit(campaign_id: int) -> None:
    dispatch.after_commit(dispatch.START_SENDING, campaign_id)


def record_action(campaign: Campaign, action: str, *, by: User | None, detail: str = "") -> CampaignAction:
    """One line of the campaign's history: who (`None`: Postman itself), when, and the rate then."""
    return CampaignAction.objects.create(
        campaign=campaign, action=action, by=by, detail=detail, send_rate=campaign.send_rate
    )


def skip_suppressed(campaign: Campaign) -> int:
    """Set aside queued recipients suppressed (unsubscribed, bounced) since the file was read."""
    if not Suppression.objects.applying_to(campaign.owner, campaign.channel).exists():
        return 0
    return transitions.suppress_queued(campaign)
