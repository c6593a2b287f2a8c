"""Telegram templates: the HTML subset, keywords escaped per message, the 4,096-character limit."""

from __future__ import annotations

import pytest

from accounts.models import User
from campaigns.templating import TemplateError
from channels_telegram.forms import TelegramTemplateForm
from channels_telegram.recipients import message_problem
from channels_telegram.templating import compile_layout, render_message, sanitise_template, visible_length
from tests.channels_telegram.conftest import make_bot


def render(template: str, **params: str) -> str:
    return render_message(compile_layout(sanitise_template(template)), recipient="+6591234567", params=params)


def test_telegram_tags_are_kept_and_others_removed() -> None:
    template = (
        "<p>Dear <b>{{name}}</b>,</p><p><i>i</i> <u>u</u> <s>s</s> <code>c</code></p><pre>p</pre>"
        '<a href="https://go.gov.sg/x">link</a> <a href="tg://resolve?domain=x">tg</a>'
        '<script>alert(1)</script><img src="https://x/y.png"><span style="x">plain</span><br>end'
    )

    assert sanitise_template(template) == (
        "Dear <b>{{name}}</b>,\n\n<i>i</i> <u>u</u> <s>s</s> <code>c</code>\n\n<pre>p</pre>"
        '<a href="https://go.gov.sg/x">link</a> <a href="tg://resolve?domain=x">tg</a>plain\nend'
    )


def test_links_to_other_schemes_lose_their_tag_and_keep_their_text() -> None:
    assert (
        sanitise_template('<a href="javascript:alert(1)">click</a> <a href="/relative">here</a>')
        == "click here"
    )


def test_values_are_escaped_and_cannot_add_tags() -> None:
    assert render("Hi {{name}}", name="<b>Tan</b> & co") == "Hi &lt;b&gt;Tan&lt;/b&gt; &amp; co"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://go.gov.sg/r?a=1&b=2", '<a href="https://go.gov.sg/r?a=1&amp;b=2">result</a>'),
        ("javascript:alert(1)", "result"),
        ('https://x" onclick="y', "result"),
        ("", "result"),
    ],
)
def test_a_keyword_link_must_be_http_or_tg(value: str, expected: str) -> None:
    assert render('<a href="{{link}}">result</a>', link=value) == expected


def test_an_empty_keyword_cannot_smuggle_a_scheme() -> None:
    assert render('<a href="{{x}}javascript:alert(1)">go</a>', x="") == "go"


def test_keyword_errors_name_the_token_and_where_it_is() -> None:
    with pytest.raises(TemplateError) as raised:
        sanitise_template("Hi {{first name}}\n{{#if}}")

    assert [p.message for p in raised.value.problems] == [
        'Invalid keyword "{{first name}}" at line 1, column 4: keywords may contain only letters, numbers'
        " and underscores.",
        '"{{#if}}" at line 2, column 1: sections and other template logic are not supported;'
        " use {{keyword}} only.",
    ]


def test_length_counts_text_not_tags_and_emoji_as_two() -> None:
    assert visible_length("<b>a&amp;b</b> 😀") == 6
    assert message_problem("<b>" + "x" * 4096 + "</b>") == ""
    assert (
        message_problem("x" * 4097)
        == "Message is 4,097 characters after personalisation; Telegram's limit is 4,096."
    )


@pytest.mark.django_db
def test_form_refuses_a_template_over_the_limit_before_any_keyword(officer: User) -> None:
    bot, _ = make_bot(officer)
    form = TelegramTemplateForm({"bot": bot.pk, "body": "<b>" + "x" * 4097 + "</b> {{name}}"}, user=officer)

    assert not form.is_valid()
    assert form.errors["body"] == [
        "The message is 4,098 characters before any keyword is filled in; Telegram's limit is 4,096."
    ]


@pytest.mark.django_db
def test_form_gives_the_sanitised_template(officer: User) -> None:
    bot, _ = make_bot(officer)
    form = TelegramTemplateForm(
        {"bot": bot.pk, "body": "<p>Hi <b>{{Name}}</b></p><script>x</script>"}, user=officer
    )

    assert form.is_valid()
    assert form.cleaned_data["body"] == "Hi <b>{{Name}}</b>"
    assert render(form.cleaned_data["body"], name="Tan") == "Hi <b>Tan</b>"
