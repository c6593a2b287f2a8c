"""Forms of the webhook pages: they validate and normalise input; services do the work."""

from __future__ import annotations

from django import forms


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Callback URL",
        max_length=2000,
        help_text="An https:// address on your own system. Postman POSTs signed JSON to it.",
    )
    campaign_milestones = forms.BooleanField(
        label="Also send campaign milestones",
        required=False,
        help_text="When any of your campaigns starts, pauses, resumes, is halted or finishes. "
        "Status changes of messages sent through the API are always sent.",
    )

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"].strip()
        if not url:
            raise forms.ValidationError("Enter the URL Postman should call.")
        return url
