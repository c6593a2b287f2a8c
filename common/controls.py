"""Control characters: refused where text becomes an email header, removed from recipients' values.

A CR or LF in a header value starts a new header (or the body); BEL, ESC and the rest have no
business in a name or an address and some mail and terminal software acts on them. Unicode's line
and paragraph separators count too: Python's str.splitlines() treats them as line ends.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# In a recipient's value, tabs and line breaks can be meant (a multi-line address for an SMS body).
_CONTROL_BUT_SPACING = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def first_control(text: str) -> str:
    """The first control character in `text` as "U+000A", or "" when there is none."""
    match = _CONTROL.search(text)
    return f"U+{ord(match[0]):04X}" if match else ""


def first_hidden_control(text: str) -> str:
    """Like first_control, but tabs and line breaks do not count."""
    match = _CONTROL_BUT_SPACING.search(text)
    return f"U+{ord(match[0]):04X}" if match else ""


def without_controls(text: str) -> str:
    """`text` with control characters removed, except tabs and line breaks (CR LF and CR → LF)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_BUT_SPACING.sub("", text)
