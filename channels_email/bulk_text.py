"""The plain-text part of a bulk email, substituted keyword by keyword where that is exact.

The per-message path makes the plain text from the rendered HTML (campaigns.plain_text), which
folds runs of whitespace, trims lines and turns links into "text (url)": how a value comes out
can depend on its neighbours. A keyword's value comes out as itself when the keyword sits in
running text (not in a link, an attribute or an image's alt text) and the value is "settled":
not empty, no whitespace at either end, none inside but single spaces. Then the plain text is
the template's own text with each value in its place, the values taken as they are; a
recipient with an unsettled value gets the plain text rendered whole, as one value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from campaigns.plain_text import html_to_text
from campaigns.templating import CompiledTemplate, Keyword, Slot
from channels_email.templating import html_value

_LINKED_SUFFIXES = ("_url", "_link")  # linked in running text by campaigns.templating
_SENTINEL = re.compile("\ue000(\\d+)\ue001")
_OTHER_WHITESPACE = re.compile(r"[^\S ]")


@dataclass(frozen=True)
class KeywordText:
    """The body's plain text with `{{{tN}}}` where each keyword's value goes."""

    text: str
    names: tuple[tuple[str, str], ...]  # (substitution name, keyword)

    def values(self, values: Mapping[str, str]) -> dict[str, str] | None:
        """Each keyword's plain-text value, or None if one of them is not settled."""
        found = {}
        for slot, name in self.names:
            value = values.get(name) or ""
            if not value or value != value.strip() or "  " in value or _OTHER_WHITESPACE.search(value):
                return None
            found[slot] = value
        return found


def keyword_text(body: CompiledTemplate, slot: Callable[[str], str]) -> KeywordText | None:
    """The body's plain text as a substitution template, if every keyword sits in running text.

    Rendered once with a private-use sentinel as each value: a sentinel is settled, like the
    values it stands for, so it comes out of html_to_text exactly where and as they would.
    """
    for part in body.parts:
        if isinstance(part, str):
            if "\ue000" in part or "\ue001" in part:
                return None
        elif not _in_running_text(part):
            return None
    names = sorted(body.keywords)
    sentinels = {name: f"\ue000{index}\ue001" for index, name in enumerate(names)}
    text = _SENTINEL.sub(
        lambda match: slot(f"t{match[1]}"), html_to_text(body.render(sentinels, fill=html_value))
    )
    if "\ue000" in text or "\ue001" in text:
        return None
    return KeywordText(text, tuple((f"t{index}", name) for index, name in enumerate(names)))


def _in_running_text(keyword: Keyword) -> bool:
    return keyword.slot is Slot.TEXT and not keyword.name.endswith(_LINKED_SUFFIXES)
