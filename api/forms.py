"""Forms of the API keys page: they validate and normalise input; services do the work."""

from __future__ import annotations

from django import forms
from django.conf import settings

VALIDITY_CHOICES = [(1, "1 month"), (3, "3 months"), (6, "6 months"), (12, "12 months")]


class ApiKeyForm(forms.Form):
    label = forms.CharField(
        label="Label",
        max_length=255,
        help_text="What will use this key, so you can tell your keys apart, e.g. “Appointments system”.",
    )
    months = forms.TypedChoiceField(
        label="Valid for",
        choices=VALIDITY_CHOICES,
        coerce=int,
        help_text="You will be emailed 28, 14, 3 and 1 days before it expires.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["months"].initial = settings.API_KEY_VALIDITY_MONTHS

    def clean_label(self) -> str:
        label = " ".join(self.cleaned_data["label"].split())
        if not label:
            raise forms.ValidationError("Give the key a label.")
        return label
