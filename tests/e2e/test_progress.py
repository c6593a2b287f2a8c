"""The live progress page in Chromium while a worker sends: every row of the file accounted for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns import services, tasks
from campaigns.models import CampaignStats, Suppression
from tests.e2e.conftest import log_in
from tests.e2e.test_schedule import OFFICER, shoot, wait_for
from tests.factories import make_email_campaign, make_officer, people

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADDS_UP = ("sent", "sending", "queued", "failed", "suppressed", "invalid", "duplicate")


@pytest.fixture(autouse=True)
def _factories_ingest_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks.ingest_recipient_file, "delay", lambda *args: None)


def figures(page: Page) -> dict[str, int]:
    """All the figures at one moment: read one by one, a poll could swap the cards between reads."""
    texts = page.evaluate(
        """(names) => Object.fromEntries(names.map(
            (name) => [name, document.querySelector(`[data-testid="stat-${name}"]`).innerText]))""",
        [*ADDS_UP, "total"],
    )
    return {name: int(text.replace(",", "")) for name, text in texts.items()}


def test_progress_adds_up_to_the_rows_of_the_file_while_sending(
    page: Page, site: str, worker: Any, ses_provider: Any, tmp_path: Path
) -> None:
    owner = make_officer(OFFICER)
    rows = [*people(60), {"recipient": "not an address", "name": "X", "code": "C"}]
    campaign = make_email_campaign(owner, rows, tmp_path=tmp_path, name="Flu jabs")
    Suppression.objects.create(channel="email", recipient="person7@example.com", reason="bounced")
    log_in(page, site, OFFICER, ses_provider)

    services.launch_campaign(campaign=campaign, by=owner, send_rate=6)
    page.goto(f"{site}/campaigns/{campaign.pk}/")
    wait_for(lambda: CampaignStats.objects.get(pk=campaign.pk).sending > 0, 30, "messages to be in flight")
    page.wait_for_timeout(1500)  # a poll or two after it; 59 messages at 6 a second take 10 s

    during = figures(page)
    assert (during["total"], during["suppressed"], during["invalid"]) == (61, 1, 1)
    assert sum(during[name] for name in ADDS_UP) == 61
    assert during["sending"] + during["queued"] > 0  # in flight rows are shown, not missing
    # Progress moves as messages go: at 6 a second the page shows some sent, some still to go.
    expect(page.get_by_test_id("stat-sent")).to_have_text(
        re.compile(r"^([1-9]|[1-4]\d|5[0-8])$"), timeout=10_000
    )
    partway = figures(page)
    assert sum(partway[name] for name in ADDS_UP) == 61
    shoot(page, "progress-sending")

    expect(page.get_by_test_id("status").first).to_have_text("Sent", timeout=60_000)
    expect(page.get_by_test_id("done")).to_have_text("61 of 61 rows done (100%)")
    after = figures(page)
    assert (after["sent"], after["sending"], after["queued"]) == (59, 0, 0)
    assert sum(after[name] for name in ADDS_UP) == 61
    expect(page.get_by_test_id("chart-unit")).to_have_text(
        re.compile(r"^Messages a second.*; times in Singapore time \(24-hour\)\.$")
    )
    shoot(page, "progress-sent")


def test_the_started_notice_goes_once_the_campaign_is_sent_and_the_history_says_so(
    page: Page, site: str, worker: Any, ses_provider: Any, tmp_path: Path
) -> None:
    owner = make_officer(OFFICER)
    campaign = make_email_campaign(owner, people(20), tmp_path=tmp_path, name="Flu jabs")
    log_in(page, site, OFFICER, ses_provider)

    page.goto(f"{site}/campaigns/{campaign.pk}/send/")
    page.get_by_label("Send rate (messages per second)").fill("5")
    page.get_by_role("button", name="Send now").click()

    notice = page.get_by_role("alert").filter(has_text="Sending “Flu jabs” has started.")
    expect(notice).to_be_visible()
    expect(page.get_by_test_id("status").first).to_have_text("Sent", timeout=60_000)
    expect(notice).to_have_count(0)
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("Sending finished by Postman · 5 messages a second — 20 sent")
    expect(history).to_contain_text(f"Sending started by {OFFICER} · 5 messages a second — Sent at once")
