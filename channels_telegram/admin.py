from __future__ import annotations

from django.contrib import admin

from channels_telegram.models import CampaignTelegramSettings, Subscriber, TelegramBot


@admin.register(TelegramBot)
class TelegramBotAdmin(admin.ModelAdmin[TelegramBot]):
    """The token never appears here: only its last four characters."""

    list_display = ["username", "name", "owner", "max_rate", "verified_at"]
    list_select_related = ["owner"]
    search_fields = ["username", "name", "owner__email"]
    fields = (
        "owner",
        "username",
        "name",
        "telegram_id",
        "token_last4",
        "max_rate",
        "created_at",
        "verified_at",
    )
    readonly_fields = tuple(name for name in fields if name != "max_rate")

    def has_add_permission(self, request: object) -> bool:
        # Bots are added by their owner, checked with Telegram (Telegram settings).
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin[Subscriber]):
    list_display = ["phone", "bot", "status", "subscribed_at", "updated_at"]
    list_filter = ["status"]
    list_select_related = ["bot"]
    search_fields = ["phone", "bot__username"]
    readonly_fields = ["bot", "chat_id", "phone", "created_at", "updated_at", "subscribed_at"]


@admin.register(CampaignTelegramSettings)
class CampaignTelegramSettingsAdmin(admin.ModelAdmin[CampaignTelegramSettings]):
    list_display = ["campaign", "bot"]
    list_select_related = ["campaign", "bot"]
    raw_id_fields = ["campaign", "bot"]
