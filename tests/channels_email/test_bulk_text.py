from __future__ import annotations

import random
import re

import pytest

from campaigns.plain_text import html_to_text
from campaigns.templating import TemplateError
from channels_email.bulk_text import keyword_text
from channels_email.templating import compile_email_body, html_value

PIECES = [
    *(
        "<p>",
        "</p>",
        "<ul>",
        "</ul>",
        "<ol>",
        "</ol>",
        "<li>",
        "<br>",
        "<hr>",
        "<h2>",
        "</h2>",
        "<div>",
        "</div>",
    ),
    *("<table>", "</table>", "<tr>", "<td>", "<strong>", "</strong>", "<em>", "</em>", "<blockquote>"),
    *(" ", "  ", "\n", "text", "&amp;", ";", "x", "{{a}}", "{{b}}", "{{c}}"),
]
CHARACTERS = [*"ab ;&#<>\"'x1{}\\/", "&amp;", "lt;", "\u00a0", "\n", "\t", "é", "🎉", "\u202e", "  "]


def slot(name: str) -> str:
    return "{{{" + name + "}}}"


def fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\{\{\{(\w+)\}\}\}", lambda match: values[match[1]], text)


def test_keyword_by_keyword_plain_text_matches_the_rendered_one_for_random_templates_and_values() -> None:
    rng = random.Random(5)
    checked = 0
    for _ in range(800):
        try:
            body = compile_email_body("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 25))))
        except TemplateError:
            continue
        plain = keyword_text(body, slot)
        assert plain is not None  # every keyword here sits in running text
        for _ in range(10):
            values = {k: "".join(rng.choice(CHARACTERS) for _ in range(rng.randint(0, 6))) for k in "abc"}
            settled = plain.values(values)
            if settled is None:
                continue
            substituted = fill(plain.text, settled)
            assert substituted == html_to_text(body.render(values, fill=html_value)), (body, values)
            checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    "body",
    [
        '<p><a href="https://x.gov.sg">{{a}}</a></p>',
        '<p><a href="{{a}}">form</a></p>',
        '<p><a href="https://x.gov.sg/{{a}}">form</a></p>',
        '<p><img src="https://x.gov.sg/i.png" alt="{{a}}"></p>',
        "<p>{{form_url}}</p>",
        "<p>{{form_link}}</p>",
    ],
)
def test_keyword_outside_running_text_leaves_the_plain_text_whole(body: str) -> None:
    assert keyword_text(compile_email_body(body), slot) is None


@pytest.mark.parametrize(
    "value", ["", " lead", "trail ", "two  spaces", "tab\there", "new\nline", "nb\u00a0sp"]
)
def test_unsettled_value_asks_for_the_plain_text_whole(value: str) -> None:
    plain = keyword_text(compile_email_body("<p>Dear {{a}}, {{b}}</p>"), slot)

    assert plain is not None
    assert plain.values({"a": value, "b": "fine"}) is None
    assert plain.values({"a": "Tan Ah Kow", "b": "fine"}) == {"t0": "Tan Ah Kow", "t1": "fine"}
