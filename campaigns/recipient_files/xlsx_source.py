"""Rows of the first sheet of an Excel workbook, streamed with openpyxl's read-only mode.

Cells become the text of their value, not of their display format: 91234567 stored as a number is
"91234567" (no ".0"), a date is "2024-01-31", TRUE is "TRUE". Formulas give the value Excel saved
with them (``data_only``); merged cells have their value in the top-left cell only.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl

from .detect import DAMAGED_WORKBOOK
from .errors import RecipientFileError
from .records import Record

# Integers this large print exactly from a float; past it Excel itself shows rounded digits.
_EXACT_FLOAT_INTEGER = 1e15

# A formula cell whose saved value is missing: openpyxl and other generators write formulas
# without computing them. Excel writes <v></v> for a formula that gives "", which this leaves out.
_FORMULA_WITHOUT_VALUE = re.compile(
    rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]+[0-9]+)"[^>]*>\s*'
    rb"<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>\s*)?</(?:\w+:)?c>"
)
_SCAN_CHUNK = 8 * 1024 * 1024
_SCAN_OVERLAP = 64 * 1024


def xlsx_records(path: Path, notes: list[str] | None = None) -> Generator[Record]:
    """Yield (row number, cells) for every row of the first sheet, the header being row 1.

    When ``notes`` is given, what the officer should know about the workbook is appended to it
    as soon as the workbook is open (before the first row).
    """
    with path.open("rb") as file:
        workbook = _load(file)
        try:
            if not workbook.worksheets:
                raise RecipientFileError("The Excel file has no sheet with cells.")
            sheet = workbook.worksheets[0]
            if notes is not None:
                notes.extend(_workbook_notes(workbook, sheet, path))
            # The dimension a workbook declares may be wrong, and read-only mode would cut rows at it.
            sheet.reset_dimensions()
            yield from _sheet_records(sheet)
        finally:
            workbook.close()


def _load(file: BinaryIO) -> Any:
    # A file object, not the path: openpyxl refuses paths without an Excel extension, and stored
    # uploads may have none. Damaged parts surface as KeyError, ValueError, XML errors and more.
    try:
        return openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception:
        raise RecipientFileError(DAMAGED_WORKBOOK) from None


def _sheet_records(sheet: Any) -> Iterator[Record]:
    try:
        for row, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield row, [value if type(value) is str else cell_text(value) for value in values]
    except Exception:
        raise RecipientFileError(DAMAGED_WORKBOOK) from None


def cell_text(value: object) -> str:
    """The text of a cell value as the officer typed it, without Excel's display formatting."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < _EXACT_FLOAT_INTEGER else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _workbook_notes(workbook: Any, sheet: Any, path: Path) -> list[str]:
    notes = []
    if len(workbook.worksheets) > 1:
        notes.append(
            f'The workbook has {len(workbook.worksheets)} sheets; only the first, "{sheet.title}", was read.'
        )
    # openpyxl keeps the sheet's part name private; without it, skip the note rather than fail.
    member = getattr(sheet, "_worksheet_path", None)
    cell = _formula_without_value(path, member.lstrip("/")) if isinstance(member, str) else None
    if cell:
        notes.append(
            f"Some formulas (the first in cell {cell}) have no saved value, so they are read as empty. "
            "Open the file in Excel and save it again to keep their values."
        )
    return notes


def _formula_without_value(path: Path, member: str) -> str | None:
    """The first cell holding a formula without a saved value, scanning the sheet's XML."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as xml:
            tail = b""
            while chunk := xml.read(_SCAN_CHUNK):
                text = tail + chunk
                if found := _FORMULA_WITHOUT_VALUE.search(text):
                    return found[1].decode("ascii")
                tail = text[-_SCAN_OVERLAP:]
    except (KeyError, zipfile.BadZipFile, OSError):
        return None
    return None
