from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from channels_email.models import InboxMessage
from tests.e2e.accessibility import AxeAudit

LOGIN_CODE = re.compile(r"^Your one-time code to log in to Postman is:\n\n([A-Z0-9]{6})$", re.MULTILINE)


def read_code(email: str, provider: Any = None) -> str:
    """The newest login code sent to `email`: from the dev inbox, or the fake provider's log.

    Other mail to the same address (a campaign notice sent by the worker) may arrive after the
    code, so the newest message that holds a code is the one read.
    """
    if provider is not None:
        texts = [m["text"] for m in provider.messages() if m["to"] == [email]]
    else:
        texts = list(InboxMessage.objects.filter(to=email).order_by("id").values_list("text", flat=True))
    assert texts, f"no email to {email}"
    codes = [match.group(1) for text in texts if (match := LOGIN_CODE.search(text))]
    assert codes, f"no login code among the emails to {email}"
    return codes[-1]


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


def message_editor(page: Page, name: str = "Message") -> Any:
    """The email body's rich-text editor, once its module has replaced the textarea.

    Named by its field's label (data-editor-label): "Message", or "Email message" on a protected email."""
    editor = page.locator(".prose-editor").get_by_role("textbox", name=name, exact=True)
    editor.wait_for()
    return editor


@pytest.fixture
def context(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    """Every page of every browser test is checked with axe; serious or critical findings fail it.

    A test opts out of named rules only, saying why: `@pytest.mark.axe_exempt(rules=[...], reason="...")`.
    """
    exempt = request.node.get_closest_marker("axe_exempt")
    rules: frozenset[str] = frozenset()
    if exempt is not None:
        assert exempt.kwargs.get("reason"), "axe_exempt needs reason='why these rules may fail here'"
        rules = frozenset(exempt.kwargs["rules"])
    audit = AxeAudit(exempt_rules=rules)
    audit.watch(context)
    yield context
    audit.check_open_pages(context)
    if audit.found:
        pytest.fail(audit.report(), pytrace=False)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Reduced motion turns off Bootstrap's colour transitions, so axe never measures a button
    halfway between two colours."""
    return {**browser_context_args, "reduced_motion": "reduce"}
