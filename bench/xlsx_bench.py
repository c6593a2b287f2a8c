"""XLSX ingest through the real task code: a 100,000-row workbook's rows/s, and a crafted workbook.

The crafted workbook is 128 KiB whose text is the pattern that made the old formula regex
quadratic (~40 s in the web request before the reader changed); it must now be refused in
under 2 s with under 200 MB.
"""

from __future__ import annotations

import io
import random
import re
import string
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl

from bench.ingest_bench import make_campaign
from bench.setup import ROOT, WORK, reset_data

CRAFTED_BYTES = 128 * 1024
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"


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
    """Junk in an inline cell of the sheet (what the old regex scanned) and in the shared strings."""
    cell = f'<c r="B2" t="inlineStr"><is><t><![CDATA[{_junk(junk_bytes, 1)}]]></t></is></c>'
    sheet = (
        f'<worksheet xmlns="{_MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
        '<c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="s"><v>1</v></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>a@example.com</t></is></c>{cell}</row>'
        "</sheetData></worksheet>"
    )
    shared = (
        f'<sst xmlns="{_MAIN}"><si><t>recipient</t></si>'
        f"<si><t>code</t></si><si><t><![CDATA[{_junk(junk_bytes, 2)}]]></t></si></sst>"
    )
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{_PACKAGE}"><Relationship Id="r1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        '<sheet name="Recipients" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
        f'Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        f'Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": shared,
        "xl/worksheets/sheet1.xml": sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in parts.items():
            archive.writestr(name, part)
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


def _ingest(file_id: int) -> tuple[float, float, str, str]:
    """Task seconds, the ingest process's peak RSS (MB), the reader's log line, and the outcome."""
    child = subprocess.run(
        [sys.executable, "-m", "bench.ingest_child", str(file_id), "--any-outcome"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, peak_mb, outcome = child.stdout.strip().splitlines()[-3:]
    reader = re.search(r"reader peak memory (\d+) MB", child.stderr)
    return float(seconds), float(peak_mb), reader[1] if reader else "?", outcome


def run(rows: int = 100_000) -> None:
    reset_data()
    path = WORK / f"recipients-{rows}.xlsx"
    write_xlsx(path, rows)
    seconds, peak_mb, reader_mb, outcome = _ingest(make_campaign(path, f"xlsx bench {rows}"))
    print(
        f"xlsx ingest: {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s; "
        f"reader peak {reader_mb} MB, task process peak RSS {peak_mb:.0f} MB ({outcome})"
    )
    crafted = WORK / "crafted-128k.xlsx"
    write_crafted(crafted)
    started = time.perf_counter()
    seconds, peak_mb, reader_mb, outcome = _ingest(make_campaign(crafted, "crafted workbook"))
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
