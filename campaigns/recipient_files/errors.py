"""The one error a recipient file can raise, and the limits that trigger it."""

from __future__ import annotations

MAX_FILE_BYTES = 200 * 1024 * 1024
# Long enough for any real name, address or note; far past it, a cell is a pasted document or a
# quote that was never closed, and it would bloat every message rendered from it.
MAX_CELL_CHARS = 10_000
# One CSV row may span lines inside quotes; past this the reader stops instead of growing a row
# without bound in memory.
MAX_ROW_BYTES = 4 * 1024 * 1024


class RecipientFileError(ValueError):
    """A file that cannot be used as a recipient list; ``message`` is shown to the officer as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
