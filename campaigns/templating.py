"""Postman's `{{keyword}}` templates: parse once at save, render cheaply per message.

A template is compiled into literal text and `Keyword` parts; rendering only walks those parts, so
the hot path never re-parses. A channel whose messages are HTML records where each keyword sits
(`Slot`) and passes its own `fill` to escape a recipient's value for that exact position
(channels_email.templating does, for email bodies).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from string import Template

RECIPIENT = "recipient"

# Filled in with string.Template, whose $names leave the literal {{ }} in the text alone.
_MESSAGES = {
    "invalid": 'Invalid keyword "$token" at $where: keywords may contain only letters, numbers'
    " and underscores.",
    "empty": 'Empty keyword "$token" at $where.',
    "unclosed": 'Unclosed "$token" at $where: add "}}" to close the keyword.',
    "logic": '"$token" at $where: sections and other template logic are not supported; use {{keyword}} only.',
    "tag": 'Template tag "$token" at $where: template tags are not supported; use {{keyword}} only.',
    "braces": 'Too many braces in "$token" at $where: write keywords with exactly two braces,'
    " like {{keyword}}.",
    "nested": 'Nested keyword "$token" at $where: a keyword cannot contain another keyword.',
}
_OPENING = re.compile(r"\{\{|\{%")
_BRACE_PAIR = re.compile(r"\{\{|\}\}")
_NAME = re.compile(r"[A-Za-z0-9_]+")
KEYWORD_TOKEN = re.compile(r"\{\{[ \t]*([A-Za-z0-9_]+)[ \t]*\}\}")
# First characters of Mustache/Handlebars logic: sections, inverts, closers, partials,
# comments, unescaped output and delimiter changes.
_LOGIC_MARKS = "#^/>!&="


@dataclass(frozen=True)
class TemplateProblem:
    message: str
    token: str
    line: int  # 1-based
    column: int  # 1-based, in characters
    offset: int  # 0-based index into the template text, for highlighting in the editor


class TemplateError(ValueError):
    def __init__(self, problems: list[TemplateProblem]) -> None:
        super().__init__("\n".join(problem.message for problem in problems))
        self.problems = problems


class Slot(StrEnum):
    TEXT = "text"  # element content: escaped; *_url / *_link values become links
    LINK_TEXT = "link_text"  # content of an <a>: escaped only, since links cannot nest
    ATTRIBUTE = "attribute"  # plain attribute, or a URL whose scheme the officer already wrote
    URL = "url"  # starts an href/src, so the value decides the scheme and must be checked
    URL_PART = "url_part"  # later in an href/src that a keyword started


@dataclass(frozen=True, slots=True)
class Keyword:
    name: str
    slot: Slot = Slot.TEXT
    attribute: str = ""  # the attribute the keyword sits in, "" in element content

    @property
    def in_attribute(self) -> bool:
        return bool(self.attribute)


Fill = Callable[[Keyword, str], str]


@dataclass(frozen=True)
class CompiledTemplate:
    parts: tuple[str | Keyword, ...]
    keywords: frozenset[str]

    def render(self, values: Mapping[str, str], *, fill: Fill | None = None) -> str:
        """Fill in `values` (keyed by lower-case keyword); a missing value renders as "".

        `fill` turns a keyword's value into text at its place; by default the value as it is.
        """
        fill = fill or _plain_value
        # A list, not a generator, into join: this runs once per message, millions of times.
        return "".join(
            [
                part if isinstance(part, str) else fill(part, values.get(part.name) or "")
                for part in self.parts
            ]
        )


def compile_template(text: str) -> CompiledTemplate:
    """Split `text` into literals and keywords; raise TemplateError listing every problem."""
    parts: list[str | Keyword] = []
    problems: list[TemplateProblem] = []
    pos = 0
    while match := _OPENING.search(text, pos):
        start = match.start()
        end, name, problem = _read_token(text, start)
        add_literal(parts, text[pos:start])
        if problem:
            problems.append(problem_at(text, start, end, problem))
        else:
            parts.append(Keyword(name))
        pos = end
    if problems:
        raise TemplateError(problems)
    add_literal(parts, text[pos:])
    return compiled_from(parts)


def _read_token(text: str, start: int) -> tuple[int, str, str]:
    """Read the token at `start`; return (end, keyword name, problem kind), one of them empty."""
    # A keyword never spans lines, so one forgotten "}}" cannot swallow the rest of the message.
    line_end = text.find("\n", start) % (len(text) + 1)  # -1 (last line) becomes len(text)
    if text.startswith("{%", start):
        close = text.find("%}", start, line_end)
        return (close + 2 if close != -1 else start + 2), "", "tag"
    close = text.find("}}", start + 2, line_end)
    if text.startswith("{{{", start):
        return (_run_end(text, close) if close != -1 else _run_end(text, start)), "", "braces"
    if text.find("{{", start + 2, close if close != -1 else line_end) != -1:
        return _read_nested(text, start, line_end)
    if close == -1:
        return start + 2, "", "unclosed"
    if text.startswith("}}}", close):
        return _run_end(text, close), "", "braces"
    body = text[start + 2 : close].strip(" \t")
    if not body:
        return close + 2, "", "empty"
    if body[0] in _LOGIC_MARKS:
        return close + 2, "", "logic"
    if not _NAME.fullmatch(body):
        return close + 2, "", "invalid"
    return close + 2, body.lower(), ""


def _read_nested(text: str, start: int, line_end: int) -> tuple[int, str, str]:
    """`{{ {{x}} }}` is one nested token; if the braces never balance, the first `{{` is unclosed
    and scanning resumes right after it, so `Hi {{name and {{email}}` still finds `email`."""
    depth = 0
    for match in _BRACE_PAIR.finditer(text, start, line_end):
        depth += 1 if match.group() == "{{" else -1
        if depth == 0:
            return match.end(), "", "nested"
    return start + 2, "", "unclosed"


def _run_end(text: str, pos: int) -> int:
    """End of the run of identical braces starting at `pos`."""
    return len(text) - len(text[pos:].lstrip(text[pos]))


def problem_at(text: str, start: int, end: int, kind: str) -> TemplateProblem:
    """The problem of kind `kind` (a key of the messages here, or a message with $token and $where)."""
    line = text.count("\n", 0, start) + 1
    column = start - text.rfind("\n", 0, start)
    token = text[start:end]
    message = Template(_MESSAGES.get(kind, kind)).substitute(
        token=token, where=f"line {line}, column {column}"
    )
    return TemplateProblem(message, token, line, column, start)


def add_literal(parts: list[str | Keyword], text: str) -> None:
    if not text:
        return
    if parts and isinstance(parts[-1], str):
        parts[-1] += text
    else:
        parts.append(text)


def compiled_from(parts: list[str | Keyword]) -> CompiledTemplate:
    return CompiledTemplate(tuple(parts), frozenset(p.name for p in parts if isinstance(p, Keyword)))


def _plain_value(keyword: Keyword, value: str) -> str:
    return value
