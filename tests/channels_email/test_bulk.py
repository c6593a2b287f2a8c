from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from accounts.models import Agency
from campaigns.models import Campaign
from channels_email.bulk import bulk_template, send_campaign_emails
from channels_email.rendering import build_email, layout_for
from tests.factories import make_email_campaign

pytestmark = pytest.mark.django_db

SUBJECT = "Notice for {{name}} ({{code}})"
# Every place a keyword can sit: text, a linked *_url value, link text, a link it starts, a link
# the officer started, an image's alt text, a plain attribute.
BODY = (
    "<h1>Dear {{name}},</h1><p>Your code is <strong>{{code}}</strong>. {{name}} again.</p>"
    '<p>Pay at {{pay_url}} or <a href="https://pay.gov.sg/{{code}}?who={{name}}">pay {{name}}</a>.</p>'
    '<p><a href="{{form_url}}">the form</a> <img src="https://pay.gov.sg/logo.png" alt="{{name}}"></p>'
    "<ul><li>{{code}}</li><li>{{name}}</li></ul><table><tr><td>{{name}}</td><td>{{code}}</td></tr></table>"
)
# Keywords only in running text: the plain text goes keyword by keyword for settled values.
RUNNING_TEXT = (
    "<h1>Dear {{name}},</h1><p>Code: <strong>{{code}}</strong>.</p>"
    "<ul><li>{{name}}</li><li> {{code}} </li></ul>"
    "<table><tr><td>{{name}}</td><td>{{code}}</td></tr></table><p>{{name}}{{code}}</p><p>  {{name}}  </p>"
    "<blockquote>{{recipient}}</blockquote>"
)
AWKWARD = [
    "Tan <script>alert('x')</script> & \"sons\"",
    "{{name}} {{{v0}}} }} {{#if x}}",
    "\\{{{subject}}}",
    "Zoë 🎉👍🏽 家族",
    "مرحبا بالعالم \u202eevil",
    "x" * 5000,
    "https://pay.gov.sg/a?b=1&c=<2>",
    "javascript:alert(1)",
    "",
    "  spaced \t out \n over lines  ",
    "&amp; &lt;b&gt; &#123;",
    "C:\\path\\",
    "no\u00a0break\u2028separator",
    "amp;lt; #x27; ;",
    "\ue0000\ue001",
]


@dataclass(frozen=True)
class Claimed:
    id: int
    recipient: str
    params: dict[str, str] = field(default_factory=dict)


def awkward_messages() -> list[Claimed]:
    messages = []
    for i, value in enumerate(AWKWARD):
        params = {"name": value, "code": f"C{i}<&>", "pay_url": value, "form_url": value}
        messages.append(Claimed(1000 + i, f"person{i}@example.com", params))
    messages.append(
        Claimed(
            2000,
            "links@example.com",
            {
                "name": "Ann",
                "code": "7",
                **dict.fromkeys(("pay_url", "form_url"), "https://pay.gov.sg/x?y=1&z=2"),
            },
        )
    )
    return messages


def campaign_with(officer: Any, tmp_path: Path, **template: str) -> Campaign:
    fields = {"subject": SUBJECT, "body": BODY, **template}
    return make_email_campaign(officer, [], tmp_path=tmp_path, **fields)


def received(provider: Any) -> dict[str, dict[str, Any]]:
    return {m["to"][0]: m for m in provider.messages("email")}


def without_call_details(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k not in ("id", "at", "bulk_call")}


@pytest.mark.parametrize(
    ("body", "keyword_by_keyword"), [(BODY, False), (RUNNING_TEXT, True)], ids=["every place", "running text"]
)
def test_bulk_recipients_receive_byte_for_byte_what_the_per_message_path_sends(
    officer: Any, ses_provider: Any, settings: Any, tmp_path: Path, body: str, keyword_by_keyword: bool
) -> None:
    layout = layout_for(campaign_with(officer, tmp_path, body=body))
    messages = awkward_messages()

    settings.SES_BULK_SEND = False
    single = send_campaign_emails(layout, messages)
    one_by_one = received(ses_provider)
    ses_provider.reset()
    settings.SES_BULK_SEND = True
    bulk = send_campaign_emails(layout, messages)
    in_bulk = received(ses_provider)

    assert all(result.ok for result in single + bulk)
    template = bulk_template(layout)
    assert template is not None
    assert (template.plain is not None) == keyword_by_keyword
    assert set(in_bulk) == set(one_by_one) == {m.recipient for m in messages}
    for message in messages:
        got = in_bulk[message.recipient]
        assert got.get("bulk_call"), message.recipient  # really sent in a bulk call
        assert without_call_details(got) == without_call_details(one_by_one[message.recipient])
        built = build_email(layout, message_id=message.id, recipient=message.recipient, params=message.params)
        assert (got["subject"], got["html"], got["text"]) == (built.subject, built.html, built.text)
        assert got["headers"] == built.headers
    # With the plain text keyword by keyword, recipients with an empty or spaced-out value
    # have theirs rendered whole: a second call, with the other plain-text template.
    assert len({m["bulk_call"] for m in in_bulk.values()}) == (2 if keyword_by_keyword else 1)
    assert [r.provider_id for r in bulk] == [in_bulk[m.recipient]["id"] for m in messages]


