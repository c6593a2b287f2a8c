#!/usr/bin/env bash
# Started by `make run` inside scripts/devservices.py: the database and Redis are up.
set -euo pipefail
cd "$(dirname "$0")/.."
# Beat keeps its schedule under var/, which a fresh clone (or `git clean -xfd`) does not have.
mkdir -p var
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
echo
echo "  Postman is running at  http://127.0.0.1:${PORT}/"
echo "  Dev inbox (login codes) http://127.0.0.1:${PORT}/dev/inbox/"
echo "  Press Ctrl-C to stop."
echo
exec .venv/bin/honcho start -f Procfile -p "${PORT}"
