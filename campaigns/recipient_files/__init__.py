"""Reading an officer's recipient file (CSV or XLSX) into validated rows, without the database.

``inspect_recipient_file`` gives quick feedback at upload; ``read_recipient_rows`` streams every
row in chunks for the ingest task, which stores them. Any problem with the file as a whole is a
RecipientFileError whose message is written for the officer; a problem with one recipient is a
row with status "invalid" or "duplicate" and its reason.
"""

from __future__ import annotations

from .errors import MAX_CELL_CHARS, MAX_FILE_BYTES, RecipientFileError
from .reader import RecipientFileInfo, inspect_recipient_file, read_recipient_rows
from .rows import RecipientRow

__all__ = [
    "MAX_CELL_CHARS",
    "MAX_FILE_BYTES",
    "RecipientFileError",
    "RecipientFileInfo",
    "RecipientRow",
    "inspect_recipient_file",
    "read_recipient_rows",
]
