"""Rows of the first sheet of an Excel workbook, read by calamine (Rust: linear time, no regex).

Cells become the text of their value, not of their display format: 91234567 stored as a number is
"91234567" (no ".0"), a date is "2024-01-31", TRUE is "TRUE". Formulas give the value Excel saved
with them; merged cells have their value in the top-left cell only.

calamine holds the whole sheet in memory while its rows are read. That is bounded twice: detect
refuses parts whose declared size is past what a 1,000,000-row list needs, and the ingest task
reads the file in a child process with a memory and time limit.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Generator, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import python_calamine

from common import zips

from .detect import DAMAGED_WORKBOOK
from .errors import RecipientFileError
from .formulas import first_formula_without_value
from .records import Record

# Integers this large print exactly from a float; past it Excel itself shows rounded digits.
_EXACT_FLOAT_INTEGER = 1e15
# workbook.xml and its relationships name the sheets; real ones are a few kilobytes.
_MAX_INDEX_PART_BYTES = 4 * 1024 * 1024
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def xlsx_records(path: Path, notes: list[str] | None = None) -> Generator[Record]:
    """Yield (row number, cells) for every row of the first worksheet, the header being row 1.

    When ``notes`` is given, what the officer should know about the workbook is appended to it
    as soon as the workbook is open (before the first row).
    """
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception:
        raise RecipientFileError(DAMAGED_WORKBOOK) from None
    with workbook:
        if not workbook.sheets_metadata:
            # Excel cannot save a workbook without a sheet; calamine reads a garbled index as none.
            raise RecipientFileError(DAMAGED_WORKBOOK)
        names = [
            sheet.name
            for sheet in workbook.sheets_metadata
            if sheet.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        if not names:
            raise RecipientFileError("The Excel file has no sheet with cells.")
        try:
            sheet = workbook.get_sheet_by_name(names[0])
        except Exception:
            raise RecipientFileError(DAMAGED_WORKBOOK) from None
        if notes is not None:
            notes.extend(_workbook_notes(path, names))
        yield from _sheet_records(sheet)


def _sheet_records(sheet: Any) -> Iterator[Record]:
    # Rows come from the sheet's first row; columns from its first used column, so pad those back.
    start = sheet.start
    padding = [""] * (start[1] if start else 0)
    try:
        for row, values in enumerate(sheet.iter_rows(), start=1):
            yield row, padding + [value if type(value) is str else cell_text(value) for value in values]
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


def _workbook_notes(path: Path, names: list[str]) -> list[str]:
    notes = []
    if len(names) > 1:
        notes.append(f'The workbook has {len(names)} sheets; only the first, "{names[0]}", was read.')
    cell = _formula_without_value(path, names[0])
    if cell:
        notes.append(
            f"Some formulas (the first in cell {cell}) have no saved value, so they are read as empty. "
            "Open the file in Excel and save it again to keep their values."
        )
    return notes


def _formula_without_value(path: Path, sheet_name: str) -> str | None:
    """The first formula cell of the sheet without a saved value; None if there is none or unknown."""
    try:
        with path.open("rb") as file, zips.open_archive(file) as archive:
            member = _sheet_part(archive, sheet_name)
            if member is None:
                return None
            with archive.open(member) as xml:
                return first_formula_without_value(xml)
    except (zips.ZipRefused, KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The zip member holding a sheet, from workbook.xml and its relationships."""
    workbook = _small_xml(archive, "xl/workbook.xml")
    rels = _small_xml(archive, "xl/_rels/workbook.xml.rels")
    if workbook is None or rels is None:
        return None
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels if rel.tag.endswith("Relationship")}
    for sheet in workbook.iter():
        if sheet.tag.endswith("}sheet") and sheet.get("name") == sheet_name:
            target = targets.get(sheet.get(_RELATIONSHIP), "")
            if not target:
                return None
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            return str(PurePosixPath(member))
    return None


def _small_xml(archive: zipfile.ZipFile, member: str) -> ET.Element | None:
    try:
        info = archive.getinfo(member)
    except KeyError:
        return None
    if info.file_size > _MAX_INDEX_PART_BYTES:
        return None
    try:
        return ET.fromstring(archive.read(info))  # noqa: S314  # expat refuses entity amplification
    except ET.ParseError:
        return None
