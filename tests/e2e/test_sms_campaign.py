from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import Campaign, CampaignStats, Message
from channels_sms.models import TwilioCredential
from tests.campaigns.test_engine import max_in_any_second
from tests.e2e.conftest import log_in
from tests.e2e.test_email_campaign import SHOTS
from tests.workers import start_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "e2e-auth-token-00000000000-9f3c"
SENDER = "+6580000000"
INVALID = [
    "6123 4567",
    "call me",
    "+65 1234",
    "12345",
    "9123 45678",
    "",
    "8000 000",
    "+999 1",
    "abc 9123",
    "65",
]


@pytest.fixture
def sms_worker(fake_provider: Any, settings: Any, site: str, tmp_path: Path) -> Iterator[Any]:
    """A real worker sending through the fake Twilio, whose callbacks come back to the live server."""
    settings.TWILIO_BASE_URL = fake_provider.url
    settings.SITE_URL = site
    fake_provider.configure(callback_delay_ms=50)
    process = start_worker(fake_provider.url, tmp_path)
    yield process
    process.stop()


def shoot(page: Page, name: str) -> None:
    """Desktop and phone screenshots; the phone one after charts have redrawn at the new width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    desktop = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    if desktop:
        page.set_viewport_size(desktop)
        page.wait_for_timeout(200)


def wait_for(condition: Callable[[], bool], *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def recipients_csv(path: Path) -> tuple[Path, list[str]]:
    valid = [f"9{2000000 + i:07d}" for i in range(490)]
    rows = [f"{phone},Person {i},C{i:04d}" for i, phone in enumerate(valid)]
    rows += [f"{bad},Bad,X" for bad in INVALID]
    path.write_text("recipient,name,code\n" + "\n".join(rows) + "\n")
    return path, [f"+65{phone}" for phone in valid]


def add_credentials(page: Page, site: str, *, auth_token: str) -> None:
    page.get_by_label(re.compile(r"^\s*Label")).fill("Clinic Twilio")
    page.get_by_label("Account SID").fill(ACCOUNT_SID)
    page.get_by_label("Auth token").fill(auth_token)
    page.get_by_label("Sender number or ID").fill(SENDER)
    page.get_by_label("Account limit (messages per second)").fill("100")
    page.get_by_label("Send a test SMS to").fill("9123 4567")
    page.get_by_role("button", name="Verify and save").click()


def test_officer_sends_an_sms_campaign_end_to_end(
    page: Page, site: str, sms_worker: Any, fake_provider: Any, tmp_path: Path
) -> None:
    log_in(page, site, "sms.sender@agency.gov.sg")

    # Credentials, verified with a test SMS: first refused, then accepted.
    page.get_by_role("link", name="SMS settings").click()
    add_credentials(page, site, auth_token="bad-token")
    expect(
        page.get_by_text("Twilio refused the test SMS: The account SID or auth token is wrong (Twilio 20003)")
    ).to_be_visible()
    assert not TwilioCredential.objects.exists()
    add_credentials(page, site, auth_token=AUTH_TOKEN)
    expect(
        page.get_by_text("Saved “Clinic Twilio”. Twilio accepted a test SMS to +6591234567.")
    ).to_be_visible()
    expect(page.get_by_test_id("auth-token-hint")).to_have_text("••••9f3c")
    assert AUTH_TOKEN not in page.content()
    shoot(page, "sms-settings")

    # A campaign on SMS, its message with the live counter.
    page.get_by_role("link", name="Campaigns", exact=True).click()
    page.get_by_role("link", name="New campaign").first.click()
    page.get_by_label("Campaign name").fill("Clinic codes by SMS")
    page.get_by_label("SMS", exact=True).check()
    page.get_by_role("button", name="Create campaign").click()
    message = page.get_by_label(re.compile(r"^\s*Message"))
    message.fill("a" * 160)
    expect(page.get_by_test_id("sms-segments")).to_have_text("1")
    message.press("End")
    message.press_sequentially("€")
    expect(page.get_by_test_id("sms-characters")).to_have_text("161")
    expect(page.get_by_test_id("sms-segments")).to_have_text("2")
    message.fill("你好 " + "a" * 68)
    expect(page.get_by_test_id("sms-encoding")).to_have_text("UCS-2")
    expect(page.get_by_test_id("sms-segments")).to_have_text("2")
    message.fill("Hi {{name}}, your clinic code is {{code}}. Show it at the counter [Level 2].")
    expect(page.get_by_test_id("sms-characters")).to_have_text("76")
    expect(page.get_by_test_id("sms-encoding")).to_have_text("GSM-7")
    expect(page.get_by_test_id("sms-segments")).to_have_text("1")
    shoot(page, "sms-template")
    page.get_by_role("button", name="Save and continue").click()

    # 500 rows, 10 of them not mobile numbers.
    path, numbers = recipients_csv(tmp_path / "phones.csv")
    page.get_by_label("Recipient file").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("count-valid")).to_have_text("490", timeout=30_000)
    expect(page.get_by_test_id("count-invalid")).to_have_text("10")
    expect(page.get_by_test_id("estimated-segments")).to_have_text("490")
    expect(page.get_by_test_id("sms-preview")).to_have_text(
        "Hi Person 0, your clinic code is C0000. Show it at the counter [Level 2]."
    )
    shoot(page, "sms-recipients")
    campaign = Campaign.objects.get(name="Clinic codes by SMS")

    page.goto(f"{site}/campaigns/{campaign.pk}/send/")
    expect(page.get_by_test_id("confirm")).to_have_text("Send to 490 recipients?")
    expect(page.get_by_label("Send with")).to_have_value(str(TwilioCredential.objects.get().pk))
    page.get_by_label("Send rate (messages per second)").fill("50")
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_test_id("done")).to_contain_text("500 of 500 rows done (100%)", timeout=60_000)
    # Delivery callbacks come after the sends, some before their batch was recorded; the page
    # stops polling once sending ends, so it shows them on reload.
    wait_for(lambda: CampaignStats.objects.get(pk=campaign.pk).delivered == 490, seconds=90)
    page.reload()
    expect(page.get_by_test_id("status").first).to_have_text("Sent")
    expect(page.get_by_test_id("stat-delivered")).to_have_text("490")
    shoot(page, "sms-progress")

    received = fake_provider.messages("sms")
    verification, campaign_sms = received[0], received[1:]
    assert (verification["to"], verification["body"]) == (
        "+6591234567",
        "Postman: your Twilio credentials work.",
    )
    assert Counter(m["to"] for m in campaign_sms) == Counter(numbers)
    by_to = {m["to"]: m for m in campaign_sms}
    assert (
        by_to[numbers[7]]["body"]
        == "Hi Person 7, your clinic code is C0007. Show it at the counter [Level 2]."
    )
    assert {(m["from"], m["account"]) for m in campaign_sms} == {(SENDER, ACCOUNT_SID)}
    assert max_in_any_second([m["at"] for m in campaign_sms]) <= 50
    assert fake_provider.stats()["callbacks"]["sent"] == 2 * 490
    assert Counter(Message.objects.filter(campaign=campaign).values_list("status", flat=True)) == Counter(
        {"delivered": 490, "invalid": 10}
    )
    delivered = Message.objects.filter(campaign=campaign, status="delivered").values_list(
        "provider_id", flat=True
    )
    assert set(delivered) == {m["id"] for m in campaign_sms}
