from __future__ import annotations

from django.contrib import admin

from channels_sms.models import SmsCampaignSettings, TwilioCredential


@admin.register(TwilioCredential)
class TwilioCredentialAdmin(admin.ModelAdmin[TwilioCredential]):
    """Secrets never appear here: only their last four characters."""

    list_display = ["label", "owner", "account_sid", "sender", "max_rate", "verified_at"]
    list_select_related = ["owner"]
    search_fields = ["label", "owner__email", "account_sid"]
    fields = (
        "owner",
        "label",
        "account_sid",
        "auth_token_last4",
        "api_key_sid",
        "api_key_secret_last4",
        "messaging_service_sid",
        "from_number",
        "max_rate",
        "created_at",
        "verified_at",
    )
    readonly_fields = tuple(name for name in fields if name != "max_rate")

    def has_add_permission(self, request: object) -> bool:
        # Credentials are added by their owner, verified with a test SMS (SMS settings).
        return False


@admin.register(SmsCampaignSettings)
class SmsCampaignSettingsAdmin(admin.ModelAdmin[SmsCampaignSettings]):
    list_display = ["campaign", "credential", "estimated_segments", "too_long"]
    list_select_related = ["campaign", "credential"]
    raw_id_fields = ["campaign", "credential"]
    readonly_fields = ["estimated_segments", "too_long"]
