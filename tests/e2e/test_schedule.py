from __future__ import annotations

import re
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from campaigns import control, engine, services, tasks
from campaigns.models import Campaign, CampaignStats, CampaignStatus
from channels_email.models import InboxMessage
from channels_email.ses_events import record_ses_event
from tests.e2e.conftest import log_in
from tests.factories import make_email_campaign, make_officer, people
from tests.sns import sent_campaign, ses_event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
OFFICER = "sender@agency.gov.sg"


@pytest.fixture(autouse=True)
def _factories_ingest_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The factories read the file themselves; the worker must not load it a second time."""
    monkeypatch.setattr(tasks.ingest_recipient_file, "delay", lambda *args: None)


def shoot(page: Page, name: str) -> None:
    """Desktop (1280 wide) and phone (390 wide) screenshots of the whole page."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(400)  # the chart redraws at the new width after a resize event
    page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def accept_confirmations(page: Page) -> list[str]:
    asked: list[str] = []

    def accept(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return asked


def test_officer_schedules_a_campaign_and_it_is_sent_when_due(
    page: Page, site: str, worker: Any, ses_provider: Any, tmp_path: Path
) -> None:
    owner = make_officer(OFFICER)
    campaign = make_email_campaign(owner, people(20), tmp_path=tmp_path, name="Flu jabs")
    log_in(page, site, OFFICER, ses_provider)
    due = timezone.localtime(timezone.now()).replace(second=0, microsecond=0) + timedelta(minutes=2)

    page.goto(f"{site}/campaigns/{campaign.pk}/send/")
    page.get_by_label("Send at (Singapore time, GMT+8)").fill(due.strftime("%Y-%m-%dT%H:%M"))
    shoot(page, "schedule-form")
    page.get_by_role("button", name="Schedule").click()

    expect(page.get_by_test_id("status").first).to_have_text("Scheduled")
    expect(page.get_by_test_id("starts")).to_have_text(f"Starts {due:%-d %b %Y, %H:%M} (Singapore time).")
    shoot(page, "scheduled")
    assert Campaign.objects.get(pk=campaign.pk).scheduled_at == due

    with time_machine.travel(due + timedelta(seconds=1), tick=True):
        assert control.launch_due_campaigns() == [campaign.pk]  # the beat's tick at that minute

    expect(page.get_by_test_id("status").first).to_have_text("Sent", timeout=60_000)
    expect(page.get_by_test_id("done")).to_contain_text("20 of 20 rows done (100%)")
    wait_for(
        lambda: any(m["subject"] == "[Postman] “Flu jabs” has been sent" for m in ses_provider.messages()),
        30,
        "the owner's email",
    )
    received = Counter(m["to"][0] for m in ses_provider.messages() if m["subject"].startswith("Hello"))
    assert received == Counter({f"person{i}@example.com": 1 for i in range(20)})


def test_officer_pauses_and_resumes_from_the_campaign_page(
    page: Page, site: str, worker: Any, ses_provider: Any, tmp_path: Path
) -> None:
    owner = make_officer(OFFICER)
    campaign = make_email_campaign(owner, people(800), tmp_path=tmp_path, name="Flu jabs")
    log_in(page, site, OFFICER, ses_provider)
    asked = accept_confirmations(page)
    services.launch_campaign(campaign=campaign, by=owner, send_rate=80)
    page.goto(f"{site}/campaigns/{campaign.pk}/")
    wait_for(lambda: CampaignStats.objects.get(pk=campaign.pk).sent >= 80, 30, "sending to start")

    page.get_by_role("button", name="Pause sending").click()
    expect(page.get_by_test_id("paused")).to_have_text(
        "Sending is paused. Nothing more is sent until you resume."
    )
    wait_for(lambda: CampaignStats.objects.get(pk=campaign.pk).sending == 0, 15, "in-flight batches to end")
    page.reload()
    expect(page.get_by_test_id("status").first).to_have_text("Paused")
    expect(page.get_by_test_id("history")).to_contain_text(f"Paused by {OFFICER}")
    shoot(page, "paused")
    sent_while_paused = CampaignStats.objects.get(pk=campaign.pk).sent

    page.get_by_role("button", name="Resume sending").click()
    expect(page.get_by_test_id("status").first).to_have_text("Sent", timeout=60_000)

    assert asked == [
        "Pause sending “Flu jabs”? Messages already handed to the provider still go out; "
        "the rest wait until you resume.",
        "Resume sending “Flu jabs”?",
    ]
    assert sent_while_paused < 800
    received = Counter(m["to"][0] for m in ses_provider.messages() if m["subject"].startswith("Hello"))
    assert received == Counter({f"person{i}@example.com": 1 for i in range(800)})


def test_officer_reviews_a_halted_campaign_and_resumes_it(
    page: Page, site: str, worker: Any, ses_provider: Any, tmp_path: Path
) -> None:
    owner = make_officer(OFFICER)
    campaign = sent_campaign(owner, tmp_path, 40, queued=10)
    for number in range(11):
        record_ses_event(ses_event("Bounce", f"prov-{number}", address=f"person{number}@example.com"))
    log_in(page, site, OFFICER, ses_provider)
    asked = accept_confirmations(page)

    page.goto(f"{site}/campaigns/{campaign.pk}/")
    expect(page.get_by_test_id("status").first).to_have_text("Halted")
    expect(page.get_by_test_id("halted")).to_contain_text("11 of the 40 emails sent so far bounced (28%).")
    shoot(page, "halted")
    page.get_by_role("button", name="Resume sending").click()

    expect(page.get_by_test_id("status").first).to_have_text("Sent", timeout=60_000)
    assert asked == [
        "Resume sending “Test campaign” although many emails bounced? "
        "It will not be stopped for bounces again."
    ]
    assert sorted(m["to"][0] for m in ses_provider.messages() if m["subject"].startswith("Hello")) == sorted(
        f"person{i}@example.com" for i in range(40, 50)
    )
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT


def test_recipient_unsubscribes_with_a_reason_and_undoes_it(page: Page, site: str, tmp_path: Path) -> None:
    owner = make_officer(OFFICER)
    campaign = make_email_campaign(owner, people(2), tmp_path=tmp_path)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    while engine.run_for(campaign.pk, seconds=10, sleep=lambda s: None):
        pass
    email = InboxMessage.objects.get(to="person1@example.com")
    match = re.search(r"<http://127\.0\.0\.1:8000(/unsubscribe/[^>]+)>", email.headers["List-Unsubscribe"])
    assert match

    page.goto(f"{site}{match.group(1)}")
    page.get_by_label("Why are you unsubscribing? (optional)").fill("I moved overseas")
    shoot(page, "unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_test_id("unsubscribe-status")).to_contain_text(
        "person1@example.com will no longer receive"
    )
    shoot(page, "unsubscribed")
    page.get_by_role("button", name="Undo: keep receiving these emails").click()

    expect(page.get_by_test_id("resubscribed")).to_contain_text("You are subscribed again")
    assert CampaignStats.objects.get(pk=campaign.pk).unsubscribed == 0
