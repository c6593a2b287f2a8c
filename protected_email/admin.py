from __future__ import annotations

from django.contrib import admin

from protected_email.models import ProtectedRetention


@admin.register(ProtectedRetention)
class ProtectedRetentionAdmin(admin.ModelAdmin[ProtectedRetention]):
    list_display = ["agency", "days"]
    search_fields = ["agency__name"]
