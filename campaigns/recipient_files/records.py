"""Data rows shared by both formats: fitted to the header, blank rows skipped, limits enforced."""

from __future__ import annotations

from collections.abc import Iterator

from .errors import MAX_CELL_CHARS, RecipientFileError
from .headers import column_label

# A row number as Excel shows it (the header is row 1) and the row's cells as text.
Record = tuple[int, list[str]]

HEADER_ONLY = "The file has a header row but no recipients."


def data_records(records: Iterator[Record], headers: list[str], *, max_rows: int) -> Iterator[Record]:
    """Yield the non-blank data rows, each with exactly one cell per header.

    Blank rows (every cell empty) are skipped but keep their place in the numbering, so row
    numbers stay those Excel shows. Refuses the file past ``max_rows`` recipients without
    reading further, and at the end if it had none.
    """
    width = len(headers)
    recipients = blanks = 0
    for row, cells in records:
        if len(cells) != width:
            cells = _fit(row, cells, width)
        if not any(cells):
            blanks += 1
            # Bound the work a sheet of nothing but empty rows (or one far-off cell) can cause.
            if blanks > max_rows:
                raise RecipientFileError(f"The file has more than {max_rows:,} empty rows.")
            continue
        if max(map(len, cells)) > MAX_CELL_CHARS:
            _refuse_long_cell(row, cells, headers)
        recipients += 1
        if recipients > max_rows:
            raise RecipientFileError(f"The file has more than {max_rows:,} recipients.")
        yield row, cells
    if not recipients:
        raise RecipientFileError(HEADER_ONLY)


def _fit(row: int, cells: list[str], width: int) -> list[str]:
    # Short rows come from Excel (trailing empty cells are not stored) and from blank CSV lines;
    # long ones from columns whose header was empty and dropped.
    if len(cells) < width:
        return cells + [""] * (width - len(cells))
    for index in range(width, len(cells)):
        if cells[index]:
            raise RecipientFileError(
                f"Row {row} has a value in column {column_label(index)}, which has no header."
            )
    return cells[:width]


def _refuse_long_cell(row: int, cells: list[str], headers: list[str]) -> None:
    column = next(index for index, cell in enumerate(cells) if len(cell) > MAX_CELL_CHARS)
    raise RecipientFileError(
        f'Row {row}, column "{headers[column]}" is longer than {MAX_CELL_CHARS:,} characters.'
    )
