"""Telegram messages: the HTML subset Telegram parses, `{{keyword}}` filled in, ≤ 4,096 characters.

At save, `sanitise_template` checks keywords against what the officer wrote (the same errors and
positions as email and SMS, from campaigns.templating) and reduces the HTML to Telegram's subset:
b, i, u, s, code, pre and links to http(s) or tg: addresses. Per message, `render_message` fills in
each value HTML-escaped and sanitises the result again, so a value can neither add a tag nor give
a link another scheme (`href="{{x}}javascript:…"` with an empty x loses its href, then its tag).
That second pass costs tens of microseconds; at Telegram's 30 messages a second it is nothing.
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser

import nh3

from campaigns.templating import RECIPIENT, CompiledTemplate, compile_template

MAX_CHARACTERS = 4096  # Telegram's limit for a message's text, after its HTML is parsed

_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a"}
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes={"a": {"href"}},
    url_schemes={"http", "https", "tg"},
    url_relative="deny",
    link_rel=None,  # Telegram refuses attributes it does not know
    strip_comments=True,
)
_KEYWORD = re.compile(r"\{\{[ \t]*([A-Za-z0-9_]+)[ \t]*\}\}")
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH_END = re.compile(r"</p\s*>", re.IGNORECASE)
_BARE_LINK = re.compile(r"<a>(.*?)</a>", re.DOTALL)


def _clean(html: str) -> str:
    # Telegram knows only &lt; &gt; &amp; &quot; among named entities; html5ever writes &nbsp;.
    cleaned = _CLEANER.clean(html).replace("&nbsp;", "&#160;")
    # A link whose address was refused keeps its text and loses the tag: Telegram wants an href.
    return _BARE_LINK.sub(r"\1", cleaned)


def sanitise_template(text: str) -> str:
    """The officer's template reduced to Telegram's HTML, keyword tokens kept as written.

    Raises campaigns.templating.TemplateError naming each bad keyword and where it is.
    """
    compile_template(text)
    text = _PARAGRAPH_END.sub("\n\n", _LINE_BREAK.sub("\n", text.replace("\r\n", "\n")))
    # Tokens become https placeholders while nh3 runs: `href="{{link}}"` would be dropped as a
    # relative address. The nonce keeps an officer's own text from posing as a placeholder.
    prefix = f"https://k{secrets.token_hex(8)}.invalid/"
    tokens = [match[0] for match in _KEYWORD.finditer(text)]
    numbers = iter(range(len(tokens)))
    shielded = _KEYWORD.sub(lambda _: f"{prefix}{next(numbers)}/", text)
    cleaned = _clean(shielded)
    restored = re.sub(re.escape(prefix) + r"(\d+)/", lambda m: tokens[int(m[1])], cleaned)
    return restored.strip()


@dataclass(frozen=True)
class TelegramLayout:
    body: CompiledTemplate
    fixed_length: int  # characters of the template without any keyword filled in


def compile_layout(sanitised: str) -> TelegramLayout:
    body = compile_template(sanitised)
    return TelegramLayout(body=body, fixed_length=visible_length(body.render({})))


@functools.lru_cache(maxsize=64)
def cached_layout(campaign_id: int, template_version: int, sanitised: str) -> TelegramLayout:
    """Compiled once per campaign and template version in each worker process."""
    return compile_layout(sanitised)


def render_message(layout: TelegramLayout, *, recipient: str, params: dict[str, str]) -> str:
    escaped = {name: escape(value) for name, value in params.items()}
    escaped[RECIPIENT] = escape(recipient)
    return _clean(layout.body.render(escaped))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.length = 0

    def handle_data(self, data: str) -> None:
        # Telegram counts UTF-16 code units: an emoji outside the BMP is two.
        self.length += len(data.encode("utf-16-le")) // 2


def visible_length(html: str) -> int:
    """Characters Telegram counts against its limit: the text once tags and entities are parsed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.length


def too_long_reason(characters: int) -> str:
    return f"Message is {characters:,} characters after personalisation; Telegram's limit is 4,096."


def length_problem(html: str) -> str:
    """The reason a rendered message cannot be sent, or "" when it fits."""
    characters = visible_length(html)
    return too_long_reason(characters) if characters > MAX_CHARACTERS else ""
