"""Forms for Telegram settings and the Telegram template: validate and normalise, nothing else."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator

from campaigns.forms import SendForm
from campaigns.templating import TemplateError
from channels_telegram.models import DEFAULT_BOT_RATE, TelegramBot
from channels_telegram.selectors import owned_bots
from channels_telegram.templating import MAX_CHARACTERS, compile_layout, sanitise_template
from common.phones import normalise_phone
from common.recipients import InvalidRecipient

# BotFather's tokens: the bot's numeric id, a colon, then 35 letters, digits, "_" or "-".
_TOKEN = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{30,64}")


class BotForm(forms.Form):
    token = forms.CharField(
        label="Bot token",
        max_length=100,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="From @BotFather in Telegram: send /newbot (or /token for an existing bot) and paste "
        "the token it gives you, e.g. 123456789:AAE…",
    )
    max_rate = forms.IntegerField(
        label="Messages per second",
        min_value=1,
        max_value=DEFAULT_BOT_RATE,
        initial=DEFAULT_BOT_RATE,
        help_text="Telegram lets a bot send about 30 messages a second. Campaigns using this bot share it.",
    )

    def clean_token(self) -> str:
        token: str = "".join(self.cleaned_data["token"].split())
        if not _TOKEN.fullmatch(token):
            raise forms.ValidationError(
                "That is not a bot token. Tokens look like 123456789:AAE… — a number, a colon, "
                "then about 35 letters and digits. Copy it again from @BotFather."
            )
        return token


class TelegramTemplateForm(forms.Form):
    """For the campaign's template step: the bot to send with, and Telegram's HTML subset with
    {{keywords}}. `cleaned_data["body"]` is the sanitised template, the text to store and render.
    """

    bot: forms.ModelChoiceField[TelegramBot] = forms.ModelChoiceField(
        label="Send with",
        queryset=None,
        empty_label=None,
        help_text="One of your Telegram bots (Telegram settings). Only its subscribers can be sent to: "
        "the recipient list is checked against them when you upload it.",
        error_messages={"invalid_choice": "Choose one of your own Telegram bots."},
    )
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(
            attrs={"rows": 8, "spellcheck": "true", "data-telegram-counter": "telegram-count"}
        ),
        # Django puts help text into the page as HTML: the tags are written as entities to show.
        help_text="Write {{keyword}} where each recipient's own value goes. Formatting: &lt;b&gt;, "
        "&lt;i&gt;, &lt;u&gt;, &lt;s&gt;, &lt;code&gt;, &lt;pre&gt; and "
        '&lt;a href="https://…"&gt;links&lt;/a&gt;.',
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["bot"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = owned_bots(user)

    def clean_body(self) -> str:
        try:
            body = sanitise_template(self.cleaned_data["body"])
        except TemplateError as error:
            raise forms.ValidationError([problem.message for problem in error.problems]) from None
        fixed = compile_layout(body).fixed_length
        if fixed > MAX_CHARACTERS:
            raise forms.ValidationError(
                f"The message is {fixed:,} characters before any keyword is filled in; "
                "Telegram's limit is 4,096."
            )
        if not body:
            raise forms.ValidationError("The message has no text left once formatting is removed.")
        return body


class TelegramTestForm(forms.Form):
    phone = forms.CharField(
        label="Send a test to",
        max_length=32,
        help_text="Your own mobile number, subscribed to the campaign's bot. The first recipient's "
        "message arrives marked [Test].",
    )

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except InvalidRecipient as error:
            raise forms.ValidationError(
                f"{error.reason}. Write it as on your phone, e.g. 9123 4567."
            ) from None


class TelegramSendForm(SendForm):
    """Send now or later, at most as fast as the campaign's bot may send."""

    def __init__(self, *args: Any, bot: TelegramBot, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rate = self.fields["send_rate"]
        assert isinstance(rate, forms.IntegerField)
        rate.required, rate.max_value, rate.initial = True, bot.max_rate, bot.max_rate
        rate.validators.append(MaxValueValidator(bot.max_rate))
        rate.widget.attrs["max"] = bot.max_rate
        rate.help_text = (
            f"At most {bot.max_rate} a second, @{bot.username}'s limit, shared with its other campaigns. "
            "No resident gets more than one message a second."
        )
