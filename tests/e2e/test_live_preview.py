"""The message step previews the unsaved message as the officer types, at desktop and phone widths."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from campaigns import services
from campaigns.models import Campaign
from tests.e2e.conftest import log_in, message_editor
from tests.factories import make_email_campaign, make_officer, people

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "preview"
WIDTHS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    # A full-page capture leaves a sandboxed frame below the first screen blank: shoot the pane too.
    page.locator("section.draft-preview").screenshot(path=str(SHOTS / f"{name}-pane.png"))


def columns(page: Page) -> Locator:
    return page.get_by_test_id("columns").get_by_role("listitem")


@pytest.mark.parametrize("width", WIDTHS)
def test_email_preview_and_columns_follow_typing_without_saving(page: Page, site: str, width: str) -> None:
    page.set_viewport_size(WIDTHS[width])
    campaign = services.create_campaign(owner=make_officer("sender@agency.gov.sg"), name="P", channel="email")
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(page, site, "sender@agency.gov.sg")
    page.goto(f"{site}/campaigns/{campaign.pk}/template/")
    expect(columns(page)).to_have_text(["recipient"])
    history = page.evaluate("history.length")

    page.get_by_label("Subject").fill("Hello {{name}}")
    editor = message_editor(page)
    editor.click()
    page.keyboard.type("Dear {{name}}, your code is {{code}}.")
    page.keyboard.press("Enter")
    page.keyboard.type("See you at {{clinic}}.")

    expect(columns(page)).to_have_text(["recipient", "clinic", "code", "name"])
    expect(page.get_by_test_id("draft-subject")).to_have_text("Hello [name]")
    frame = page.frame_locator("iframe[data-testid=draft-frame]:not([hidden])")
    expect(frame.get_by_text("Dear [name], your code is [code].")).to_be_visible()
    expect(frame.get_by_text("See you at [clinic].")).to_be_visible()
    expect(page.get_by_test_id("draft-source")).to_contain_text("until you upload recipients")
    shot(page, f"email-{width}")

    page.keyboard.type(" {{oops")
    problems = page.get_by_test_id("template-problems")
    expect(problems).to_contain_text('Message: Unclosed "{{": add "}}" to close the keyword.')
    expect(page.get_by_test_id("draft-stale")).to_have_text(
        "The message has a problem, shown under it: the preview waits until it is fixed."
    )
    expect(frame.get_by_text("See you at [clinic].", exact=True)).to_be_visible()  # the last good one
    shot(page, f"email-problem-{width}")
    page.keyboard.type("}}")
    expect(problems).to_be_empty()
    expect(page.get_by_test_id("draft-stale")).to_be_hidden()
    expect(columns(page)).to_have_text(["recipient", "clinic", "code", "name", "oops"])
    expect(frame.get_by_text("See you at [clinic]. [oops]")).to_be_visible()

    saved = Campaign.objects.get(pk=campaign.pk)
    assert (saved.subject, saved.body, saved.keywords, saved.template_version) == ("", "", [], 0)
    assert csp_errors == []
    assert page.evaluate("history.length") == history  # Back still leaves the page


@pytest.mark.parametrize("width", WIDTHS)
def test_email_preview_uses_the_first_recipient_once_a_file_is_loaded(
    page: Page, site: str, width: str, tmp_path: Path
) -> None:
    page.set_viewport_size(WIDTHS[width])
    officer = make_officer("sender@agency.gov.sg")
    campaign = make_email_campaign(officer, people(3), tmp_path=tmp_path)
    log_in(page, site, "sender@agency.gov.sg")
    page.goto(f"{site}/campaigns/{campaign.pk}/template/")
    frame = page.frame_locator("iframe[data-testid=draft-frame]:not([hidden])")
    expect(frame.get_by_text("Dear Person 0, your code is C00000.")).to_be_visible()
    expect(page.get_by_test_id("draft-source")).to_contain_text("first valid recipient in recipients.csv")

    editor = message_editor(page)
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Bring {{document}}.")

    expect(frame.get_by_text("Dear Person 0, your code is C00000. Bring [document].")).to_be_visible()
    expect(page.get_by_test_id("draft-missing")).to_contain_text("no column for “document”")
    expect(columns(page)).to_have_text(["recipient", "code", "document", "name"])
    shot(page, f"email-file-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_sms_preview_counts_the_message_with_sample_values(page: Page, site: str, width: str) -> None:
    page.set_viewport_size(WIDTHS[width])
    campaign = services.create_campaign(owner=make_officer("sender@agency.gov.sg"), name="S", channel="sms")
    log_in(page, site, "sender@agency.gov.sg")
    page.goto(f"{site}/campaigns/{campaign.pk}/template/")

    page.get_by_role("textbox", name="Message").fill(
        "Hi {{name}}, your slot is {{time}}. Reply STOP to opt out."
    )

    expect(page.get_by_test_id("draft-text")).to_have_text(
        "Hi [name], your slot is [time]. Reply STOP to opt out."
    )
    expect(page.get_by_test_id("draft-count")).to_contain_text("54 characters, GSM-7, 1 segment")
    expect(columns(page)).to_have_text(["recipient", "name", "time"])
    shot(page, f"sms-{width}")
    assert Campaign.objects.get(pk=campaign.pk).body == ""


@pytest.mark.parametrize("width", WIDTHS)
def test_telegram_preview_shows_the_formatting_telegram_keeps(page: Page, site: str, width: str) -> None:
    page.set_viewport_size(WIDTHS[width])
    campaign = services.create_campaign(
        owner=make_officer("sender@agency.gov.sg"), name="T", channel="telegram"
    )
    log_in(page, site, "sender@agency.gov.sg")
    page.goto(f"{site}/campaigns/{campaign.pk}/template/")

    page.get_by_role("textbox", name="Message").fill("<b>Hello {{name}}</b>\n<i>See you at {{clinic}}.</i>")

    text = page.get_by_test_id("draft-text")
    expect(text.locator("b")).to_have_text("Hello [name]")
    expect(text.locator("i")).to_have_text("See you at [clinic].")
    expect(page.get_by_test_id("draft-count")).to_contain_text("33 of 4,096 characters")
    expect(columns(page)).to_have_text(["recipient", "clinic", "name"])
    shot(page, f"telegram-{width}")
    assert Campaign.objects.get(pk=campaign.pk).body == ""
