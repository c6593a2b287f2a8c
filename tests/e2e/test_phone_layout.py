"""At a phone's width (390 px) no officer page scrolls sideways, and the campaign list reads as cards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from campaigns import services
from tests.e2e.conftest import log_in
from tests.factories import make_email_campaign, make_officer, people

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "phone"
PHONE: ViewportSize = {"width": 390, "height": 844}


def _campaigns(tmp_path: Path) -> tuple[Any, Any]:
    officer = make_officer("sender@agency.gov.sg")
    draft = make_email_campaign(officer, people(3), tmp_path=tmp_path, name="Clinic reminders for March")
    sent = make_email_campaign(officer, people(3), tmp_path=tmp_path, name="Vaccination notices")
    services.launch_campaign(campaign=sent, by=officer, send_rate=10)
    return draft, sent


def _scrolls_sideways(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def test_no_page_scrolls_sideways_on_a_phone(page: Page, site: str, tmp_path: Path) -> None:
    draft, sent = _campaigns(tmp_path)
    page.set_viewport_size(PHONE)
    log_in(page, site, "sender@agency.gov.sg")
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = {
        "dashboard": "/",
        "create": "/campaigns/new/",
        "template": f"/campaigns/{draft.pk}/template/",
        "recipients": f"/campaigns/{draft.pk}/recipients/",
        "test": f"/campaigns/{draft.pk}/test/",
        "send": f"/campaigns/{draft.pk}/send/",
        "progress": f"/campaigns/{sent.pk}/",
    }
    overflowing = {}
    for name, path in pages.items():
        page.goto(f"{site}{path}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        if extra := _scrolls_sideways(page):
            overflowing[name] = extra

    assert overflowing == {}


def test_campaign_list_is_stacked_cards_on_a_phone(page: Page, site: str, tmp_path: Path) -> None:
    _campaigns(tmp_path)
    page.set_viewport_size(PHONE)
    log_in(page, site, "sender@agency.gov.sg")
    page.goto(f"{site}/")

    header = page.locator("[data-testid=campaigns] thead").bounding_box()
    assert header is not None and header["height"] <= 1  # kept for screen readers, not shown
    rows = page.locator("[data-testid=campaigns] tbody tr")
    assert rows.first.evaluate("row => getComputedStyle(row).display") == "block"
    first, second = rows.nth(0).bounding_box(), rows.nth(1).bounding_box()
    assert first is not None and second is not None
    assert first["width"] <= 390 and second["y"] >= first["y"] + first["height"]  # stacked, not side by side
    status = rows.first.locator("td[data-label=Status]")
    assert status.evaluate("cell => getComputedStyle(cell, '::before').content") == '"Status"'


def test_upload_result_comes_first_and_steps_stay_on_one_row(page: Page, site: str, tmp_path: Path) -> None:
    draft, _ = _campaigns(tmp_path)
    page.set_viewport_size(PHONE)
    log_in(page, site, "sender@agency.gov.sg")
    page.goto(f"{site}/campaigns/{draft.pk}/recipients/")

    result = page.locator("#ingest-status").bounding_box()
    upload = page.get_by_role("heading", name="Upload a recipient file").bounding_box()
    assert result is not None and upload is not None
    assert result["y"] < upload["y"]
    expect(page.get_by_test_id("preview")).to_be_visible()
    steps = [
        page.get_by_role("navigation", name="Campaign steps").locator("li").nth(i).bounding_box()
        for i in range(4)
    ]
    assert all(step is not None for step in steps)
    assert len({round(step["y"]) for step in steps if step}) == 1
    assert all(step["height"] >= 44 and step["x"] + step["width"] <= 390 for step in steps if step)
