from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, Request, expect

from campaigns.models import Campaign
from tests.e2e.conftest import log_in, message_editor
from tests.e2e.test_email_campaign import shoot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"/p/([0-9a-f-]{36})/")
BAD_ROWS = {7: "not-an-email", 50: "also bad@example", 120: "@example.com"}


def people(count: int = 200) -> list[dict[str, str]]:
    """Each row's password and result are unique, so any of them in a request would be found."""
    rows = []
    for i in range(count):
        recipient = BAD_ROWS.get(i + 2, f"patient{i}@example.com")
        rows.append(
            {
                "recipient": recipient,
                "password": f"pw-{secrets.token_hex(6)}",
                "result": f"R{i:03d}-{secrets.token_hex(4)}",
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    lines = ["recipient,password,result"] + [f"{r['recipient']},{r['password']},{r['result']}" for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def sent_bytes(request: Request) -> bytes:
    headers = "".join(f"{k}:{v}\n" for k, v in request.headers.items())
    return request.url.encode() + headers.encode() + (request.post_data_buffer or b"")


def test_protected_campaign_end_to_end(
    page: Page, site: str, worker: Any, ses_provider: Any, tmp_path: Path
) -> None:
    rows = people()
    log_in(page, site, "lab@agency.gov.sg", ses_provider)
    page.get_by_role("link", name="New campaign").first.click()
    page.get_by_label("Campaign name").fill("Blood test results")
    page.get_by_label("Password-protected email").check()
    page.get_by_role("button", name="Create campaign").click()
    expect(page.get_by_test_id("protected-badge")).to_be_visible()
    page.get_by_label("Subject").fill("Your blood test result")
    editor = message_editor(page, "Email message")
    editor.click()
    page.keyboard.type("Dear {{recipient}}, open your result.")
    page.keyboard.press("ArrowLeft")
    for _ in "open your result":
        page.keyboard.press("Shift+ArrowLeft")
    page.locator(".prose-editor").get_by_title("insert link").click()
    page.get_by_label("URL").fill("{{protectedlink}}")
    page.get_by_role("button", name="Update").click()
    assert page.locator("textarea[name=body]").input_value() == (
        '<p>Dear {{recipient}}, <a href="{{protectedlink}}" rel="noopener noreferrer">'
        "open your result</a>.</p>"
    )
    page.get_by_label("Protected message").fill("<p>Your result: <strong>{{result}}</strong></p>")
    shoot(page, "protected-template")
    page.get_by_role("button", name="Save and continue").click()

    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    page.get_by_label("Recipient file with passwords").set_input_files(
        str(write_csv(tmp_path / "results.csv", rows))
    )
    problems = page.get_by_test_id("row-problems")
    expect(problems).to_contain_text("Row 7: “not-an-email” is not a valid email address.")
    expect(problems).to_contain_text("Row 50: “also bad@example” is not a valid email address.")
    expect(problems).to_contain_text("Row 120: “@example.com” is not a valid email address.")
    expect(page.get_by_text("197 rows ready to encrypt.")).to_be_visible()
    preview = page.frame_locator("[data-preview-frame]")
    expect(preview.get_by_text(f"Your result: {rows[0]['result']}")).to_be_visible()
    shoot(page, "protected-recipients-checked")
    page.get_by_role("button", name="Encrypt and upload").click()
    expect(page.get_by_test_id("count-valid")).to_have_text("197", timeout=120_000)
    shoot(page, "protected-recipients-loaded")

    uploads = [r for r in requests if r.method == "POST"]
    assert len(uploads) == 1
    assert b"recipient,id,payload,verifier,iterations" in (uploads[0].post_data_buffer or b"")
    everything = b"".join(sent_bytes(r) for r in requests)
    for row in rows:
        assert row["password"].encode() not in everything
        assert row["result"].encode() not in everything

    campaign = Campaign.objects.get(name="Blood test results")
    page.goto(f"{site}/campaigns/{campaign.pk}/send/")
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_test_id("done")).to_contain_text("197 of 197 rows done (100%)", timeout=90_000)
    expect(page.get_by_test_id("protected-expiry")).to_be_visible()

    mail = {m["to"][0]: m for m in ses_provider.messages() if m["subject"] == "Your blood test result"}
    assert len(mail) == 197
    chosen = rows[41]
    match = LINK.search(mail[chosen["recipient"]]["html"])
    assert match
    # The editor's link: the email carries a real <a> to the recipient's own protected page.
    assert re.search(
        rf'<a href="https?://[^"]+/p/{match[1]}/"[^>]*>open your result</a>',
        mail[chosen["recipient"]]["html"],
    )
    for row in rows:
        assert row["result"] not in str(mail.get(row["recipient"], ""))

    page.goto(f"{site}/p/{match[1]}/")
    shoot(page, "protected-unlock")
    for n in range(5):
        page.get_by_label("Password").fill(f"wrong {n}")
        page.get_by_role("button", name="Open message").click()
        expect(page.get_by_role("alert")).to_contain_text("not right" if n < 4 else "locked", timeout=30_000)
    expect(page.get_by_role("alert")).to_have_text(
        "Too many wrong passwords: this message is locked. Try again in 15 minutes."
    )
    shoot(page, "protected-locked")
    page.get_by_label("Password").fill(chosen["password"])
    page.get_by_role("button", name="Open message").click()
    expect(page.get_by_role("alert")).to_contain_text("locked")

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        page.get_by_label("Password").fill(chosen["password"])
        page.get_by_role("button", name="Open message").click()
        frame = page.frame_locator("[data-message-frame]")
        expect(frame.get_by_text(f"Your result: {chosen['result']}")).to_be_visible(timeout=30_000)
    shoot(page, "protected-opened")

    page.goto(f"{site}/campaigns/{campaign.pk}/")
    expect(page.get_by_test_id("stat-opened")).to_have_text("1")
    shoot(page, "protected-progress")


def _officer_with_protected_draft(officer_email: str) -> Campaign:
    from accounts.services import ensure_officer
    from campaigns import services
    from protected_email.services import save_protected_templates

    owner = ensure_officer(email=officer_email)
    campaign = services.create_campaign(owner=owner, name="Exam results", channel="email", protected=True)
    return save_protected_templates(
        campaign=campaign,
        subject="Your exam result",
        body="<p>Open {{protectedlink}}</p>",
        body_format="rich",
        sender_name="",
        reply_to="",
        message="<p>{{name}}: <strong>{{grade}}</strong>, see {{details_url}}</p>",
    )


def test_workbook_is_read_in_the_browser_and_cancel_uploads_nothing(
    page: Page, site: str, ses_provider: Any, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    campaign = _officer_with_protected_draft("exams@agency.gov.sg")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Recipient", "Password", "Name", "Grade", "Details_URL"])
    sheet.append(["tan@example.com", "s3cret-1", "Tan <Ah> Kow", "A1", "https://exams.gov.sg/r/1"])
    sheet.append(["lim@example.com", "", "Lim", "B2", "https://exams.gov.sg/r/2"])
    sheet.append(["TAN@example.com", "s3cret-3", "Tan again", "C3", "https://exams.gov.sg/r/3"])
    for n in range(400):
        sheet.append([f"s{n}@example.com", f"pw{n}", f"Student {n}", "B", "https://exams.gov.sg/r"])
    book.save(tmp_path / "results.xlsx")
    log_in(page, site, "exams@agency.gov.sg", ses_provider)
    page.goto(f"{site}/campaigns/{campaign.pk}/recipients/")
    posts: list[Request] = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)

    page.get_by_label("Recipient file with passwords").set_input_files(str(tmp_path / "results.xlsx"))

    problems = page.get_by_test_id("row-problems")
    expect(problems).to_contain_text("Row 3: “password” is empty.")
    expect(problems).to_contain_text("Row 4: TAN@example.com is a duplicate of row 2.")
    expect(page.get_by_text("401 rows ready to encrypt.")).to_be_visible()
    frame = page.frame_locator("[data-preview-frame]")
    expect(frame.locator("p")).to_have_text("Tan <Ah> Kow: A1, see https://exams.gov.sg/r/1")
    expect(frame.get_by_role("link", name="https://exams.gov.sg/r/1")).to_be_visible()
    shoot(page, "protected-workbook-checked")
    page.get_by_role("button", name="Encrypt and upload").click()
    expect(page.get_by_role("progressbar", name="Encryption progress")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("Cancelled. Nothing was uploaded.")).to_be_visible()
    page.wait_for_timeout(500)
    assert posts == []
    assert not campaign.recipient_files.exists()
