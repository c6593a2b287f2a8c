"""What a file is, judged by its bytes (never by its name), and whether it is safe to open."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Literal

from common import zips

from .errors import MAX_FILE_BYTES, RecipientFileError

FileKind = Literal["csv", "xlsx"]

NOT_A_TABLE = "This is not a CSV or Excel file."
DAMAGED_WORKBOOK = (
    "The Excel file is damaged and cannot be read. Open it in Excel, save it again and upload it again."
)
SAVE_AS_UTF8 = 'Save it as "CSV UTF-8" and upload again.'

# Real workbooks decompress 5-20 to 1; a zip bomb decompresses thousands to 1. Checking the sizes
# the zip declares is enough because zipfile never inflates a member past its declared size.
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_COMPRESSION_RATIO = zips.MAX_RATIO
# Parsing a zip's directory costs memory per member; a workbook has a few dozen.
MAX_ZIP_MEMBERS = zips.MAX_MEMBERS
# The reader holds the shared strings and the first sheet in memory. A 1,000,000-row list of
# addresses and a few other columns has ~100 MB of shared strings and a ~300 MB sheet; far past
# that a workbook is padding (the 100 MB of shared strings that once took minutes to read).
MAX_SHARED_STRINGS_BYTES = 256 * 1024 * 1024
MAX_SHEET_BYTES = 512 * 1024 * 1024
MAX_ROWS_TEXT = "1,000,000 recipients"
_SIZE_REFUSALS = {
    "size": "The Excel file would expand to more than 1 GB, so it cannot be read safely.",
    "ratio": "The Excel file is compressed far more than spreadsheets are (a zip bomb?), "
    "so it cannot be read safely.",
}

_HEAD_BYTES = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BINARY_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF-",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
)
# Bytes that text never has (tab, line feed and carriage return excepted).
_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32)])


def detect_kind(path: Path) -> tuple[FileKind, int]:
    """Return the file's kind and size, or refuse it before anything reads it in full."""
    size = path.stat().st_size
    if size == 0:
        raise RecipientFileError("The file is empty.")
    if size > MAX_FILE_BYTES:
        raise RecipientFileError(f"The file is {math.ceil(size / 1024**2)} MB; files can be at most 200 MB.")
    with path.open("rb") as file:
        head = file.read(_HEAD_BYTES)
    if head.startswith(_ZIP_MAGIC):
        check_workbook_zip(path, size)
        return "xlsx", size
    _refuse_non_text(head)
    return "csv", size


def _refuse_non_text(head: bytes) -> None:
    if head.startswith(_OLE_MAGIC):
        raise RecipientFileError(
            "This is an old-format (.xls) or password-protected Excel file. Save it as .xlsx without "
            'a password, or as "CSV UTF-8", and upload again.'
        )
    # Known binary signatures first: an image or PDF full of zero bytes can look like UTF-16.
    if head.startswith(_BINARY_MAGIC):
        raise RecipientFileError(NOT_A_TABLE)
    if head.startswith(_UTF16_BOMS) or _looks_utf16(head):
        raise RecipientFileError(f"The file is UTF-16 text. {SAVE_AS_UTF8}")
    controls = sum(head.count(byte) for byte in _CONTROL_BYTES)
    # A few stray control bytes are a damaged CSV (reported with their row later); many are binary.
    if controls * 20 > len(head):
        raise RecipientFileError(NOT_A_TABLE)
    # Excel for Mac's "CSV (Macintosh)" ends lines with CR alone, which reads as one endless row.
    if b"\r" in head and b"\n" not in head:
        raise RecipientFileError(f"The file has old Mac line ends (CR only). {SAVE_AS_UTF8}")


def _looks_utf16(head: bytes) -> bool:
    # UTF-16 without a byte-order mark: ASCII text has a NUL in every other byte.
    half = len(head) // 2
    return half >= 2 and max(head[0::2].count(0), head[1::2].count(0)) * 10 > half * 9


def check_workbook_zip(path: Path, size: int) -> None:
    """Refuse a zip that is not a workbook, is damaged, or would expand dangerously.

    Only the sizes the zip declares are read here; zipfile and calamine never inflate a member
    past its declared size, and nothing is inflated before these checks pass.
    """
    with path.open("rb") as file:
        try:
            with zips.open_archive(file, max_members=MAX_ZIP_MEMBERS) as archive:
                members = archive.infolist()
        except zips.ZipRefused as refused:
            if refused.kind == "members":
                raise RecipientFileError("The Excel file has too many parts to be a spreadsheet.") from None
            raise RecipientFileError(DAMAGED_WORKBOOK) from None
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise RecipientFileError(NOT_A_TABLE)
    try:
        zips.check_sizes(members, max_total=MAX_UNCOMPRESSED_BYTES, max_ratio=MAX_COMPRESSION_RATIO)
    except zips.ZipRefused as refused:
        raise RecipientFileError(_SIZE_REFUSALS.get(refused.kind, DAMAGED_WORKBOOK)) from None
    for member in members:
        _check_part_size(member)


def _check_part_size(member: zipfile.ZipInfo) -> None:
    if member.filename == "xl/sharedStrings.xml" and member.file_size > MAX_SHARED_STRINGS_BYTES:
        raise RecipientFileError(
            f"The Excel file holds more than {MAX_SHARED_STRINGS_BYTES // 1024**2} MB of text, far more "
            f"than {MAX_ROWS_TEXT} need. Save it as CSV UTF-8 and upload that."
        )
    if member.filename.startswith("xl/worksheets/") and member.file_size > MAX_SHEET_BYTES:
        raise RecipientFileError(
            f"A sheet of the Excel file is larger than {MAX_SHEET_BYTES // 1024**2} MB unpacked, far more "
            f"than {MAX_ROWS_TEXT} need. Save it as CSV UTF-8 and upload that."
        )
