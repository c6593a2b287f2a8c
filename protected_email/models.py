"""Password-protected email: the secret message's template, and each recipient's encrypted copy.

The server keeps only what the officer's browser sent: ciphertext, a hash of the key verifier and
the key derivation's iteration count. Passwords and plaintext never reach it.
"""

from __future__ import annotations

from django.db import models

from accounts.models import Agency
from campaigns.models import Campaign, Message

DEFAULT_RETENTION_DAYS = 90


class ProtectedTemplate(models.Model):
    """The protected message ("message B"): rich HTML with any keywords, filled in the browser."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, primary_key=True, related_name="protected_template"
    )
    body = models.TextField(blank=True, help_text="As the officer wrote it.")
    body_html = models.TextField(blank=True, help_text="Sanitised once at save; what is filled in.")
    keywords = models.JSONField(default=list, help_text="Keywords the protected message uses.")
    # Counted once per message, at its first successful unlock.
    opened = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Protected message of campaign {self.campaign_id}"


class ProtectedRetention(models.Model):
    """How long an agency's protected messages are kept before their payloads are deleted."""

    agency = models.OneToOneField(
        Agency, on_delete=models.CASCADE, primary_key=True, related_name="protected_retention"
    )
    days = models.PositiveIntegerField(default=DEFAULT_RETENTION_DAYS)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(days__gte=1), name="retention_days_positive")
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.days} days"


class ProtectedMessage(models.Model):
    """One recipient's encrypted message, reachable at /p/<id> until it expires."""

    id = models.UUIDField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="protected_messages")
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="protected"
    )
    payload = models.TextField(blank=True, help_text="base64(IV ‖ AES-GCM ciphertext); empty once expired.")
    verifier_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the key verifier.")
    iterations = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["expires_at"], name="protected_unexpired", condition=~models.Q(payload=""))
        ]

    def __str__(self) -> str:
        return str(self.id)

    @property
    def expired(self) -> bool:
        return not self.payload
