from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page

from channels_email.models import InboxMessage


def read_code(email: str, provider: Any = None) -> str:
    """The newest login code sent to `email`: from the dev inbox, or the fake provider's log."""
    if provider is not None:
        text = [m["text"] for m in provider.messages() if m["to"] == [email]][-1]
    else:
        message = InboxMessage.objects.filter(to=email).order_by("-id").first()
        assert message is not None, f"no email to {email}"
        text = message.text
    match = re.search(r"^([A-Z0-9]{6})$", text, re.MULTILINE)
    assert match
    return match.group(1)


def log_in(page: Page, site: str, email: str, provider: Any = None) -> None:
    page.goto(f"{site}/accounts/login/code/")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a code").click()
    page.wait_for_url(re.compile(r"/accounts/login/code/confirm/"))
    page.get_by_label("Code").fill(read_code(email, provider))
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def site(live_server: Any) -> str:
    return str(live_server.url)
