"""The plain-text part of an email, from its rendered (sanitised) HTML body."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "hr"})
_SPACES = re.compile(r"\s+")


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._gap = ""  # line break owed before the next text, so trailing breaks never pile up
        self._lists: list[int] = []  # next number of each open <ol>, -1 for a <ul>
        self._link: tuple[str, int] | None = None  # href, and where its text starts in chunks
        self._marker = False  # a list item's marker was the last thing written

    def _block_gap(self) -> str:
        # Inside a list, a paragraph is one line of its item (the editor wraps each item's text in
        # <p>): "- your IC", not "-" and the text two lines below.
        return "\n" if self._lists else "\n\n"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in _BLOCK_TAGS and not self._marker:
            self._break(self._block_gap())
        if tag in ("ul", "ol"):
            self._break("\n" if self._lists else "\n\n")
            self._lists.append(1 if tag == "ol" else -1)
        elif tag == "li" and self._lists:
            self._break("\n")
            number, indent = self._lists[-1], "  " * (len(self._lists) - 1)
            if number > 0:
                self._lists[-1] += 1
            self._emit(f"{indent}{number}. " if number > 0 else f"{indent}- ")
            self._marker = True
        elif tag == "br":
            self._emit("\n")
        elif tag == "hr":
            self._emit("---")
            self._break("\n\n")
        elif tag == "tr":
            self._break("\n")
        elif tag in ("td", "th"):
            self.handle_data(" ")  # cells side by side; dropped at the start of a row
        elif tag == "img":
            self.handle_data(attributes.get("alt") or "")
        elif tag == "a":
            self._link = (attributes.get("href") or "", len(self.chunks))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
            self._break("\n" if self._lists else "\n\n")
        elif tag in _BLOCK_TAGS:
            self._break(self._block_gap())
        elif tag == "a" and self._link:
            self._end_link(*self._link)
            self._link = None

    def handle_data(self, data: str) -> None:
        text = _SPACES.sub(" ", data)
        if self._gap or not self.chunks or self.chunks[-1][-1:] in ("\n", " "):
            text = text.lstrip()
        if text:
            self._emit(text)

    def _end_link(self, href: str, start: int) -> None:
        text = "".join(self.chunks[start:]).strip()
        shown = href.removeprefix("mailto:")
        if shown and shown != text:
            self._emit(f" ({shown})" if text else shown)

    def _break(self, gap: str) -> None:
        if self.chunks and len(gap) > len(self._gap):
            self._gap = gap

    def _emit(self, text: str) -> None:
        self._marker = False
        if self._gap:
            self.chunks.append(self._gap)
            self._gap = ""
        self.chunks.append(text)


def html_to_text(html: str) -> str:
    """Plain-text part of an email from its rendered (sanitised) HTML; links as "text (url)"."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    lines = (line.rstrip() for line in "".join(parser.chunks).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
