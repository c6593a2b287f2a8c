from __future__ import annotations

from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.html import format_html

from accounts.forms import AgencyForm
from accounts.models import Agency, AllowedAddress, AllowedDomain, User
from accounts.selectors import agency_logo_url
from accounts.services import set_agency_logo

# The admin has no password form: staff log in by one-time code like every officer, under
# the same rate limits.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Postman administration"
admin.site.site_title = "Postman admin"


@admin.register(User)
class OfficerAdmin(UserAdmin):
    ordering = ["email"]
    list_display = ["email", "agency", "is_staff", "is_active", "last_login", "date_joined"]
    list_filter = ["is_staff", "is_active", "agency"]
    search_fields = ["email"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "agency")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "agency")}),)
    filter_horizontal = ("groups",)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    form = AgencyForm
    list_display = ["name", "display_name", "domain", "retention_days", "created_at"]
    search_fields = ["name", "display_name", "domain"]
    readonly_fields = ["current_logo"]
    fields = [
        "name",
        "display_name",
        "domain",
        "current_logo",
        "logo_upload",
        "remove_logo",
        "retention_days",
    ]

    @admin.display(description="Current logo")
    def current_logo(self, agency: Agency) -> str:
        url = agency_logo_url(agency)
        return format_html('<img src="{}" alt="" height="48">', url) if url else "None"

    def save_model(self, request: HttpRequest, obj: Agency, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        png = form.cleaned_data.get("logo_upload")
        if png is not None:
            set_agency_logo(agency=obj, png=png)
        elif form.cleaned_data.get("remove_logo"):
            set_agency_logo(agency=obj, png=None)


@admin.register(AllowedDomain)
class AllowedDomainAdmin(admin.ModelAdmin[AllowedDomain]):
    list_display = ["domain", "agency", "created_at"]
    search_fields = ["domain"]


@admin.register(AllowedAddress)
class AllowedAddressAdmin(admin.ModelAdmin[AllowedAddress]):
    list_display = ["email", "agency", "created_at"]
    search_fields = ["email"]
