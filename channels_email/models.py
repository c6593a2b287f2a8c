from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class InboxMessage(models.Model):
    """An email kept in the database instead of sent: the dev inbox at /dev/inbox/."""

    to = models.TextField()
    from_email = models.TextField()
    reply_to = models.TextField(blank=True)
    subject = models.TextField()
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class SenderAddress(models.Model):
    """An address email may be sent from besides the platform's own: an officer's own address,
    or an agency address an admin granted to every officer of that agency.

    Usable only while its SES identity is verified for sending with DKIM; `verified` and
    `problem` are what the last check found, and each launch checks again.
    """

    address = models.EmailField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sender_addresses",
        help_text="An officer's own address: only they send from it.",
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sender_addresses",
        help_text="An agency address: every officer of the agency may send from it.",
    )
    verified = models.BooleanField(default=False, editable=False)
    problem = models.TextField(blank=True, editable=False)
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "sender addresses"
        ordering = ["address"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) ^ Q(agency__isnull=True), name="senderaddress_one_holder"
            ),
            models.CheckConstraint(condition=Q(address=Lower("address")), name="senderaddress_lowercase"),
            models.UniqueConstraint(fields=["address", "owner"], name="senderaddress_unique_own"),
            models.UniqueConstraint(fields=["address", "agency"], name="senderaddress_unique_agency"),
        ]

    def __str__(self) -> str:
        return self.address
