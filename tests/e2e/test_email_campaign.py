from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import Campaign
from tests.e2e.conftest import log_in, message_editor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def recipients_csv(path: Path) -> Path:
    rows = [f"person{i}@example.com,Person {i},C{i:04d}" for i in range(995)]
    rows += ["not-an-email,Bad,X", "also bad@example,Bad,X", "@example.com,Bad,X"]
    rows += ["person10@example.com,Again,X", "PERSON11@example.com,Again,X"]
    path.write_text("recipient,name,code\n" + "\n".join(rows) + "\n")
    return path


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    phone = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    if phone:
        page.set_viewport_size(phone)


def test_officer_sends_an_email_campaign_end_to_end(
    page: Page, site: str, worker: Any, ses_provider: Any, tmp_path: Path
) -> None:
    log_in(page, site, "sender@agency.gov.sg", ses_provider)

    page.get_by_role("link", name="New campaign").first.click()
    shoot(page, "create")
    page.get_by_label("Campaign name").fill("Clinic reminders")
    page.get_by_role("button", name="Create campaign").click()
    page.get_by_label("Subject").fill("Your code, {{ name }}")
    message_editor(page).click()
    page.keyboard.type("Dear {{name}}, your code is ")
    page.keyboard.press("Control+b")
    page.keyboard.type("{{code}}")
    page.keyboard.press("Control+b")
    page.keyboard.type(".")
    shoot(page, "template")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Message saved.")).to_be_visible()
    saved = Campaign.objects.get(name="Clinic reminders").body_html
    assert saved.startswith("<p>Dear {{name}}, your code is") and "{{code}}</strong>.</p>" in saved

    page.get_by_label("Recipient file").set_input_files(str(recipients_csv(tmp_path / "people.csv")))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("count-valid")).to_have_text("995", timeout=30_000)
    expect(page.get_by_test_id("count-invalid")).to_have_text("3")
    expect(page.get_by_test_id("count-duplicates")).to_have_text("2")
    expect(page.get_by_test_id("preview")).to_contain_text("Your code, Person 0")
    preview = page.frame_locator("iframe.preview-frame")
    expect(preview.get_by_text("Dear Person 0, your code is")).to_be_visible()
    expect(preview.get_by_role("link", name="Unsubscribe")).to_be_visible()  # the real email layout
    shoot(page, "recipients")
    campaign = Campaign.objects.get(name="Clinic reminders")

    page.goto(f"{site}/campaigns/{campaign.pk}/test/")
    page.get_by_role("button", name="Send test email").click()
    expect(page.get_by_text("Test email sent to sender@agency.gov.sg")).to_be_visible()
    shoot(page, "test-send")

    page.goto(f"{site}/campaigns/{campaign.pk}/send/")
    expect(page.get_by_test_id("confirm")).to_have_text("Send to 995 recipients?")
    shoot(page, "send")
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_test_id("done")).to_contain_text("1,000 of 1,000 rows done (100%)", timeout=60_000)
    page.wait_for_timeout(2500)  # the poll after the last batch carries the final status
    page.reload()
    expect(page.get_by_test_id("status").first).to_have_text("Sent")
    shoot(page, "progress")

    page.goto(f"{site}/")
    expect(page.get_by_role("link", name="Clinic reminders").first).to_be_visible()
    shoot(page, "dashboard")
    page.goto(f"{site}/campaigns/{campaign.pk}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download results (CSV)").click()
    exported = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(exported) == 1000
    assert Counter(row["status"] for row in exported) == Counter({"sent": 995, "invalid": 3, "duplicate": 2})

    received = ses_provider.messages()
    received = [m for m in received if "login code" not in m["subject"]]
    tests = [m for m in received if m["subject"].startswith("[Test]")]
    assert [m["to"] for m in tests] == [["sender@agency.gov.sg"]]
    campaign_mail = {m["to"][0]: m for m in received if not m["subject"].startswith("[Test]")}
    assert len(campaign_mail) == len(received) - 1 == 995
    assert set(campaign_mail) == {f"person{i}@example.com" for i in range(995)}
    for i in (0, 10, 11, 994):
        mail = campaign_mail[f"person{i}@example.com"]
        assert mail["subject"] == f"Your code, Person {i}"
        # The editor's paragraph and bold reach the HTML part as the officer typed them.
        assert saved.replace("{{name}}", f"Person {i}").replace("{{code}}", f"C{i:04d}") in mail["html"]
