"""Email bodies: the HTML allow-list, Markdown, and where each keyword sits in the HTML.

Email bodies are sanitised once, at compile time, with an nh3 allow-list; each keyword also
records where it sits in the sanitised HTML (`Slot`) so rendering (`html_value`, passed as the
template's `fill`) can escape a recipient's value for that exact position.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from html import escape

import markdown
import nh3

from campaigns.templating import (
    KEYWORD_TOKEN,
    CompiledTemplate,
    Keyword,
    Slot,
    TemplateError,
    add_literal,
    compile_template,
    compiled_from,
    problem_at,
)

_SCHEME = (
    'Keyword "$token" at $where starts a link, so the text after it in that link cannot'
    ' contain ":". Put the whole address in the keyword\'s column, or write the start of the link'
    " (such as https://) before the keyword."
)
_LINKED_SUFFIXES = ("_url", "_link")
_WEB_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
_LINK_URL = re.compile(r"(?:https?://|mailto:)[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
_IMAGE_URL = re.compile(r"https://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)


def html_value(keyword: Keyword, value: str) -> str:
    slot = keyword.slot
    if slot is Slot.URL:
        pattern = _IMAGE_URL if keyword.attribute == "src" else _LINK_URL
        return escape(_checked_url(value, pattern))
    if slot is Slot.URL_PART:
        # With no ":" the value cannot supply a scheme of its own, even if the keyword
        # before it rendered empty.
        return escape(value.replace(":", "%3A"))
    if slot is Slot.TEXT and keyword.name.endswith(_LINKED_SUFFIXES):
        url = escape(_checked_url(value, _WEB_URL))
        if url:
            return f'<a href="{url}" rel="noopener noreferrer">{url}</a>'
    return escape(value)


def _checked_url(value: str, pattern: re.Pattern[str]) -> str:
    # Whitespace and control characters are refused outright: browsers drop them inside URLs,
    # which is how "java\tscript:" slips past naive scheme checks.
    value = value.strip()
    return value if pattern.fullmatch(value) else ""


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # nh3 has one scheme list for href and src; images must be https as well, so opening an
    # email never makes a plain-http request (mixed content, trackable on the wire).
    if tag == "img" and attribute == "src" and not value.lower().startswith("https:"):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags={"p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "b", "em", "i", "u"}
    | {"a", "img", "table", "thead", "tbody", "tr", "th", "td", "blockquote", "hr", "span", "div"},
    clean_content_tags={"script", "style"},  # their text is code, not content
    attributes={"a": {"href"}, "img": {"src", "alt", "width", "height"}}
    | {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}},
    attribute_filter=_keep_attribute,
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",  # a relative link means nothing in someone's inbox
    link_rel="noopener noreferrer",
    strip_comments=True,
)


@dataclass(frozen=True)
class _Shield:
    """Keyword tokens swapped for https placeholders while nh3 or Markdown run: nh3 drops
    `href="{{ form_link }}"` as a relative URL, a placeholder passes. The nonce is unguessable."""

    text: str
    marker: re.Pattern[str]
    tokens: tuple[str, ...]  # as the officer wrote them
    names: tuple[str, ...]  # the same, normalised
    offsets: tuple[int, ...]  # where each token starts in the officer's text

    def restore(self, html: str) -> str:
        return self.marker.sub(lambda match: self.tokens[int(match[1])], html)


def _shield(text: str) -> _Shield:
    prefix = f"https://k{secrets.token_hex(8)}.invalid/"
    matches = list(KEYWORD_TOKEN.finditer(text))
    numbers = iter(range(len(matches)))
    shielded = KEYWORD_TOKEN.sub(lambda _: f"{prefix}{next(numbers)}/", text)
    marker = re.compile(re.escape(prefix) + r"(\d+)/")
    return _Shield(
        shielded,
        marker,
        tuple(m[0] for m in matches),
        tuple(m[1].lower() for m in matches),
        tuple(m.start() for m in matches),
    )


def sanitize_email_html(html: str) -> str:
    """Reduce HTML to the email allow-list, keeping `{{keyword}}` tokens as written."""
    shield = _shield(html)
    return shield.restore(_CLEANER.clean(shield.text))


_MARKDOWN = ["tables", "sane_lists"]


def markdown_to_html(text: str) -> str:
    """Markdown to sanitised HTML; keyword tokens pass through untouched by either step."""
    shield = _shield(text)
    html = markdown.markdown(shield.text, extensions=_MARKDOWN)
    return shield.restore(_CLEANER.clean(html))


def check_link_schemes(body: str, *, is_markdown: bool) -> None:
    """Refuse a link that a keyword starts and whose own text goes on with a ":".

    With the keyword's value refused or empty, `href="{{x}}javascript:alert(1)"` would leave the
    officer's text to supply the scheme. Positions are in `body` as the officer wrote it.
    """
    shield = _shield(body)
    text = markdown.markdown(shield.text, extensions=_MARKDOWN) if is_markdown else shield.text
    html = _CLEANER.clean(text)
    problems = []
    for match in shield.marker.finditer(html):
        slot, _ = _slot_at(html, match.start(), shield)
        if slot is Slot.URL and ":" in shield.marker.sub("", _rest_of_attribute(html, match.end())):
            index = int(match[1])
            start = shield.offsets[index]
            problems.append(problem_at(body, start, start + len(shield.tokens[index]), _SCHEME))
    if problems:
        raise TemplateError(problems)


def _rest_of_attribute(html: str, pos: int) -> str:
    """The text from `pos`, inside an attribute value, up to its closing quote."""
    end = html.find('"', pos)
    return html[pos:] if end == -1 else html[pos:end]


def compile_email_body(html: str) -> CompiledTemplate:
    """Validate keywords against the officer's own text, sanitise once, then split into parts."""
    compile_template(html)  # raises with positions in what the officer wrote, not nh3's output
    shield = _shield(html)
    return compiled_from(_split_sanitised(_CLEANER.clean(shield.text), shield))


