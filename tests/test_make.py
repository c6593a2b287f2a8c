"""What a newcomer types first: `make fake-provider` on the port asked for, and `make run`'s
start message naming the dev inbox only when emails go there (scripts/run_banner.sh)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests import workers


def without_port(**extra: str) -> dict[str, str]:
    environment = {
        name: value for name, value in os.environ.items() if name not in {"PORT", "EMAIL_PROVIDER"}
    }
    return {**environment, **extra}


def fake_provider_command(*arguments: str, environment: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["make", "--dry-run", "fake-provider", *arguments],
        cwd=workers.ROOT,
        env=environment or without_port(),
        capture_output=True,
        text=True,
        check=True,
    )
    [command] = [line for line in done.stdout.splitlines() if "-m fake_provider" in line]
    return command


def test_fake_provider_keeps_8025_when_no_port_is_given() -> None:
    assert " --port 8025 " in fake_provider_command()


def test_fake_provider_serves_on_the_port_given_on_the_command_line_or_in_the_environment() -> None:
    assert " --port 9000 " in fake_provider_command("PORT=9000")
    assert " --port 9100 " in fake_provider_command(environment=without_port(PORT="9100"))


def banner(**environment: str) -> str:
    done = subprocess.run(
        ["bash", "scripts/run_banner.sh"],
        cwd=workers.ROOT,
        env=without_port(PORT="8123", **environment),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("provider", [None, "inbox"])
def test_make_run_names_the_dev_inbox_when_emails_go_there(provider: str | None) -> None:
    said = banner(**({"EMAIL_PROVIDER": provider} if provider else {}))

    assert "Postman is running at  http://127.0.0.1:8123/" in said
    assert "Dev inbox (login codes) http://127.0.0.1:8123/dev/inbox/" in said


@pytest.mark.parametrize("provider", ["ses", "smtp"])
def test_make_run_does_not_name_the_dev_inbox_when_emails_go_elsewhere(provider: str) -> None:
    said = banner(EMAIL_PROVIDER=provider)

    assert "/dev/inbox/" not in said
    assert f"Emails, login codes too, go out through {provider} (EMAIL_PROVIDER={provider})." in said
