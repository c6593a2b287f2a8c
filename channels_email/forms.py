from __future__ import annotations

from django import forms


class OwnAddressForm(forms.Form):
    address = forms.EmailField(
        label="Your address",
        help_text="Postman asks Amazon SES whether it is verified for sending, signed with DKIM.",
    )
