from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from api.models import ApiKey, ApiSettings, TransactionalEmail


@admin.register(ApiSettings)
class ApiSettingsAdmin(admin.ModelAdmin[ApiSettings]):
    list_display = ["user", "rate_per_second", "max_active_keys"]
    search_fields = ["user__email"]
    autocomplete_fields = ["user"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = ["label", "masked", "owner", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["label", "owner__email", "last_four"]
    # Keys are made by their owners (or manage.py create_api_key); the admin can only revoke.
    readonly_fields = [
        "owner",
        "label",
        "prefix",
        "key_hash",
        "last_four",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "reminders_sent",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} key(s).")


@admin.register(TransactionalEmail)
class TransactionalEmailAdmin(admin.ModelAdmin[TransactionalEmail]):
    list_display = ["id", "recipient", "subject", "owner", "status", "tag", "created_at"]
    list_filter = ["status"]
    search_fields = ["recipient", "owner__email", "provider_id", "tag"]
    list_select_related = ["owner"]
    readonly_fields = [field.name for field in TransactionalEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