def test_awkward_values_render_as_the_renderer_decided(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    layout = layout_for(campaign_with(officer, tmp_path))
    [script, braces, *_, links] = awkward_messages()

    send_campaign_emails(layout, [script, braces, links])

    got = received(ses_provider)
    assert (
        "Dear Tan &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;sons&quot;,"
        in got[script.recipient]["html"]
    )
    assert "Dear {{name}} {{{v0}}} }} {{#if x}}," in got[braces.recipient]["text"]
    assert got[braces.recipient]["subject"] == "Notice for {{name}} {{{v0}}} }} {{#if x}} (C1<&>)"
    assert (
        '<a href="https://pay.gov.sg/x?y=1&amp;z=2" rel="noopener noreferrer">'
        in got[links.recipient]["html"]
    )
    assert "Pay at https://pay.gov.sg/x?y=1&z=2 or" in got[links.recipient]["text"]


def test_layout_whose_text_ses_would_read_as_syntax_goes_message_by_message(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    # Handlebars reads "\{{" as an escaped, literal mustache.
    layout = layout_for(campaign_with(officer, tmp_path, body="<p>Saved in C:\\{{name}}</p>"))
    message = Claimed(5, "tan@example.com", {"name": "Tan", "code": "1"})

    [result] = send_campaign_emails(layout, [message])

    assert bulk_template(layout) is None
    [got] = ses_provider.messages("email")
    assert result.provider_id == got["id"]
    assert "bulk_call" not in got
    built = build_email(layout, message_id=5, recipient="tan@example.com", params=message.params)
    assert (got["html"], got["text"]) == (built.html, built.text)
    assert "Saved in C:\\Tan" in got["text"]


def test_agency_name_with_braces_goes_message_by_message(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    officer.agency = Agency.objects.create(name="Ministry of {{Braces}}")
    officer.save()
    layout = layout_for(campaign_with(officer, tmp_path))

    send_campaign_emails(layout, [Claimed(5, "tan@example.com", {"name": "Tan", "code": "1"})])

    [got] = ses_provider.messages("email")
    assert "bulk_call" not in got
    assert "This email was sent by Ministry of {{Braces}} through Postman." in got["html"]


def test_message_with_a_nul_goes_alone_and_the_rest_in_bulk(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    layout = layout_for(campaign_with(officer, tmp_path))
    messages = [
        Claimed(1, "a@example.com", {"name": "A", "code": "1"}),
        Claimed(2, "nul@example.com", {"name": "N\x00ul", "code": "2"}),
        Claimed(3, "c@example.com", {"name": "C", "code": "3"}),
    ]

    results = send_campaign_emails(layout, messages)

    got = received(ses_provider)
    assert [r.provider_id for r in results] == [got[m.recipient]["id"] for m in messages]
    assert "bulk_call" not in got["nul@example.com"]
    assert got["a@example.com"]["bulk_call"] == got["c@example.com"]["bulk_call"]
    built = build_email(layout, message_id=2, recipient="nul@example.com", params=messages[1].params)
    assert got["nul@example.com"]["html"] == built.html


def test_other_email_providers_send_message_by_message(officer: Any, tmp_path: Path) -> None:
    from channels_email.models import InboxMessage

    layout = layout_for(campaign_with(officer, tmp_path))

    [result] = send_campaign_emails(layout, [Claimed(9, "tan@example.com", {"name": "Tan", "code": "1"})])

    inbox = InboxMessage.objects.get()
    assert result.provider_id == f"inbox-{inbox.pk}"
    built = build_email(
        layout, message_id=9, recipient="tan@example.com", params={"name": "Tan", "code": "1"}
    )
    assert (inbox.subject, inbox.html, inbox.text) == (built.subject, built.html, built.text)
