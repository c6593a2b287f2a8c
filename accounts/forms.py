from __future__ import annotations

from typing import Any

from allauth.account.forms import RequestLoginCodeForm
from django import forms

from accounts.logos import LogoRefused, draw_logo
from accounts.models import Agency
from accounts.selectors import allowed_domains_description, is_allowed_email
from accounts.services import ensure_officer


class AgencyLoginCodeForm(RequestLoginCodeForm):
    """Requests a login code, refusing addresses outside the allowed agency domains.

    allauth's own form only looks up existing users, so the domain check and the first-login
    account creation happen here, around its rate limits and lookup.
    """

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if not is_allowed_email(email):
            raise forms.ValidationError(
                "Postman is only for government officers. Log in with an address at "
                f"{allowed_domains_description()}. If you should have access, ask your "
                "agency's Postman administrator to add your address."
            )
        self.cleaned_data["email"] = email
        email = super().clean_email()  # allauth's per-address and per-IP limits
        officer = ensure_officer(email=email)
        self._user = officer if officer.is_active else None
        return email


class AgencyForm(forms.ModelForm[Agency]):
    """The admin's agency form: a logo upload is kept only as the PNG draw_logo makes of it."""

    logo_upload = forms.FileField(
        label="Logo",
        required=False,
        help_text="PNG, JPEG, GIF or WebP, shown at the top of emails. Stored as a PNG of at most "
        "600 by 200 pixels.",
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)

    class Meta:
        model = Agency
        fields = ["name", "display_name", "retention_days"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["retention_days"].required = False

    def clean_retention_days(self) -> int:
        days: int | None = self.cleaned_data.get("retention_days")
        return self.instance.retention_days if days is None else days

    def clean_logo_upload(self) -> bytes | None:
        upload = self.cleaned_data.get("logo_upload")
        if not upload:
            return None
        try:
            return draw_logo(upload, upload.size or 0)
        except LogoRefused as refused:
            raise forms.ValidationError(str(refused)) from None
