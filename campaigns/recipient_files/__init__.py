"""Reading an officer's recipient file (CSV or XLSX) into validated rows, without the database.

``open_recipient_file`` checks a file and streams its rows in chunks; the ingest task runs it in
a bounded child process (``bounded``), never in a web request. ``inspect_recipient_file`` and
``read_recipient_rows`` are the same checks and rows, apart. Any problem with the file as a whole is a
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
