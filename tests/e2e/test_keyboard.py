"""The campaign path by keyboard alone: Tab reaches each page's key controls, every stop shows a
focus ring, and the controls that failed contrast before (Pause sending, the rejected rows links)
keep text at 4.5:1 or more against what is behind them (WCAG 2.1 AA)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from campaigns import services, tasks
from tests.e2e.conftest import read_code
from tests.e2e.test_every_page import with_rejected_rows
from tests.factories import make_email_campaign, make_officer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OFFICER = "keys@agency.gov.sg"

# What has focus: a short name, and its focus indicator if one shows (an outline at least 2 px wide,
# or Bootstrap's focus shadow), in computed style, so a stylesheet that hides it fails the test.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const name = el.getAttribute("aria-label") || el.labels?.[0]?.innerText || el.title || el.innerText
    || el.value || el.name || "";
  const kind = el.tagName === "INPUT" ? el.type : el.tagName;
  return {name: name.replace(/\\s+/g, " ").trim().slice(0, 80), tag: kind, visible: outline};
}"""


BROWSER_DRAWN = {"IFRAME", "datetime-local"}


@pytest.fixture(autouse=True)
def _factories_ingest_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks.ingest_recipient_file, "delay", lambda *args: None)


def tab_stops(page: Page, limit: int = 80) -> list[dict[str, Any]]:
    """Tab from the top of the page until focus comes back round (or `limit` presses)."""
    page.locator("body").focus()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    stops: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop is None or (stops and stop == stops[0]):
            break
        stops.append(stop)
    return stops


def assert_reaches(page: Page, *names: str) -> list[dict[str, Any]]:
    stops = tab_stops(page)
    reached = [stop["name"] for stop in stops]
    for name in names:
        assert any(re.search(name, text) for text in reached), (
            f"Tab never reaches {name!r} on {page.url}: {reached}"
        )
    # A preview iframe's focus sits in the framed document, and a date field's in one of its parts;
    # the browser draws those rings itself, out of reach of the page's computed style.
    unringed = [stop["name"] for stop in stops if not stop["visible"] and stop["tag"] not in BROWSER_DRAWN]
    assert unringed == [], f"no visible focus on {page.url} for {unringed}"
    return stops


def test_campaign_path_by_keyboard_with_a_visible_focus(page: Page, site: str, tmp_path: Path) -> None:
    officer = make_officer(OFFICER)
    draft = make_email_campaign(officer, with_rejected_rows(6), tmp_path=tmp_path, name="Clinic reminders")
    sending = make_email_campaign(officer, with_rejected_rows(6), tmp_path=tmp_path, name="Flu advisory")
    services.launch_campaign(campaign=sending, by=officer, send_rate=10)

    page.goto(f"{site}/accounts/login/code/")
    assert_reaches(page, "^Email", "Email me a code")
    page.get_by_label("Email").focus()
    page.keyboard.type(OFFICER)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/confirm/"))
    assert_reaches(page, "^Code", "Log in")
    page.get_by_label("Code").focus()
    page.keyboard.type(read_code(OFFICER))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site}/")

    assert_reaches(page, "^Campaigns$", "New campaign", "Clinic reminders", "Log out")
    page.goto(f"{site}/campaigns/new/")
    assert_reaches(page, "Campaign name", "Email", "SMS", "Create campaign")
    page.goto(f"{site}/campaigns/{draft.pk}/template/")
    stops = assert_reaches(
        page, "Message", "Recipients", "Subject", "^bold$", "insert link", "Insert keyword", "Save"
    )
    assert any(stop["tag"] == "DIV" for stop in stops), "Tab never reaches the rich-text editor"
    page.goto(f"{site}/campaigns/{draft.pk}/recipients/")
    assert_reaches(page, "Recipients", "rejected row", "Upload")
    page.goto(f"{site}/campaigns/{draft.pk}/send/")
    assert_reaches(page, "Send now|Send", "Schedule")
    page.goto(f"{site}/campaigns/{sending.pk}/")
    assert_reaches(page, "Pause sending", "Download rejected rows", "Audit trail")

    # Enter on a focused button acts: the pause confirm appears and, accepted, pauses the campaign.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Pause sending").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("status")).to_have_text("Paused")


CONTRAST = """(el) => {
  const rgba = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map((c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  let node = el, background = [0, 0, 0, 0];
  while (node && (background.length < 4 || background[3] === 0)) {
    background = rgba(getComputedStyle(node).backgroundColor);
    if (background.length === 3) background.push(1);
    node = node.parentElement;
  }
  if (!node && background[3] === 0) background = [255, 255, 255, 1];
  const [a, b] = [luminance(rgba(getComputedStyle(el).color)), luminance(background)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def contrast(control: Locator) -> float:
    return float(control.evaluate(CONTRAST))


def test_pause_button_and_rejected_rows_links_meet_aa_contrast(page: Page, site: str, tmp_path: Path) -> None:
    officer = make_officer(OFFICER)
    sending = make_email_campaign(officer, with_rejected_rows(6), tmp_path=tmp_path, name="Flu advisory")
    services.launch_campaign(campaign=sending, by=officer, send_rate=10)
    draft = make_email_campaign(officer, with_rejected_rows(6), tmp_path=tmp_path, name="Reminders")
    page.goto(f"{site}/accounts/login/code/")
    page.get_by_label("Email").fill(OFFICER)
    page.get_by_role("button", name="Email me a code").click()
    page.get_by_label("Code").fill(read_code(OFFICER))
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{site}/campaigns/{sending.pk}/")
    pause = page.get_by_role("button", name="Pause sending")
    rejected = page.get_by_role("link", name="Download rejected rows (CSV)")
    page.goto(f"{site}/campaigns/{draft.pk}/recipients/")
    rejected_on_upload = page.get_by_role("link", name=re.compile(r"Download the \d+ rejected rows"))

    assert contrast(rejected_on_upload) >= 4.5
    page.goto(f"{site}/campaigns/{sending.pk}/")
    assert contrast(pause) >= 4.5
    assert contrast(rejected) >= 4.5
    pause.hover()
    assert contrast(pause) >= 4.5
