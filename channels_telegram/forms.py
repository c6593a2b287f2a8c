"""Forms for Settings → Telegram and the Telegram template: validate and normalise, nothing else."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from campaigns.templating import TemplateError
from channels_telegram.models import DEFAULT_BOT_RATE, TelegramBot
from channels_telegram.selectors import owned_bots
from channels_telegram.templating import MAX_CHARACTERS, compile_layout, sanitise_template

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
    """For the campaign's template step: Telegram's HTML subset with {{keywords}}.

    `cleaned_data["body"]` is the sanitised template, the text to store and render.
    """

    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "true"}),
        help_text="Write {{keyword}} where each recipient's own value goes. Formatting: <b>, <i>, <u>, "
        '<s>, <code>, <pre> and <a href="https://…">links</a>.',
    )

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


class BotChoiceForm(forms.Form):
    """For the campaign's send and test steps: one of the officer's own bots."""

    bot: forms.ModelChoiceField[TelegramBot] = forms.ModelChoiceField(
        label="Send with",
        queryset=None,
        empty_label=None,
        help_text="One of your Telegram bots, from Settings → Telegram.",
        error_messages={"invalid_choice": "Choose one of your own Telegram bots."},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["bot"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = owned_bots(user)
