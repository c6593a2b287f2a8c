"""Forms for an email campaign's own steps (the message and a test) and for from addresses."""

from __future__ import annotations

from typing import Any

from django import forms

from campaigns.forms import one_line
from campaigns.models import BodyFormat
from campaigns.templating import TemplateError, compile_template
from channels_email.services import compile_email_template


class OwnAddressForm(forms.Form):
    address = forms.EmailField(
        label="Your address",
        help_text="Postman asks Amazon SES whether it is verified for sending, signed with DKIM.",
    )


class EmailTemplateForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=998, validators=[one_line])
    body_format = forms.ChoiceField(
        label="Format", choices=BodyFormat.choices, initial=BodyFormat.RICH, widget=forms.RadioSelect
    )
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(
            attrs={"rows": 14, "spellcheck": "true", "data-rich-editor": "", "data-editor-label": "Message"}
        ),
        strip=False,
        help_text="Write {{keyword}} where each recipient's own value goes, e.g. Dear {{name}}.",
    )
    sender_name = forms.CharField(
        label="Sender name",
        max_length=100,
        required=False,
        validators=[one_line],
        help_text="Shown as the sender; from Postman's address it is followed by “via Postman”. "
        "Leave blank for your agency's name.",
    )
    reply_to = forms.EmailField(
        label="Reply-to address", validators=[one_line], help_text="Where replies from recipients go."
    )
    from_email = forms.ChoiceField(
        label="From address",
        required=False,
        help_text="Add your own address under From addresses; it must be verified in Amazon SES.",
    )
    show_agency_logo = forms.BooleanField(
        label="Show agency logo",
        required=False,
        initial=True,
        help_text="Your agency's logo at the top of the email, as your Postman administrator set it.",
    )
    track_opens = forms.BooleanField(
        label="Track opens",
        required=False,
        initial=False,
        help_text="Count who opens the email and clicks its links. Approximate: image blocking hides "
        "opens and mail privacy proxies make some. Leave off for sensitive messages.",
    )

    def __init__(
        self, *args: Any, platform_address: str, from_addresses: list[str], agency_name: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        sender = self.fields["sender_name"]
        if agency_name:
            sender.help_text = (
                f"Shown as the sender; from Postman's address it is followed by “via Postman”. "
                f"Leave blank to send as {agency_name}."
            )
        else:
            # Without an agency name the From line would read "Postman via Postman".
            sender.required = True
            sender.help_text = (
                "Shown as the sender, e.g. Health Promotion Board. Your account has no agency name."
            )
            sender.error_messages["required"] = "Enter a sender name: your account has no agency name to use."
        # Only addresses verified for this officer: anything else posted is "not one of the choices".
        platform = ("", f"{platform_address} (Postman, “via Postman”)")
        field = self.fields["from_email"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [platform, *((a, a) for a in from_addresses)]

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
