# Postman: `make run` serves the app, `make test` runs every test.
# The first Python >= 3.12 found: PYTHON=..., then python3.13/3.12 on PATH, pyenv, python3.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 /usr/local/bin/python3.1[23] python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
# `make fake-provider PORT=9000` (or PORT in the environment) moves the fake provider; without
# it the fake keeps 8025, out of the way of `make run`'s own default of 8000.
FAKE_PROVIDER_PORT ?= $(if $(filter command line environment,$(origin PORT)),$(PORT),8025)
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
	@mkdir -p var
	@echo "Point Postman at it: SES_ENDPOINT_URL=http://127.0.0.1:$(FAKE_PROVIDER_PORT) (with any AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, e.g. fake),"
	@echo "  TWILIO_BASE_URL=http://127.0.0.1:$(FAKE_PROVIDER_PORT), TELEGRAM_API_BASE_URL=http://127.0.0.1:$(FAKE_PROVIDER_PORT)"
	$(PY) -m fake_provider --port $(FAKE_PROVIDER_PORT) --log var/fake_provider.jsonl
