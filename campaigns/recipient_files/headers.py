"""The header row: column names as keywords see them, and the columns a campaign needs."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import RecipientFileError

RECIPIENT_COLUMN = "recipient"

# Excel and copy-paste from web pages leave these in header cells, where they are invisible to the
# officer but would make "name\u200b" a different column from "name".
_INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff")
_LOOKS_LIKE_PHONE = re.compile(r"\+?[\d\s().-]{7,}")


def normalise_header(cell: str) -> str:
    return cell.translate(_INVISIBLE).strip().lower()


def column_label(index: int) -> str:
    """Name a 0-based column as both Excel's letter and its position: 'C (column 3)'."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return f"{letters} (column {index + 1})"


def parse_header(cells: list[str], keywords: Iterable[str]) -> list[str]:
    """Return the normalised column names, refusing a header the campaign cannot use.

    Empty cells after the last named column are dropped (Excel exports them for formatted but
    unused columns); the rows must then be empty there too, which ``records`` checks.
    """
    names = [normalise_header(cell) for cell in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise RecipientFileError(
            'The first row is empty; it should hold the column names, such as "recipient".'
        )
    _check_recipient(names, cells)
    _check_names(names)
    _check_keywords(names, keywords)
    return names


def _check_names(names: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if not name:
            raise RecipientFileError(f"Column {column_label(index)} has no header.")
        if name in seen:
            raise RecipientFileError(f'The column "{name}" appears more than once in the header.')
        seen.add(name)


def _check_recipient(names: list[str], cells: list[str]) -> None:
    if RECIPIENT_COLUMN in names:
        return
    # A file saved without its header row starts with a recipient: say so, rather than asking
    # for a "recipient" column the officer believes is there.
    data = next((cell for cell in cells if "@" in cell or _LOOKS_LIKE_PHONE.fullmatch(cell)), None)
    if data is not None:
        raise RecipientFileError(
            'The first row should hold the column names, such as "recipient", '
            f'but it holds data ("{data.strip()}").'
        )
    raise RecipientFileError(f'The file needs a "{RECIPIENT_COLUMN}" column.')


def _check_keywords(names: list[str], keywords: Iterable[str]) -> None:
    wanted = dict.fromkeys(keyword.strip().lower() for keyword in keywords)
    missing = [f'"{keyword}"' for keyword in wanted if keyword not in names]
    if len(missing) == 1:
        raise RecipientFileError(f"The file is missing the column {missing[0]} that the template uses.")
    if missing:
        raise RecipientFileError(
            f"The file is missing the columns {', '.join(missing)} that the template uses."
        )
