from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from webhooks import encryption


class EventType(models.TextChoices):
    MESSAGE_STATUS = "message.status_changed", "API message status changed"
    CAMPAIGN_STARTED = "campaign.started", "Campaign started"
    CAMPAIGN_PAUSED = "campaign.paused", "Campaign paused"
    CAMPAIGN_RESUMED = "campaign.resumed", "Campaign resumed"
    CAMPAIGN_HALTED = "campaign.halted", "Campaign halted"
    CAMPAIGN_FINISHED = "campaign.finished", "Campaign finished"


class WebhookEndpoint(models.Model):
    """Where an officer's system wants to hear about their messages.

    The signing secret is kept only as a Fernet token (encryption.py) with its last four
    characters for display: it is shown once, when the endpoint is created.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.CharField(max_length=2000)
    secret_encrypted = models.TextField()
    secret_last4 = models.CharField(max_length=4)
    campaign_milestones = models.BooleanField(
        default=False, help_text="Also send campaign started, paused, resumed, halted and finished."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["owner", "active"], name="webhook_endpoint_owner")]

    def __str__(self) -> str:
        return self.url

    def secret(self) -> str:
        return encryption.decrypt(self.secret_encrypted)

    def wants(self, event_type: str) -> bool:
        return event_type == EventType.MESSAGE_STATUS or self.campaign_milestones


class WebhookEvent(models.Model):
    """Something that happened, once; its id is sent with every delivery so receivers can
    drop the second copy of a retried or replayed one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=64, choices=EventType.choices)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Retrying"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event on its way to one endpoint: the attempts so far and the last answer.

    A pending delivery is due at `next_attempt_at`. Queueing an attempt claims it: `claim` goes
    up and `next_attempt_at` moves a lease ahead, and the task carries the claim. Recording the
    attempt spends the claim, so a task with a stale claim (superseded, or a second copy from the
    broker) does nothing, and a worker that dies mid-attempt is retried when the lease ends.
    """

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.CharField(max_length=500, blank=True, help_text="The start of the answer's body.")
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_endpoint"),
            models.Index(
                fields=["next_attempt_at"], name="webhook_delivery_due", condition=Q(status="pending")
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending", next_attempt_at__isnull=False)
                | (~Q(status="pending") & Q(next_attempt_at__isnull=True)),
                name="webhook_delivery_pending_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.endpoint.url} ({self.status})"

    @property
    def replayable(self) -> bool:
        return self.status != DeliveryStatus.PENDING


class WebhookAttempt(models.Model):
    """One POST of a delivery and what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_once")
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number}: {self.status_code or self.error}"
