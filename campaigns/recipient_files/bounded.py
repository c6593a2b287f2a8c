"""Reading an uploaded file in a child process, bounded in time and memory.

The file is the officer's, or an attacker's: a crafted workbook, a parser fault or a plain huge
sheet must neither hold a worker for hours nor take its memory. So the ingest task never parses
in its own process. A child (``python -m campaigns.recipient_files.bounded``) reads the file with
an address-space limit, writes every row as a line of PostgreSQL COPY text to its stdout, which
the task streams straight into COPY, and writes a JSON summary to a pipe of its own at the end.
The task kills it at the time limit. Parsing and loading overlap on two cores as before.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import RecipientFileError
from .reader import RecipientFileInfo, open_recipient_file
from .rows import RecipientRow, load_normaliser

COPY_COLUMNS = "campaign_id, row_number, recipient, params, status, error_code, error, provider_id, attempts"
_STATUS = {"valid": "queued", "invalid": "invalid", "duplicate": "duplicate"}
_COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_ROOT = Path(__file__).resolve().parents[2]
_OUT_OF_MEMORY = "out-of-memory"
_UNREADABLE = (
    'The file could not be read. Open it in Excel, save it again as .xlsx or "CSV UTF-8", '
    "and upload it again."
)


@dataclass(frozen=True)
class Limits:
    seconds: float
    memory_bytes: int


@dataclass(frozen=True)
class ReadSummary:
    info: RecipientFileInfo
    counts: dict[str, int]  # rows per Message status: queued, invalid, duplicate
    peak_memory_bytes: int
    seconds: float


def _time_message(limits: Limits) -> str:
    took = f"{limits.seconds / 60:g} minutes" if limits.seconds >= 120 else f"{limits.seconds:g} seconds"
    return f"Reading the file took longer than {took}, so it was stopped. Split it into smaller files."


def _memory_message(limits: Limits) -> str:
    return (
        f"Reading the file needed more than {limits.memory_bytes // 1024**2:,} MB of memory, so it was "
        'stopped. Save it as "CSV UTF-8", or split it into smaller files, and upload again.'
    )


class BoundedRead:
    """The child reading one file: ``read`` gives its COPY text, ``finish`` its summary.

    Use as a context manager: leaving it early kills the child.
    """

    def __init__(
        self,
        path: Path,
        *,
        campaign_id: int,
        normaliser: str,
        keywords: list[str],
        limits: Limits,
        progress: Callable[[int], None] = lambda rows: None,
    ) -> None:
        self._limits, self._progress = limits, progress
        self.rows = 0
        self._reported = 0
        self._timed_out = False
        self.peak_memory_bytes = 0
        self.seconds = 0.0
        self._started = time.monotonic()
        result_read, result_write = os.pipe()
        arguments = {
            "path": str(path),
            "campaign_id": campaign_id,
            "normaliser": normaliser,
            "keywords": keywords,
            "memory_bytes": limits.memory_bytes,
            "result_fd": result_write,
        }
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, json.dumps(arguments)],
            cwd=_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            pass_fds=(result_write,),
        )
        os.close(result_write)
        self._result = os.fdopen(result_read, "rb")
        self._timer = threading.Timer(limits.seconds, self._stop_for_time)
        self._timer.daemon = True
        self._timer.start()

    def _stop_for_time(self) -> None:
        self._timed_out = True
        self._process.kill()

    def read(self, size: int = -1) -> bytes:
        assert self._process.stdout is not None
        data = self._process.stdout.read(size)
        self.rows += data.count(b"\n")
        if self.rows - self._reported >= 20_000:
            self._reported = self.rows
            self._progress(self.rows)
        return data

    def finish(self) -> ReadSummary:
        """Wait for the child; its summary, or RecipientFileError saying why the file was refused."""
        assert self._process.stdout is not None
        while self.read(1 << 20):
            pass
        raw = self._result.read()  # before waiting: a summary past the pipe's buffer would block
        self._process.wait()
        self.seconds = time.monotonic() - self._started
        self._timer.cancel()
        if self._timed_out:
            raise RecipientFileError(_time_message(self._limits))
        if not raw:
            # Killed by a signal: calamine aborts when the memory limit refuses an allocation.
            died_of_memory = self._process.returncode < 0
            raise RecipientFileError(_memory_message(self._limits) if died_of_memory else _UNREADABLE)
        result: dict[str, Any] = json.loads(raw)
        self.peak_memory_bytes = result.get("peak_memory_bytes", 0)
        if result.get("error") == _OUT_OF_MEMORY:
            raise RecipientFileError(_memory_message(self._limits))
        if "error" in result:
            raise RecipientFileError(result["error"])
        return ReadSummary(
            info=RecipientFileInfo(**result["info"]),
            counts=result["counts"],
            peak_memory_bytes=self.peak_memory_bytes,
            seconds=self.seconds,
        )

    def __enter__(self) -> BoundedRead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        if self._process.returncode is None:
            self._process.kill()
            self._process.wait()
        self.seconds = time.monotonic() - self._started
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._result.close()


# --- The child -----------------------------------------------------------------------------


def _copy_text(value: str) -> str:
    return value.translate(_COPY_ESCAPE) if _NEEDS_ESCAPE.search(value) else value


def copy_line(campaign_id: int, row: RecipientRow) -> str:
    """One Message row in COPY text format, in COPY_COLUMNS order."""
    status = _STATUS[row.status]
    # JSON already escapes tabs and line breaks; only its backslashes need doubling for COPY.
    params = json.dumps(row.params, ensure_ascii=False, separators=(",", ":")).replace("\\", "\\\\")
    code = "" if status == "queued" else status
    recipient, reason = _copy_text(row.recipient), _copy_text(row.reason)
    return f"{campaign_id}\t{row.row}\t{recipient}\t{params}\t{status}\t{code}\t{reason}\t\t0\n"


def _limit_memory(extra_bytes: int) -> None:
    """Cap the address space at what the child has now plus ``extra_bytes``."""
    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * resource.getpagesize()
    limit = current + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _write_rows(arguments: dict[str, Any], out: Any) -> dict[str, Any]:
    info, chunks = open_recipient_file(
        Path(arguments["path"]),
        normalise=load_normaliser(arguments["normaliser"]),
        keywords=arguments["keywords"],
    )
    campaign_id = arguments["campaign_id"]
    counts = {"queued": 0, "invalid": 0, "duplicate": 0}
    for chunk in chunks:
        for row in chunk:
            counts[_STATUS[row.status]] += 1
        out.write("".join([copy_line(campaign_id, row) for row in chunk]).encode())
    return {"info": info.__dict__, "counts": counts}


def _peak_memory() -> int:
    # Our own high-water mark: the parent's rusage for us would count its memory at the fork.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    arguments = json.loads(sys.argv[1])
    # The parent decides when to stop us; an interrupt meant for the worker is not for us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_memory(arguments["memory_bytes"])
    result: dict[str, Any]
    try:
        result = _write_rows(arguments, sys.stdout.buffer)
    except RecipientFileError as error:
        result = {"error": error.message}
    except MemoryError:
        result = {"error": _OUT_OF_MEMORY}
    except Exception:
        traceback.print_exc()
        result = {"error": _UNREADABLE}
    sys.stdout.buffer.close()
    result["peak_memory_bytes"] = _peak_memory()
    with os.fdopen(arguments["result_fd"], "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
