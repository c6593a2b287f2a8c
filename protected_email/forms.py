"""The protected campaign's template form: the email's fields plus the protected message."""

from __future__ import annotations

from typing import Any

from django import forms

from campaigns.templating import TemplateError
from channels_email.forms import EmailTemplateForm
from protected_email.services import check_email_keywords, compile_protected_message


class ProtectedTemplateForm(EmailTemplateForm):
    message = forms.CharField(
        label="Protected message",
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "true"}),
        strip=False,
        help_text="HTML. What each recipient reads after entering their password; any {{keyword}} "
        "from the recipient file may be used, e.g. Your result: {{result}}.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].help_text = "Only {{recipient}} may be used here."
        self.fields["body"].label = "Email message"
        self.fields["body"].widget.attrs["data-editor-label"] = "Email message"
        self.fields["body"].help_text = (
            "What the email says. It must contain {{protectedlink}}, the link to the protected "
            "message, and may otherwise use only {{recipient}}."
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for field, part, needs_link in [("subject", "subject", False), ("body", "body", True)]:
            if field in cleaned and field not in self.errors:
                try:
                    check_email_keywords(cleaned[field], part=part, needs_link=needs_link)
                except TemplateError as error:
                    self.add_error(field, [problem.message for problem in error.problems])
        if "message" in cleaned:
            try:
                compile_protected_message(cleaned["message"])
            except TemplateError as error:
                self.add_error("message", [problem.message for problem in error.problems])
        return cleaned
