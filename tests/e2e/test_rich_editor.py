"""The email body's rich-text editor: what an officer types is what the sanitiser keeps and recipients get."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from campaigns import services
from campaigns.models import Campaign
from channels_email.templating import sanitize_email_html
from tests.e2e.conftest import log_in, message_editor
from tests.factories import load_rows, make_email_campaign, make_officer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


WIDTHS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}


@pytest.mark.parametrize("width", WIDTHS)
def test_paragraphs_list_link_and_keyword_survive_editor_and_sanitiser(
    page: Page, site: str, ses_provider: Any, tmp_path: Path, width: str
) -> None:
    page.set_viewport_size(WIDTHS[width])
    campaign = services.create_campaign(owner=make_officer("sender@agency.gov.sg"), name="R", channel="email")
    csp_errors: list[str] = []
    page.on(
        "console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    log_in(page, site, "sender@agency.gov.sg", ses_provider)
    page.goto(f"{site}/campaigns/{campaign.pk}/template/")
    page.get_by_label("Subject").fill("Your appointment")
    editor = message_editor(page)

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
    page.screenshot(path=str(SHOTS / f"editor-{width}.png"), full_page=True)

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

    # What the officer typed reaches the provider with the same structure, in both parts.
    load_rows(saved, [{"recipient": "person0@example.com", "name": "Person 0"}], tmp_path=tmp_path)
    page.goto(f"{site}/campaigns/{campaign.pk}/test/")
    page.get_by_role("button", name="Send test email").click()
    expect(page.get_by_text("Test email sent to sender@agency.gov.sg")).to_be_visible()
    (mail,) = [m for m in ses_provider.messages() if m["subject"] == "[Test] Your appointment"]
    assert (
        "<p>Dear&nbsp;Person 0,</p><p>Your appointment is on Monday.</p><p>Bring:</p>"
        "<ul><li><p>your IC</p></li><li><p>this letter</p></li></ul><p><strong>Map:</strong>&nbsp;"
        '<a href="https://www.example.gov.sg/map" rel="noopener noreferrer">https://www.example.gov.sg/map</a>'
    ) in mail["html"]
    assert mail["text"].startswith(
        "Dear Person 0,\n\nYour appointment is on Monday.\n\nBring:\n\n- your IC\n- this letter\n\n"
        "Map: https://www.example.gov.sg/map\n\n"
    ), mail["text"]


def test_existing_html_opens_without_loss_and_markdown_stays_plain(
    page: Page, site: str, tmp_path: Path
) -> None:
    body = (
        "<h2>Your results</h2>"
        "<p>Dear {{name}}, your code is <strong>{{code}}</strong> and <em>private</em>.</p>"
        '<ol><li><p>Open <a href="https://www.example.gov.sg/" rel="noopener noreferrer">'
        "the portal</a></p></li>"
        "<li><p>Enter <u>the code</u></p></li></ol>"
    )
    officer = make_officer("sender@agency.gov.sg")
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path, body=body)
    log_in(page, site, "sender@agency.gov.sg")
    page.goto(f"{site}/campaigns/{campaign.pk}/template/")
    editor = message_editor(page)
    expect(editor.get_by_role("heading", name="Your results")).to_be_visible()

    editor.get_by_text("Enter").click()
    page.keyboard.press("End")
    page.keyboard.type("!")
    page.keyboard.press("Backspace")  # an edit and its undoing: the editor rewrites the field

    assert page.locator("textarea[name=body]").input_value() == body
    page.get_by_label("Markdown").check()
    expect(page.get_by_role("textbox", name="Message")).to_have_js_property("tagName", "TEXTAREA")
    expect(page.locator(".prose-editor")).to_have_count(0)
