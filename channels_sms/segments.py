"""How many SMS segments a text takes, as carriers bill it.

A text that fits the GSM-7 alphabet is sent 7 bits a character: 160 characters in one SMS, 153 a
part once it is split (the rest of each part holds the joining header). The extension table's
characters (^{}[]~|€\\ and form feed) take an escape and count twice. Any other character sends
the whole text as UCS-2: 70 UTF-16 code units in one SMS, 67 a part; an emoji outside the Basic
Multilingual Plane takes two units. static/js/sms-counter.js applies the same rules as you type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
# Twilio refuses longer bodies; Postman checks each rendered message against it at upload.
MAX_CHARACTERS = 1600

_NOT_GSM7 = re.compile(f"[^{re.escape(GSM7_BASIC + GSM7_EXTENDED)}]")

Encoding = Literal["GSM-7", "UCS-2"]
_SIZES: dict[str, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True)
class SegmentCount:
    characters: int
    encoding: Encoding
    units: int  # GSM-7 septets or UCS-2 (UTF-16) code units
    segments: int
    per_segment: int  # what one segment holds for a text this long: 160, 153, 70 or 67


def count_segments(text: str) -> SegmentCount:
    encoding: Encoding
    if _NOT_GSM7.search(text) is None:
        # str.count runs in C; a Python loop over every character of a million messages would not.
        encoding, units = "GSM-7", len(text) + sum(map(text.count, GSM7_EXTENDED))
    else:
        encoding, units = "UCS-2", len(text.encode("utf-16-le")) // 2
    single, part = _SIZES[encoding]
    if units <= single:
        return SegmentCount(len(text), encoding, units, 1 if units else 0, single)
    return SegmentCount(len(text), encoding, units, -(-units // part), part)
