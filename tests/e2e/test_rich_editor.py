"""The email body's rich-text editor: what an officer types is what the sanitiser keeps and recipients get."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from campaigns import services
from campaigns.models import Campaign
from channels_email.templating import sanitize_email_html
from tests.e2e.conftest import log_in
from tests.factories import make_officer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_paragraphs_list_link_and_keyword_survive_editor_and_sanitiser(page: Page, site: str) -> None:
    campaign = services.create_campaign(owner=make_officer("sender@agency.gov.sg"), name="R", channel="email")
    csp_errors: list[str] = []
    page.on(
        "console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    log_in(page, site, "sender@agency.gov.sg")
    page.goto(f"{site}/campaigns/{campaign.pk}/template/")
    page.get_by_label("Subject").fill("Your appointment")
    editor = page.get_by_role("textbox", name="Message")

    editor.click()
    page.keyboard.type("Dear ")
    page.get_by_label("Keyword", exact=True).fill("name")
    page.get_by_role("button", name="Insert keyword").click()
    expect(editor).to_be_focused()  # back in the text, after the keyword
    page.keyboard.type(",")
    page.keyboard.press("Enter")
    page.keyboard.type("Your appointment is on Monday.")
    page.keyboard.press("Enter")
    page.keyboard.type("Bring:")
    page.keyboard.press("Enter")
    page.keyboard.type("- your IC")
    page.keyboard.press("Enter")
    page.keyboard.type("this letter")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+b")
    page.keyboard.type("Map:")
    page.keyboard.press("Control+b")
    page.keyboard.type(" https://www.example.gov.sg/map ")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "editor.png"), full_page=True)

    body = page.locator("textarea[name=body]").input_value()
    assert body == (
        "<p>Dear&nbsp;{{name}},</p><p>Your appointment is on Monday.</p><p>Bring:</p>"
        "<ul><li><p>your IC</p></li><li><p>this letter</p></li></ul><p><strong>Map:</strong>&nbsp;"
        '<a href="https://www.example.gov.sg/map" rel="noopener noreferrer">https://www.example.gov.sg/map</a>&nbsp;</p>'
    )
    assert sanitize_email_html(body) == body
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Message saved.")).to_be_visible()
    saved = Campaign.objects.get(pk=campaign.pk)
    assert saved.body_html == body
    assert saved.keywords == ["name"]
    assert csp_errors == []
