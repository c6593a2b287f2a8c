# Postman: `make run` serves the app, `make test` runs every test.
# The first Python >= 3.12 found: PYTHON=..., then python3.13/3.12 on PATH, pyenv, python3.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 /usr/local/bin/python3.1[23] python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run test lint bench superuser migrate fake-provider clean-var

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Postman needs Python 3.12 or newer; set PYTHON=/path/to/python3.12"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Development mode (dev inbox, fake provider) is asked for here: DEBUG is off by default.
run: $(VENV)/.installed
	DEBUG=1 $(PY) scripts/devservices.py -- bash scripts/run.sh

test: $(VENV)/.installed
	DEBUG=1 REDIS_KEY_PREFIX=test $(PY) scripts/devservices.py -- $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	DEBUG=1 $(VENV)/bin/mypy .  # django-stubs loads the settings, which need DEBUG or secrets
	$(VENV)/bin/lint-imports  # which app may import which: pyproject.toml [tool.importlinter]

bench: $(VENV)/.installed
	$(PY) scripts/devservices.py -- $(PY) -m bench

migrate: $(VENV)/.installed
	DEBUG=1 $(PY) scripts/devservices.py -- $(PY) manage.py migrate

superuser: $(VENV)/.installed
	@test -n "$(EMAIL)" || { echo "usage: make superuser EMAIL=you@agency.gov.sg"; exit 1; }
	DEBUG=1 $(PY) scripts/devservices.py -- $(PY) manage.py createstaff "$(EMAIL)"

fake-provider: $(VENV)/.installed
	$(PY) -m fake_provider --port 8025 --log var/fake_provider.jsonl
