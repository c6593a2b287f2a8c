from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from channels_email.models import InboxMessage
from tests.e2e.conftest import log_in, read_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_officer_logs_in_with_code_from_dev_inbox_and_logs_out(page: Page, site: str, settings: Any) -> None:
    settings.DEBUG = True  # the dev inbox is open to anyone only in development
    page.goto(f"{site}/")
    expect(page.get_by_role("heading", name="Log in to Postman")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "login.png"), full_page=True)
    page.get_by_label("Email").fill("first.timer@agency.gov.sg")
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(f"{site}/dev/inbox/")
    expect(page.get_by_test_id("inbox-to").first).to_have_text("first.timer@agency.gov.sg")
    code = re.search(r"^([A-Z0-9]{6})$", page.get_by_test_id("inbox-text").first.inner_text(), re.M)
    assert code is not None
    page.go_back()
    page.get_by_label("Code").fill(code.group(1))
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Campaigns", exact=True)).to_be_visible()
    expect(page.get_by_test_id("officer-email")).to_have_text("first.timer@agency.gov.sg")
    page.screenshot(path=str(SHOTS / "dashboard-empty.png"), full_page=True)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Postman")).to_be_visible()


def test_disallowed_domain_sees_refusal(page: Page, site: str) -> None:
    page.goto(f"{site}/accounts/login/code/")
    page.get_by_label("Email").fill("someone@gmail.com")
    page.get_by_role("button", name="Email me a code").click()

    expect(page.get_by_text("Postman is only for government officers")).to_be_visible()
    expect(page.get_by_text("any address ending in .gov.sg")).to_be_visible()
    assert not InboxMessage.objects.exists()


def test_three_wrong_codes_lock_out_that_code(page: Page, site: str) -> None:
    page.goto(f"{site}/accounts/login/code/")
    page.get_by_label("Email").fill("careful@agency.gov.sg")
    page.get_by_role("button", name="Email me a code").click()
    code = read_code("careful@agency.gov.sg")

    for attempt in range(2):
        page.get_by_label("Code").fill("ZZZZZ" + str(attempt))
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("Incorrect code")).to_be_visible()
    page.get_by_label("Code").fill("ZZZZZ9")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Log in to Postman")).to_be_visible()
    page.goto(f"{site}/accounts/login/code/confirm/")
    expect(page.get_by_label("Code")).to_have_count(0)
    assert code  # the right code existed, but its session is gone: it can no longer be entered


def test_log_in_helper_reaches_dashboard(page: Page, site: str) -> None:
    log_in(page, site, "helper@agency.gov.sg")

    expect(page.get_by_role("heading", name="Campaigns", exact=True)).to_be_visible()
