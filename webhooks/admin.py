from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    list_display = ["url", "owner", "campaign_milestones", "active", "created_at"]
    list_filter = ["active", "campaign_milestones"]
    search_fields = ["url", "owner__email"]
    # Officers register endpoints (the secret is shown to them once); staff may only turn one off.
    fields = ["owner", "url", "secret_last4", "campaign_milestones", "active", "created_at"]
    readonly_fields = ["owner", "url", "secret_last4", "campaign_milestones", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class WebhookAttemptInline(admin.TabularInline[WebhookAttempt, WebhookDelivery]):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "started_at", "duration_ms", "status_code", "response", "error"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    list_display = ["event", "endpoint", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status"]
    search_fields = ["endpoint__url", "endpoint__owner__email", "event__id"]
    list_select_related = ["event", "endpoint"]
    inlines = [WebhookAttemptInline]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
