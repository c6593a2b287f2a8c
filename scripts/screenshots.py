"""Screenshots of every page at 1280 px and 390 px, with sample campaigns in every state.

    python scripts/screenshots.py [DIRECTORY]     (default var/screenshots/)

Runs tests/e2e/test_every_page.py (a live server, its own test database, axe on every page) with
SCREENSHOTS_DIR set, so each page is saved as <name>.png and <name>-phone.png. Run it with the
environment `make test` uses (DATABASE_URL, REDIS_URL), then look at every picture.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "var" / "screenshots").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SCREENSHOTS_DIR": str(directory), "DEBUG": "1"}
    test = "tests/e2e/test_every_page.py"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-p", "no:cacheprovider"], cwd=ROOT, env=env
    )
    print(f"Screenshots in {directory}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
