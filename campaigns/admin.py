"""Staff views of campaigns (status, why one halted, resume it) and of the suppression list.

Campaigns are read-only here: their content is the officer's, and every change goes through
the same services as the officer's own buttons, so it is recorded the same way.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from campaigns import control
from campaigns.models import Campaign, CampaignAction, CampaignStatus, Suppression
from campaigns.services import CampaignError


class CampaignActionInline(admin.TabularInline[CampaignAction, Campaign]):
    model = CampaignAction
    fields = readonly_fields = ("at", "action", "by", "detail")
    extra = 0
    can_delete = False
    ordering = ["-at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin[Campaign]):
    list_display = ["name", "owner", "channel", "status", "scheduled_at", "started_at", "halted_reason"]
    list_filter = ["status", "channel"]
    search_fields = ["name", "owner__email"]
    list_select_related = ["owner"]
    ordering = ["-created_at"]
    actions = ["resume"]
    inlines = [CampaignActionInline]
    fields = readonly_fields = (
        "name",
        "owner",
        "channel",
        "status",
        "halted_reason",
        "halt_on_bounces",
        "scheduled_at",
        "started_at",
        "finished_at",
        "send_rate",
        "subject",
        "created_at",
        "deleted_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        return False

    @admin.action(description="Resume the selected paused or halted campaigns", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        resumed, refused = 0, 0
        staff = request.user
        assert isinstance(staff, User)  # the admin requires a logged-in staff member
        for campaign in queryset.filter(status__in=[CampaignStatus.PAUSED, CampaignStatus.HALTED]):
            try:
                control.resume_campaign(campaign=campaign, by=staff)
            except CampaignError:
                refused += 1  # changed state since the list was shown
            else:
                resumed += 1
        skipped = queryset.count() - resumed - refused
        self.message_user(request, f"Resumed {resumed} campaign{'' if resumed == 1 else 's'}.")
        if skipped or refused:
            self.message_user(
                request,
                f"{skipped + refused} selected campaign(s) were not paused or halted: left as they are.",
                level=messages.WARNING,
            )


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin[Suppression]):
    """Search an address, see why and since when it is suppressed, and remove it to send again."""

    list_display = ["recipient", "channel", "reason", "agency", "owner", "created_at", "detail"]
    list_filter = ["reason", "channel"]
    search_fields = ["recipient", "agency__name", "owner__email"]
    list_select_related = ["agency", "owner"]
    ordering = ["-created_at"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ("recipient", "channel", "reason", "agency", "owner", "detail", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Suppression | None = None) -> bool:
        return False
