from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from channels_email import identities
from channels_email.models import SenderAddress


class AgencyAddressForm(forms.ModelForm[SenderAddress]):
    """An admin grants an agency address; SES must already have it verified with DKIM."""

    class Meta:
        model = SenderAddress
        fields = ["address", "agency"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].required = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "address" in cleaned and cleaned.get("agency") is not None:
            try:
                address, check = identities.check_agency_address(
                    agency=cleaned["agency"], address=cleaned["address"]
                )
            except identities.SenderAddressRefused as refused:
                self.add_error("address", str(refused))
                return cleaned
            if not check.usable:
                self.add_error("address", check.problem)
            cleaned["address"] = address
            self.instance.verified, self.instance.problem = check.usable, check.problem
            self.instance.checked_at = timezone.now()
        return cleaned


@admin.register(SenderAddress)
class SenderAddressAdmin(admin.ModelAdmin[SenderAddress]):
    form = AgencyAddressForm
    list_display = ["address", "agency", "owner", "verified", "checked_at", "problem"]
    list_filter = ["verified", "agency"]
    search_fields = ["address", "owner__email", "agency__name"]
    readonly_fields = ["verified", "problem", "checked_at"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("agency", "owner")

    def has_change_permission(self, request: HttpRequest, obj: SenderAddress | None = None) -> bool:
        # An officer's own address is theirs to add and remove; admins grant agency addresses.
        if obj is not None and obj.owner_id is not None:
            return False
        return super().has_change_permission(request, obj)
