"""Forms for SMS settings and the SMS steps of a campaign: validate and normalise, nothing else."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from phonenumbers import NumberParseException, PhoneNumberFormat

from campaigns.forms import SendLaterForm
from campaigns.templating import TemplateError, compile_template
from channels_sms.models import DEFAULT_ACCOUNT_RATE, TwilioCredential
from channels_sms.segments import MAX_CHARACTERS
from channels_sms.selectors import owned_credentials
from common.phones import normalise_phone
from common.recipients import InvalidRecipient

_ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
RATE_HELP = (
    "Twilio's own limit depends on the sender: about 1 message a second from a long code (an "
    "ordinary number), up to 100 or more from a short code or a messaging service with several "
    "numbers. Postman also stays under the limit you set for the Twilio account, shared by every "
    "campaign that uses it."
)


def _sid_field(prefix: str, label: str, *, required: bool, help_text: str = "") -> forms.RegexField:
    return forms.RegexField(
        label=label,
        regex=rf"^\s*{prefix}[0-9a-fA-F]{{32}}\s*$",
        required=required,
        help_text=help_text,
        error_messages={"invalid": f"Starts with {prefix} and has 32 letters and digits after it."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def _mobile(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except InvalidRecipient as error:
        raise forms.ValidationError(f"{error.reason}. Write a mobile number such as 9123 4567.") from None


class CredentialForm(forms.Form):
    label = forms.CharField(label="Label", max_length=100, help_text="For you, e.g. “Clinic reminders”.")
    account_sid = _sid_field("AC", "Account SID", required=True)
    auth_token = forms.CharField(
        label="Auth token",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Twilio signs delivery reports with it, so it is needed even with an API key.",
    )
    api_key_sid = _sid_field("SK", "API key SID", required=False, help_text="Optional: send with an API key.")
    api_key_secret = forms.CharField(
        label="API key secret",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    messaging_service_sid = _sid_field(
        "MG", "Messaging service SID", required=False, help_text="Either a messaging service…"
    )
    from_number = forms.CharField(
        label="Sender number or ID",
        max_length=20,
        required=False,
        help_text="…or the number (+6580000000) or sender ID (up to 11 letters and digits) to send from.",
    )
    max_rate = forms.IntegerField(
        label="Account limit (messages per second)",
        min_value=1,
        max_value=10_000,
        initial=DEFAULT_ACCOUNT_RATE,
        help_text="Twilio's limit depends on the sender type. Campaigns sharing this account stay under it.",
    )
    test_number = forms.CharField(
        label="Send a test SMS to",
        max_length=30,
        help_text="Your own mobile. Saving sends a test SMS here; nothing is saved unless Twilio "
        "accepts it. Campaign tests can then go to this number (Singapore mobiles only).",
    )

    def clean_account_sid(self) -> str:
        return _sid(self.cleaned_data["account_sid"])

    def clean_api_key_sid(self) -> str:
        return _sid(self.cleaned_data["api_key_sid"])

    def clean_messaging_service_sid(self) -> str:
        return _sid(self.cleaned_data["messaging_service_sid"])

    def clean_from_number(self) -> str:
        # "Possible", not "valid": Twilio numbers include ranges phonenumbers does not know yet,
        # and the test SMS checks the sender for real.
        raw: str = self.cleaned_data["from_number"].strip()
        if not raw or _ALPHANUMERIC_SENDER.fullmatch(raw):
            return raw
        try:
            number = phonenumbers.parse(raw, "SG")
        except NumberParseException:
            number = None
        if number is None or not phonenumbers.is_possible_number(number):
            raise forms.ValidationError(
                "Write a phone number such as +6580000000, or a sender ID of letters."
            )
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)

    def clean_test_number(self) -> str:
        return _mobile(self.cleaned_data["test_number"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        service, number = cleaned.get("messaging_service_sid"), cleaned.get("from_number")
        if "messaging_service_sid" in cleaned and "from_number" in cleaned and bool(service) == bool(number):
            self.add_error("from_number", "Give either a messaging service SID or a sender, not both.")
        key, secret = cleaned.get("api_key_sid"), cleaned.get("api_key_secret")
        if key and not secret:
            self.add_error("api_key_secret", "Give the secret of the API key too.")
        if secret and not key and "api_key_sid" in cleaned:
            self.add_error("api_key_sid", "Give the SID of the API key the secret belongs to.")
        return cleaned


def _sid(value: str) -> str:
    value = value.strip()
    return value[:2].upper() + value[2:].lower() if value else ""


class SmsTemplateForm(forms.Form):
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "true", "data-sms-counter": "sms-count"}),
        help_text="Plain text. Write {{keyword}} where each recipient's own value goes, e.g. Dear {{name}}.",
    )

    def clean_body(self) -> str:
        # Browsers send line breaks as CRLF; the counter and the SMS count one character each.
        body: str = self.cleaned_data["body"].replace("\r\n", "\n")
        try:
            compiled = compile_template(body)
        except TemplateError as error:
            raise forms.ValidationError([problem.message for problem in error.problems]) from None
        fixed = sum(len(part) for part in compiled.parts if isinstance(part, str))
        if fixed > MAX_CHARACTERS:
            raise forms.ValidationError(
                f"The message is {fixed:,} characters before any keyword is filled in; the limit is 1,600."
            )
        return body


class _CredentialChoiceForm(forms.Form):
    credential: forms.ModelChoiceField[TwilioCredential] = forms.ModelChoiceField(
        label="Send with",
        queryset=None,
        empty_label=None,
        help_text="One of your Twilio credentials, from SMS settings.",
        error_messages={"invalid_choice": "Choose one of your own Twilio credentials."},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["credential"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = owned_credentials(user)


class SmsTestSendForm(_CredentialChoiceForm):
    phone = forms.CharField(
        label="Send a test to",
        max_length=30,
        help_text="Your own Singapore mobile: the test number of one of your Twilio credentials. "
        "The first recipient's message is sent, starting with [Test].",
    )

    def clean_phone(self) -> str:
        return _mobile(self.cleaned_data["phone"])


class SmsSendForm(SendLaterForm, _CredentialChoiceForm):
    field_order = ["credential", "send_rate", "scheduled_at"]
    send_rate = forms.IntegerField(
        label="Send rate (messages per second)",
        min_value=1,
        max_value=10_000,
        initial=settings.SMS_DEFAULT_RATE,
        help_text=RATE_HELP,
    )
