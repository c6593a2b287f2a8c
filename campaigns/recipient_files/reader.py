"""The two entry points: a quick look at an uploaded file, and the streamed read of all its rows."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from itertools import batched, islice
from pathlib import Path
from typing import Literal

from .csv_source import check_separator, csv_records, unragged
from .detect import FileKind, detect_kind
from .errors import RecipientFileError
from .headers import parse_header
from .records import Record, data_records
from .rows import Normalise, RecipientRow, recipient_rows
from .xlsx_source import xlsx_records

# Enough rows to catch the faults of a badly exported file (a header-only file, a wrong
# separator, bad bytes near the top) while the officer waits, without reading a big file twice.
INSPECT_ROWS = 1_000
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class RecipientFileInfo:
    kind: Literal["csv", "xlsx"]
    headers: list[str]
    notes: list[str]
    size_bytes: int


def inspect_recipient_file(path: Path, *, keywords: Iterable[str]) -> RecipientFileInfo:
    """Check a file up front: size, type (by content), encoding, header row and the first rows.

    Raises RecipientFileError naming the problem. Passing does not promise that the whole file
    reads cleanly: a fault further down is only found by read_recipient_rows.
    """
    kind, size = detect_kind(path)
    notes: list[str] = []
    raw = _raw_records(path, kind, notes)
    try:
        headers, records = _header_and_rows(raw, kind, keywords)
        for _ in islice(data_records(records, headers, max_rows=MAX_ROWS), INSPECT_ROWS):
            pass
    finally:
        raw.close()
    return RecipientFileInfo(kind=kind, headers=headers, notes=notes, size_bytes=size)


def read_recipient_rows(
    path: Path,
    *,
    normalise: Normalise,
    keywords: Iterable[str],
    chunk_rows: int = 20_000,
    max_rows: int = MAX_ROWS,
) -> Iterator[list[RecipientRow]]:
    """Yield the file's data rows in lists of at most ``chunk_rows``, streaming the file.

    Every check of inspect_recipient_file runs again on the first ``next()``. Faults further
    down (a ragged row, bytes that are not UTF-8, the row past ``max_rows``) raise
    RecipientFileError from the iterator after earlier chunks were yielded: the caller must
    treat everything it stored from those chunks as void (roll the transaction back).
    """
    _, chunks = open_recipient_file(
        path, normalise=normalise, keywords=keywords, chunk_rows=chunk_rows, max_rows=max_rows
    )
    yield from chunks


def open_recipient_file(
    path: Path,
    *,
    normalise: Normalise,
    keywords: Iterable[str],
    chunk_rows: int = 20_000,
    max_rows: int = MAX_ROWS,
) -> tuple[RecipientFileInfo, Iterator[list[RecipientRow]]]:
    """Check the file as inspect_recipient_file does, then stream its rows, in one pass.

    Raises RecipientFileError for a fault of the whole file (type, header, columns); the rows
    raise it for later faults, as read_recipient_rows describes.
    """
    kind, size = detect_kind(path)
    notes: list[str] = []
    raw = _raw_records(path, kind, notes)
    try:
        headers, records = _header_and_rows(raw, kind, keywords)
    except BaseException:
        raw.close()
        raise
    info = RecipientFileInfo(kind=kind, headers=headers, notes=notes, size_bytes=size)
    return info, _chunks(
        raw, recipient_rows(data_records(records, headers, max_rows=max_rows), headers, normalise), chunk_rows
    )


def _chunks(
    raw: Generator[Record], rows: Iterator[RecipientRow], chunk_rows: int
) -> Iterator[list[RecipientRow]]:
    try:
        for chunk in batched(rows, chunk_rows):
            yield list(chunk)
    finally:
        raw.close()


def _raw_records(path: Path, kind: FileKind, notes: list[str] | None) -> Generator[Record]:
    return csv_records(path) if kind == "csv" else xlsx_records(path, notes)


def _header_and_rows(
    raw: Iterator[Record], kind: FileKind, keywords: Iterable[str]
) -> tuple[list[str], Iterator[Record]]:
    """Take the header row off ``raw`` and check it; CSV rows must then match its width."""
    first = next(raw, None)
    if first is None:
        raise RecipientFileError("The file is empty.")
    cells = first[1]
    if kind == "xlsx":
        return parse_header(cells, keywords), raw
    check_separator(cells)
    return parse_header(cells, keywords), unragged(raw, len(cells))