def _split_sanitised(html: str, shield: _Shield) -> list[str | Keyword]:
    parts: list[str | Keyword] = []
    pos, in_link = 0, False
    for match in shield.marker.finditer(html):
        add_literal(parts, _after_keyword(html[pos : match.start()], in_link=in_link))
        slot, attribute = _slot_at(html, match.start(), shield)
        parts.append(Keyword(shield.names[int(match[1])], slot, attribute))
        in_link = slot in (Slot.URL, Slot.URL_PART)
        pos = match.end()
    add_literal(parts, _after_keyword(html[pos:], in_link=in_link))
    return parts


def _after_keyword(literal: str, *, in_link: bool) -> str:
    """Literal text after a keyword that started a link: up to the attribute's closing quote, its
    ":" is escaped as the keyword's values are, so no empty or refused value lets this text supply
    the scheme. check_link_schemes refuses such templates at save; this covers any saved before."""
    if not in_link:
        return literal
    end = literal.find('"')
    inside, rest = (literal, "") if end == -1 else (literal[:end], literal[end:])
    return inside.replace(":", "%3A") + rest


_OPEN_ATTRIBUTE = re.compile(r'([A-Za-z-]+)="([^"]*)\Z')
_URL_ATTRIBUTES = frozenset({"href", "src"})


def _slot_at(html: str, pos: int, shield: _Shield) -> tuple[Slot, str]:
    """Where the placeholder at `pos` sits: nh3 escapes every "<" and ">" in text and attribute
    values, so the nearest raw "<" / ">" before it tell whether it is inside a tag."""
    opening = html.rfind("<", 0, pos)
    if opening <= html.rfind(">", 0, pos):
        in_link = html.rfind("<a ", 0, pos) > html.rfind("</a>", 0, pos)
        return (Slot.LINK_TEXT if in_link else Slot.TEXT), ""
    attribute = _OPEN_ATTRIBUTE.search(html, opening, pos)
    if attribute is None:  # not in a value: nh3 would have dropped it as an attribute name
        return Slot.ATTRIBUTE, ""
    name, before = attribute[1].lower(), attribute[2]
    earlier = shield.marker.search(before)
    # nh3 has checked any scheme the officer wrote ahead of the first keyword; with none,
    # the first keyword's value supplies the scheme and must itself be a checked URL.
    if name in _URL_ATTRIBUTES and ":" not in before[: earlier.start() if earlier else len(before)]:
        return (Slot.URL if earlier is None else Slot.URL_PART), name
    return Slot.ATTRIBUTE, name
