"""XLSX ingest through the real task code: a 100,000-row workbook's rows/s, and a crafted workbook.

The crafted workbook is 128 KiB whose text is the pattern that made the old formula regex
quadratic (~40 s in the web request before the reader changed); it must now be refused in
under 2 s with under 200 MB.
"""

from __future__ import annotations

import io
import random
import string
import sys
import time
import zipfile
from pathlib import Path

import openpyxl

from bench.ingest_bench import make_campaign, run_ingest
from bench.setup import WORK, reset_data

CRAFTED_BYTES = 128 * 1024


def write_xlsx(path: Path, rows: int) -> None:
    if path.exists():
        return
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Recipients")
    sheet.append(["recipient", "name", "code"])
    for i in range(rows):
        sheet.append([f"person{i}@example.com", f"Person {i}", 91_000_000 + i])
    book.save(path)


def _junk(size: int, seed: int) -> str:
    rng = random.Random(seed)
    parts, length = [], 0
    while length < size:
        part = "<c " + "".join(rng.choices(string.ascii_letters, k=6)) + " "
        parts.append(part)
        length += len(part)
    return "".join(parts)


def _crafted_zip(junk_bytes: int) -> bytes:
    """A workbook Excel's own format allows (saved by openpyxl), with junk in an inline cell of the
    sheet (what the old formula regex scanned) and in the shared strings."""
    book = openpyxl.Workbook()
    book.active.append(["recipient", "name", "code"])
    saved = io.BytesIO()
    book.save(saved)
    cell = f'<c r="B2" t="inlineStr"><is><t><![CDATA[{_junk(junk_bytes, 1)}]]></t></is></c>'
    row = f'<row r="2"><c r="A2" t="inlineStr"><is><t>a@example.com</t></is></c>{cell}</row>'
    shared = f"<si><t><![CDATA[{_junk(junk_bytes, 2)}]]></t></si></sst>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(b"</sheetData>", row.encode() + b"</sheetData>")
            elif info.filename == "xl/sharedStrings.xml":
                part = part.replace(b"</sst>", shared.encode())
            target.writestr(info.filename, part)
    return buffer.getvalue()


def write_crafted(path: Path) -> None:
    """Grow the junk until the workbook is 128 KiB (random letters barely compress)."""
    low, high = 1024, 4 * CRAFTED_BYTES
    while low < high:
        middle = (low + high + 1) // 2
        if len(_crafted_zip(middle)) <= CRAFTED_BYTES:
            low = middle
        else:
            high = middle - 1
    path.write_bytes(_crafted_zip(low))


def run(rows: int = 100_000) -> None:
    reset_data()
    path = WORK / f"recipients-{rows}.xlsx"
    write_xlsx(path, rows)
    seconds, peak_mb, reader_mb, outcome = run_ingest(make_campaign(path, f"xlsx bench {rows}"))
    print(
        f"xlsx ingest: {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s; "
        f"reader peak {reader_mb} MB, task process peak RSS {peak_mb:.0f} MB ({outcome})"
    )
    crafted = WORK / "crafted-128k.xlsx"
    write_crafted(crafted)
    started = time.perf_counter()
    seconds, peak_mb, reader_mb, outcome = run_ingest(make_campaign(crafted, "crafted workbook"))
    whole = time.perf_counter() - started
    print(
        f"crafted {crafted.stat().st_size / 1024:.0f} KiB workbook: refused in {seconds:.2f} s "
        f"({whole:.1f} s with the process start); reader peak {reader_mb} MB, task process peak RSS "
        f"{peak_mb:.0f} MB; {outcome}"
    )


if __name__ == "__main__":
    from bench import setup

    setup.prepare_django()
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
