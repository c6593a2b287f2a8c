"""Forms for an email campaign's own steps: the message and a test."""

from __future__ import annotations

from typing import Any

from django import forms

from campaigns.forms import one_line
from campaigns.models import BodyFormat
from campaigns.templating import TemplateError, compile_template
from channels_email.services import compile_email_template


class EmailTemplateForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=998, validators=[one_line])
    body_format = forms.ChoiceField(
        label="Format", choices=BodyFormat.choices, initial=BodyFormat.RICH, widget=forms.RadioSelect
    )
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "true"}),
        strip=False,
        help_text="Write {{keyword}} where each recipient's own value goes, e.g. Dear {{name}}.",
    )
    sender_name = forms.CharField(
        label="Sender name",
        max_length=100,
        required=False,
        validators=[one_line],
        help_text="Shown as the sender, followed by “via Postman”. Leave blank for your agency's name.",
    )
    reply_to = forms.EmailField(
        label="Reply-to address", validators=[one_line], help_text="Where replies from recipients go."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Subject and body compile separately so each problem shows under the field it is in.
        if "subject" in cleaned:
            try:
                compile_template(cleaned["subject"])
            except TemplateError as error:
                self.add_error("subject", [problem.message for problem in error.problems])
        if "body" in cleaned and "body_format" in cleaned:
            try:
                compile_email_template(subject="", body=cleaned["body"], body_format=cleaned["body_format"])
            except TemplateError as error:
                self.add_error("body", [problem.message for problem in error.problems])
        return cleaned


class TestSendForm(forms.Form):
    email = forms.EmailField(
        label="Send a test to", help_text="The first recipient's message, marked [Test]."
    )
