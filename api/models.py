"""API keys and the single messages agencies' systems send through the v1 API.

API keys live here rather than in accounts/ (where DESIGN.md puts them) so the API could be
built while accounts/ was being changed by others; moving them is a table rename.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def usable(self, now: datetime) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)

    def owned_by(self, user: Any) -> ApiKeyQuerySet:
        return self.filter(owner=user)


class ApiKey(models.Model):
    """A key is shown once; only its SHA-256 and last four characters are kept."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(max_length=255)
    prefix = models.CharField(max_length=32, help_text="The key's readable start, e.g. postman_live_.")
    key_hash = models.CharField(max_length=64, unique=True)
    last_four = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.JSONField(
        default=list, blank=True, help_text="Days-before-expiry reminders already emailed, e.g. [28, 14]."
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="apikey_owner_created")]

    def __str__(self) -> str:
        return f"{self.label} ({self.masked})"

    @property
    def masked(self) -> str:
        return f"{self.prefix}…{self.last_four}"

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


def default_rate_per_second() -> int:
    return int(settings.API_DEFAULT_RATE_PER_SECOND)


def default_max_active_keys() -> int:
    return int(settings.API_MAX_ACTIVE_KEYS)


class ApiSettings(models.Model):
    """Per-officer API settings an admin may change; officers without a row get the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="api_settings"
    )
    rate_per_second = models.PositiveIntegerField(
        default=default_rate_per_second,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
        help_text="Requests per second allowed for this officer, across all their API keys together.",
    )
    max_active_keys = models.PositiveIntegerField(
        default=default_max_active_keys,
        validators=[MinValueValidator(1), MaxValueValidator(1_000)],
        help_text="How many unrevoked, unexpired API keys this officer may hold at once.",
    )

    class Meta:
        verbose_name = "API settings"
        verbose_name_plural = "API settings"

    def __str__(self) -> str:
        return f"API settings of {self.user}"


class TransactionalStatus(models.TextChoices):
    """Postman v1's statuses (upper case on the wire); a message only ever moves forward."""

    ACCEPTED = "ACCEPTED", "Accepted"
    SENT = "SENT", "Sent"
    DELIVERED = "DELIVERED", "Delivered"
    BOUNCED = "BOUNCED", "Bounced"
    COMPLAINT = "COMPLAINT", "Complaint"
    FAILED = "FAILED", "Failed"


class Classification(models.TextChoices):
    URGENT = "URGENT", "Urgent"
    FOR_ACTION = "FOR_ACTION", "For action"
    FOR_INFO = "FOR_INFO", "For information"


class TransactionalEmail(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transactional_emails"
    )
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recipient = models.CharField(max_length=320)
    from_address = models.TextField(help_text="As sent: display name and address.")
    reply_to = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=998)
    body = models.TextField(help_text="Sanitised HTML, as sent.")
    cc = models.JSONField(default=list, blank=True)
    bcc = models.JSONField(default=list, blank=True)
    tag = models.CharField(max_length=255, blank=True)
    classification = models.CharField(max_length=16, choices=Classification.choices, blank=True)
    disable_tracking = models.BooleanField(default=False)
    attachments_metadata = models.JSONField(
        default=list, blank=True, help_text='[{"fileName", "fileSize", "hash"}], kept after the files go.'
    )
    status = models.CharField(
        max_length=16, choices=TransactionalStatus.choices, default=TransactionalStatus.ACCEPTED
    )
    error_code = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=128, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A send attempt holds the message until then."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="txemail_owner_created"),
            models.Index(fields=["owner", "tag", "-created_at"], name="txemail_owner_tag"),
            models.Index(fields=["provider_id"], name="txemail_provider_id", condition=~Q(provider_id="")),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient} ({self.status})"


def attachment_file_name(instance: TransactionalAttachment, filename: str) -> str:
    """A random name, never the sender's: nothing about the file can be guessed from it."""
    return f"transactional-attachments/{uuid.uuid4().hex}"


class TransactionalAttachment(models.Model):
    """A file waiting to go out with its email; row and file are deleted once the email is done."""

    email = models.ForeignKey(
        TransactionalEmail, on_delete=models.CASCADE, related_name="pending_attachments"
    )
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    file = models.FileField(upload_to=attachment_file_name)

    class Meta:
        ordering = ["email", "position"]

    def __str__(self) -> str:
        return self.name


class IdempotencyRecord(models.Model):
    """The first response to a request with an Idempotency-Key, replayed for 24 hours."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    # Text, not jsonb: a replay must be the first answer byte for byte, key order included.
    response = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_per_api_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"


class TransactionalSms(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transactional_sms"
    )
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    credential = models.ForeignKey(
        "channels_sms.TwilioCredential", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    credential_label = models.CharField(max_length=100, help_text="Kept if the credential is deleted.")
    recipient = models.CharField(max_length=20, help_text="E.164.")
    body = models.TextField()
    status = models.CharField(
        max_length=16, choices=TransactionalStatus.choices, default=TransactionalStatus.ACCEPTED
    )
    error_code = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=64, blank=True, help_text="Twilio's message SID.")
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A send attempt holds the message until then."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    errored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "transactional SMS"
        verbose_name_plural = "transactional SMS"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="txsms_owner_created"),
            models.Index(fields=["provider_id"], name="txsms_provider_id", condition=~Q(provider_id="")),
        ]

    def __str__(self) -> str:
        return f"SMS → {self.recipient} ({self.status})"
