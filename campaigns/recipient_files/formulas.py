"""Finding the first formula cell saved without its value, in one linear pass over a sheet's XML.

openpyxl and other generators write formulas without computing them, and such a cell reads as
empty, so the officer should hear of it. The sheet is untrusted XML: every search below starts
where the previous one of its kind stopped or looks a fixed distance, so no byte is scanned more
than a few times however the text is crafted (a backtracking regex over it was quadratic).
"""

from __future__ import annotations

import re
from typing import IO

_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,31}:)?f[\s/>]")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,31}:)?c\s")
_REF_VALUE = re.compile(rb'([A-Z]{1,3}[0-9]{1,7})"')
# What follows a formula that has no saved value: nothing or an empty <v/>, then the cell's end.
# Excel writes <v></v> for a formula that gives "", which is a value.
_NO_VALUE = re.compile(
    rb"\s{0,64}(?:<(?:[A-Za-z_][\w.-]{0,31}:)?v\s{0,64}/>\s{0,64})?</(?:[A-Za-z_][\w.-]{0,31}:)?c>"
)

_CHUNK = 8 * 1024 * 1024
# A formula (Excel allows 8,192 characters, longer once XML-escaped) ends within this distance;
# a cell's start tag with its reference is shorter than _CELL_TAG.
_LOOKAHEAD = 128 * 1024
_CELL_TAG = 512


class _Next:
    """The next position of ``needle`` at or after a position that only moves forward."""

    def __init__(self, text: bytes, needle: bytes) -> None:
        self._text, self._needle = text, needle
        self._from, self._found = 0, -1

    def at_or_after(self, position: int) -> int:
        if not (self._from <= position <= self._found):
            found = self._text.find(self._needle, position)
            self._from, self._found = position, len(self._text) if found < 0 else found
        return self._found


class _Chunk:
    def __init__(self, text: bytes) -> None:
        self.text = text
        self._cells = _CELL.finditer(text)
        self._next_cell = next(self._cells, None)
        self._cell_start = -1
        self._refs: dict[int, str | None] = {}
        self._tag_end = _Next(text, b">")
        self._formula_end = _Next(text, b">")
        self._closing = _Next(text, b"</")

    def cell_without_value(self, start: int, end: int) -> str | None:
        """The reference of the cell whose formula tag spans [start, end), if it has no value."""
        while self._next_cell is not None and self._next_cell.start() < start:
            self._cell_start = self._next_cell.start()
            self._next_cell = next(self._cells, None)
        if self._cell_start < 0 or start - self._cell_start > _LOOKAHEAD:
            return None
        gt = self._formula_end.at_or_after(end - 1)
        if gt - start > _LOOKAHEAD:
            return None
        if self.text[gt - 1 : gt] != b"/":
            closing = self._closing.at_or_after(gt)
            gt = self.text.find(b">", closing, closing + 64)
            if closing - start > _LOOKAHEAD or gt < 0:
                return None
        if not _NO_VALUE.match(self.text, gt + 1):
            return None
        return self._reference(self._cell_start)

    def _reference(self, cell_start: int) -> str | None:
        if cell_start not in self._refs:
            window_end = min(cell_start + _CELL_TAG, self._tag_end.at_or_after(cell_start))
            position = self.text.find(b'r="', cell_start, window_end)
            while position > 0 and not self.text[position - 1 : position].isspace():
                position = self.text.find(b'r="', position + 1, window_end)
            found = _REF_VALUE.match(self.text, position + 3) if position > 0 else None
            self._refs[cell_start] = found[1].decode("ascii") if found else None
        return self._refs[cell_start]


def first_formula_without_value(xml: IO[bytes]) -> str | None:
    """Scan the sheet XML in chunks; chunks overlap so a cell cut at a boundary is seen whole."""
    carried, skip = b"", 0
    while True:
        data = xml.read(_CHUNK)
        text = carried + data
        limit = len(text) if not data else max(skip, len(text) - _LOOKAHEAD)
        chunk = _Chunk(text)
        for match in _FORMULA.finditer(text, skip, min(len(text), limit + 64)):
            if match.start() >= limit:
                break
            if cell := chunk.cell_without_value(match.start(), match.end()):
                return cell
        if not data:
            return None
        keep_from = max(0, limit - _LOOKAHEAD)
        carried, skip = text[keep_from:], limit - keep_from
