#!/usr/bin/env bash
# Started by `make run` inside scripts/devservices.py: the database and Redis are up.
set -euo pipefail
cd "$(dirname "$0")/.."
# Beat keeps its schedule under var/, which a fresh clone (or `git clean -xfd`) does not have.
mkdir -p var
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
bash scripts/run_banner.sh
exec .venv/bin/honcho start -f Procfile -p "${PORT}"
