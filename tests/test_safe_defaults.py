"""Production is the default: DEBUG off, a real email provider, no development apps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "SECRET_KEY": "a-long-random-production-secret-0123456789abcdefghij",
    "ALLOWED_HOSTS": "postman.agency.gov.sg",
    "SMS_CREDENTIAL_KEYS": "9pX0nNqWmZ0cL5aZB8mJkS0gK1rXo3p3X7cU0bqk3Yc=",
    "TELEGRAM_CREDENTIAL_KEYS": "9pX0nNqWmZ0cL5aZB8mJkS0gK1rXo3p3X7cU0bqk3Yc=",
    "WEBHOOKS_SECRET_KEYS": "9pX0nNqWmZ0cL5aZB8mJkS0gK1rXo3p3X7cU0bqk3Yc=",
    "EMAIL_PROVIDER": "ses",
}
SHOW = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'debug': settings.DEBUG, 'apps': settings.INSTALLED_APPS, "
    "'email': settings.EMAIL_PROVIDER}))"
)


def start(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Load the settings and apps in a fresh process, with only these variables set."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", *PRODUCTION}}
    env = {**clean, "DJANGO_SETTINGS_MODULE": "postman.settings", **environment}
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_debug_is_off_and_fake_provider_absent_unless_asked_for() -> None:
    started = start(PRODUCTION)

    assert started.returncode == 0, started.stderr
    loaded = json.loads(started.stdout)
    assert loaded["debug"] is False
    assert loaded["email"] == "ses"
    assert "fake_provider" not in loaded["apps"]


def test_development_turns_debug_on_explicitly() -> None:
    started = start({"DEBUG": "1"})

    assert started.returncode == 0, started.stderr
    loaded = json.loads(started.stdout)
    assert (loaded["debug"], loaded["email"]) == (True, "inbox")
    assert "fake_provider" in loaded["apps"]


@pytest.mark.parametrize("provider", ["", "inbox"])
def test_without_debug_a_real_email_provider_is_required(provider: str) -> None:
    started = start({**PRODUCTION, "EMAIL_PROVIDER": provider})

    assert started.returncode != 0
    assert (
        "django.core.exceptions.ImproperlyConfigured: EMAIL_PROVIDER must be ses or smtp when DEBUG is off"
        in started.stderr
    )


@pytest.mark.parametrize("value", ["True ", "off", "0"])
def test_a_yes_no_setting_reads_the_usual_spellings(value: str) -> None:
    started = start({**PRODUCTION, "DEBUG": value})

    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["debug"] is (value.strip().lower() == "true")


def test_a_yes_no_setting_that_is_neither_stops_the_start() -> None:
    # "enabled" once read as "no": a typo switched a feature off without a word.
    started = start({**PRODUCTION, "DEBUG": "enabled"})

    assert started.returncode != 0
    assert "DEBUG must be one of 1/0, true/false, yes/no or on/off, not 'enabled'" in started.stderr
