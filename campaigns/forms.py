"""Forms for the campaign pages: they validate and normalise input; services do the work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from campaigns.channels import registered_channels
from campaigns.models import CampaignStatus, Channel
from campaigns.recipient_files import MAX_FILE_BYTES
from common.controls import first_control


def open_channels() -> list[tuple[str, str]]:
    """Channels an officer can create a campaign on: those a channel app registered, in
    Channel's order."""
    registered = set(registered_channels())
    return [(value, label) for value, label in Channel.choices if value in registered]


def one_line(value: str) -> None:
    """Names, subjects and addresses end up in headers: no line breaks or control characters."""
    if found := first_control(value):
        raise forms.ValidationError(
            f"Write this on one line, without line breaks or control characters (found {found})."
        )


class DashboardFilterForm(forms.Form):
    q = forms.CharField(label="Search by name", required=False, max_length=255)
    channel = forms.ChoiceField(
        label="Channel", required=False, choices=[("", "All channels"), *Channel.choices]
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All statuses"), *CampaignStatus.choices]
    )

    def filters(self) -> dict[str, str]:
        """The filters to apply; an invalid value (a hand-edited URL) is ignored, not an error."""
        if not self.is_valid():
            return {"channel": "", "status": "", "search": ""}
        data = self.cleaned_data
        return {"channel": data["channel"], "status": data["status"], "search": data["q"].strip()}


class CampaignCreateForm(forms.Form):
    name = forms.CharField(
        label="Campaign name",
        max_length=255,
        validators=[one_line],
        help_text="For you and your team; recipients do not see it.",
    )
    channel = forms.ChoiceField(
        label="Send by",
        choices=open_channels,
        initial=Channel.EMAIL,
        widget=forms.RadioSelect,
        help_text="SMS goes through your own Twilio account: add it in SMS settings. Telegram goes "
        "through your own bot: connect it under Telegram settings.",
    )
    protected = forms.BooleanField(
        label="Password-protected email",
        required=False,
        help_text="Each recipient opens their message with their own password. Email only; "
        "it cannot be changed later.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("protected") and cleaned.get("channel") != Channel.EMAIL:
            self.add_error("protected", "Only email campaigns can be password-protected.")
        return cleaned


class RenameForm(forms.Form):
    name = forms.CharField(label="Campaign name", max_length=255, validators=[one_line])


class RecipientUploadForm(forms.Form):
    file = forms.FileField(
        label="Recipient file",
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
        help_text=f"CSV or Excel (.xlsx), up to {MAX_FILE_BYTES // (1024 * 1024)} MB.",
    )


def _schedule_field(*, required: bool) -> forms.DateTimeField:
    # A naive date and time from the picker is read in the current time zone, Asia/Singapore.
    return forms.DateTimeField(
        label="Send at (Singapore time, GMT+8)",
        required=required,
        error_messages={
            "required": "Choose the date and time to send.",
            "invalid": "Enter a date and time, such as 2025-03-01 09:30.",
        },
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class _ScheduleMixin(forms.Form):
    def _set_earliest(self) -> None:
        earliest = timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M")
        self.fields["scheduled_at"].widget.attrs["min"] = earliest

    def clean_scheduled_at(self) -> datetime | None:
        value: datetime | None = self.cleaned_data.get("scheduled_at")
        if value is not None and value <= timezone.now():
            now = date_format(timezone.localtime(timezone.now()), "j M Y, H:i")
            raise forms.ValidationError(f"That time has passed. Choose a time after {now} (Singapore time).")
        return value


class SendLaterForm(_ScheduleMixin):
    """A send page's optional time: "Schedule" needs one, "Send now" refuses one."""

    scheduled_at = _schedule_field(required=False)

    def __init__(self, *args: Any, scheduling: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scheduling = scheduling
        self.fields["scheduled_at"].help_text = "To send later, choose a time and press Schedule."
        self._set_earliest()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = cleaned.get("scheduled_at")
        if self.scheduling and chosen is None and "scheduled_at" not in self.errors:
            self.add_error("scheduled_at", "Choose the date and time to send.")
        if not self.scheduling and chosen is not None:
            # Sending a million messages now when a time was meant is not something to guess at.
            self.add_error(
                "scheduled_at", "You chose a time: press Schedule to send then, or clear it to send now."
            )
        return cleaned


class SendForm(SendLaterForm):
    field_order = ["send_rate", "scheduled_at"]
    send_rate = forms.IntegerField(
        label="Send rate (messages per second)",
        required=False,
        min_value=1,
        help_text="Leave blank to send as fast as Postman allows.",
    )


class ScheduleForm(_ScheduleMixin):
    scheduled_at = _schedule_field(required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_earliest()
