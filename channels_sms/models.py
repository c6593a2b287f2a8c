from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from campaigns.models import Campaign
from channels_sms import encryption

# Twilio's own limit depends on the sender: a long code sends about 1 a second, a short code or
# a messaging service with a pool more. Officers lower this to what their account allows.
DEFAULT_ACCOUNT_RATE = 100


class TwilioCredential(models.Model):
    """An officer's own Twilio account, used only for that officer's campaigns.

    Secrets are stored only as Fernet tokens (see encryption.py) with their last four characters
    beside them for display. The auth token is always kept: Twilio signs status callbacks with it,
    also for messages sent with an API key.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="twilio_credentials"
    )
    label = models.CharField(max_length=100)
    account_sid = models.CharField(max_length=34)
    auth_token_encrypted = models.TextField()
    auth_token_last4 = models.CharField(max_length=4)
    api_key_sid = models.CharField(max_length=34, blank=True)
    api_key_secret_encrypted = models.TextField(blank=True)
    api_key_secret_last4 = models.CharField(max_length=4, blank=True)
    messaging_service_sid = models.CharField(max_length=34, blank=True)
    from_number = models.CharField(max_length=20, blank=True)
    max_rate = models.PositiveIntegerField(
        default=DEFAULT_ACCOUNT_RATE, help_text="Messages per second across every campaign using it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField()
    verified_number = models.CharField(
        max_length=20,
        blank=True,
        help_text="The officer's mobile (E.164) that received the verification SMS; test SMS may go there.",
    )

    class Meta:
        ordering = ["label", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "label"], name="twilio_credential_label_per_owner"),
            models.CheckConstraint(
                condition=~Q(messaging_service_sid="") | ~Q(from_number=""),
                name="twilio_credential_has_sender",
            ),
            models.CheckConstraint(
                condition=Q(api_key_sid="", api_key_secret_encrypted="")
                | (~Q(api_key_sid="") & ~Q(api_key_secret_encrypted="")),
                name="twilio_credential_key_with_secret",
            ),
            models.CheckConstraint(condition=Q(max_rate__gte=1), name="twilio_credential_rate_positive"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def sender(self) -> str:
        return self.messaging_service_sid or self.from_number

    @property
    def uses_api_key(self) -> bool:
        return bool(self.api_key_sid)

    def auth_token(self) -> str:
        return encryption.decrypt(self.auth_token_encrypted)

    def api_key_secret(self) -> str:
        return encryption.decrypt(self.api_key_secret_encrypted) if self.api_key_secret_encrypted else ""


class SmsCampaignSettings(models.Model):
    """What an SMS campaign needs beyond Campaign: its credential and the upload's estimate."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, primary_key=True, related_name="sms_settings"
    )
    credential = models.ForeignKey(
        TwilioCredential, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaign_settings"
    )
    estimated_segments = models.PositiveBigIntegerField(default=0)
    too_long = models.PositiveIntegerField(default=0, help_text="Rows over the limit after personalisation.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SMS campaign settings"
        verbose_name_plural = "SMS campaign settings"

    def __str__(self) -> str:
        return f"SMS settings of campaign {self.campaign_id}"
