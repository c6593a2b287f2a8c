from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:
    from accounts.models import User


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    TELEGRAM = "telegram", "Telegram"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    PAUSED = "paused", "Paused"
    SENT = "sent", "Sent"
    HALTED = "halted", "Halted"


class BodyFormat(models.TextChoices):
    RICH = "rich", "Rich text (HTML)"
    MARKDOWN = "markdown", "Markdown"


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def live(self) -> CampaignQuerySet:
        return self.filter(deleted_at__isnull=True)

    def owned_by(self, user: Any) -> CampaignQuerySet:
        return self.live().filter(owner=user)


class Campaign(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(max_length=255)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # Password-protected email: each recipient's message is encrypted in the officer's browser;
    # the email only carries a link to it (protected_email). Chosen at creation, never changed.
    protected = models.BooleanField(default=False, db_default=False)
    status = models.CharField(max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)

    subject = models.CharField(max_length=998, blank=True)
    body = models.TextField(blank=True, help_text="As the officer wrote it (HTML or Markdown).")
    body_format = models.CharField(max_length=16, choices=BodyFormat.choices, default=BodyFormat.RICH)
    body_html = models.TextField(blank=True, help_text="Sanitised once at save; what is rendered.")
    sender_name = models.CharField(max_length=100, blank=True)
    reply_to = models.EmailField(blank=True)
    # Empty: the platform address (DEFAULT_FROM_EMAIL). Otherwise a verified sender address
    # (channels_email.SenderAddress) of the owner or their agency, checked again at launch.
    from_email = models.EmailField(blank=True, default="", db_default="")
    show_agency_logo = models.BooleanField(default=True, db_default=True)
    # Off by default: an open is recorded by an image fetched from the recipient's mail client,
    # which officers should choose for a campaign, and leave off for sensitive ones.
    track_opens = models.BooleanField(default=False, db_default=False)
    keywords = models.JSONField(default=list, help_text="Keywords the template uses, lower case.")
    template_version = models.PositiveIntegerField(default=0)

    send_rate = models.PositiveIntegerField(null=True, blank=True, help_text="Messages per second.")
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    halted_reason = models.TextField(blank=True)
    # Off once someone resumes a halted campaign: they reviewed the bounces and chose to go on.
    halt_on_bounces = models.BooleanField(default=True, db_default=True)
    # When the officer last sent themselves a test of this campaign: the Test step's tick.
    test_sent_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # When the retention purge emptied every recipient's personal data; counts and statuses stay.
    data_deleted_at = models.DateTimeField(null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="campaign_owner_created"),
            # The launcher's each-minute look for due campaigns.
            models.Index(fields=["scheduled_at"], name="campaign_due", condition=Q(status="scheduled")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_template(self) -> bool:
        if self.channel == Channel.EMAIL:
            return bool(self.subject and self.body_html)
        return bool(self.body)

    @property
    def is_editable(self) -> bool:
        return self.status == CampaignStatus.DRAFT

    @property
    def is_finished(self) -> bool:
        return self.status in {CampaignStatus.SENT, CampaignStatus.HALTED}


class CampaignStats(models.Model):
    """Per-campaign counters, updated with each batch so progress never counts messages.

    `sent` counts messages the provider accepted and that have not moved on (to delivered or
    bounced); the progress page adds those together for "sent so far".
    """

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    total = models.PositiveIntegerField(default=0)
    queued = models.IntegerField(default=0)
    sending = models.IntegerField(default=0)
    sent = models.IntegerField(default=0)
    delivered = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    invalid = models.IntegerField(default=0)
    duplicate = models.IntegerField(default=0)
    suppressed = models.IntegerField(default=0)
    bounced = models.IntegerField(default=0)
    unsubscribed = models.IntegerField(default=0)
    # Messages opened (or clicked) at least once, and clicked at least once: approximate, since
    # image blocking hides opens and mail proxies and scanners make some.
    opened = models.IntegerField(default=0, db_default=0)
    clicked = models.IntegerField(default=0, db_default=0)
    # Keyset cursor: the highest message id handed out, so claims skip what is already taken.
    claim_cursor = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Counters for campaign {self.campaign_id}"

    @property
    def sent_so_far(self) -> int:
        return self.sent + self.delivered + self.bounced

    @property
    def sendable(self) -> int:
        return self.total - self.invalid - self.duplicate - self.suppressed

    @property
    def done(self) -> int:
        return self.sent_so_far + self.failed + self.unsubscribed


class RecipientFileStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


def recipient_file_name(instance: RecipientFile, filename: str) -> str:
    """A random name: the officer's own file name may name the list or carry a path."""
    return f"recipient-files/{uuid.uuid4().hex}"


class RecipientFile(models.Model):
    """An uploaded list. The file itself is deleted once its rows are loaded or it is refused."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipient_files")
    file = models.FileField(upload_to=recipient_file_name, blank=True)
    original_name = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=RecipientFileStatus.choices, default=RecipientFileStatus.PENDING
    )
    error = models.TextField(blank=True)
    notes = models.JSONField(default=list)
    headers = models.JSONField(default=list)
    rows_read = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    valid = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def rejected(self) -> int:
        return self.invalid + self.duplicates + self.suppressed


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    INVALID = "invalid", "Invalid"
    DUPLICATE = "duplicate", "Duplicate"
    SUPPRESSED = "suppressed", "Suppressed"
    BOUNCED = "bounced", "Bounced"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class Message(models.Model):
    """One recipient of a campaign: loaded by COPY at upload, claimed in batches to send."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="messages")
    row_number = models.PositiveIntegerField()
    recipient = models.TextField()
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    error_code = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    # A failure the provider called final (a refused address); only other failures are retried.
    # db_default: the ingest COPY does not name this column.
    error_permanent = models.BooleanField(default=False, db_default=False)
    provider_id = models.CharField(max_length=128, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Claiming: only queued rows, in id order, per campaign.
            models.Index(fields=["campaign", "id"], name="message_queued", condition=Q(status="queued")),
            models.Index(
                fields=["lease_expires_at"], name="message_sending_lease", condition=Q(status="sending")
            ),
            models.Index(fields=["provider_id"], name="message_provider_id", condition=~Q(provider_id="")),
            models.Index(fields=["campaign"], name="message_failed", condition=Q(status="failed")),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} ({self.status})"


class SuppressionReason(models.TextChoices):
    BOUNCED = "bounced", "Hard bounce"
    COMPLAINED = "complained", "Complaint"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


# Bounces and complaints say the address itself fails, so they hold for every sender.
GLOBAL_SUPPRESSIONS = (SuppressionReason.BOUNCED, SuppressionReason.COMPLAINED)


def unsubscribe_scope(owner: User) -> dict[str, int]:
    """Who an unsubscribe is recorded for: the owner's agency, or the owner without one."""
    return {"agency_id": owner.agency_id} if owner.agency_id else {"owner_id": owner.pk}


SqlParams = dict[str, int | str | list[str] | None]


def suppression_sql(owner: User, channel: str, *, alias: str) -> tuple[str, SqlParams]:
    """`applying_to` as a SQL condition on the suppression table under `alias`, with its params,
    for statements that join it in bulk."""
    condition = (
        f"{alias}.channel = %(suppression_channel)s AND ({alias}.reason = ANY(%(suppression_global)s)"
        f" OR {alias}.agency_id = %(suppression_agency)s OR {alias}.owner_id = %(suppression_owner)s)"
    )
    params: SqlParams = {
        "suppression_channel": channel,
        "suppression_global": [str(reason) for reason in GLOBAL_SUPPRESSIONS],
        "suppression_agency": owner.agency_id,
        "suppression_owner": owner.pk,
    }
    return condition, params


class SuppressionQuerySet(models.QuerySet["Suppression"]):
    def applying_to(self, owner: User, channel: str) -> SuppressionQuerySet:
        """What stops a send of `owner` on `channel`: bounces and complaints for everyone,
        unsubscribes recorded for the owner's agency or for the owner."""
        scoped = Q(reason__in=GLOBAL_SUPPRESSIONS) | Q(owner_id=owner.pk)
        if owner.agency_id:
            scoped |= Q(agency_id=owner.agency_id)
        return self.filter(scoped, channel=channel)

    def unsubscribes_of(self, owner: User, channel: str) -> SuppressionQuerySet:
        """The unsubscribes `owner`'s sends record and lift (see `unsubscribe_scope`)."""
        return self.filter(channel=channel, reason=SuppressionReason.UNSUBSCRIBED, **unsubscribe_scope(owner))


class Suppression(models.Model):
    """A recipient that later campaigns skip: bounced, complained or unsubscribed.

    Unsubscribes are per agency (an officer without an agency suppresses for their own
    campaigns only); bounces and complaints hold for everyone.
    """

    channel = models.CharField(max_length=16, choices=Channel.choices)
    recipient = models.TextField()
    reason = models.CharField(max_length=16, choices=SuppressionReason.choices)
    agency = models.ForeignKey("accounts.Agency", null=True, blank=True, on_delete=models.CASCADE)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SuppressionQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["channel", "recipient"], name="suppression_lookup")]

    def __str__(self) -> str:
        return f"{self.recipient} ({self.get_reason_display()})"


class CampaignActionKind(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    RESCHEDULED = "rescheduled", "Rescheduled"
    UNSCHEDULED = "unscheduled", "Schedule cancelled"
    STARTED = "started", "Sending started"
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    RETRIED = "retried", "Failed messages retried"
    HALTED = "halted", "Halted"
    FINISHED = "finished", "Sending finished"


class CampaignAction(models.Model):
    """Who did what to a campaign and when; `by` is empty when Postman itself acted."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=16, choices=CampaignActionKind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(default=timezone.now)
    detail = models.TextField(blank=True)
    # The campaign's send rate (messages a second) when the action happened; empty where a
    # rate means nothing (a schedule cancelled) or for actions recorded before rates were kept.
    send_rate = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["campaign", "-at"], name="campaignaction_campaign_at")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"
