"""An officer registers a webhook endpoint in the browser and sees API deliveries arrive."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in
from tests.webhooks.conftest import loopback, readme_example, webhook_worker  # noqa: F401  (fixtures)
from tests.webhooks.receiver import Receiver, Reply

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shoot(page: Page, name: str) -> None:
    """Desktop (1280 wide) and phone (390 wide) screenshots of the whole page."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def send_email(site: str, key: str, recipient: str) -> int:
    body = json.dumps({"recipient": recipient, "subject": "Your test result", "body": "<p>Negative.</p>"})
    request = urllib.request.Request(
        f"{site}/api/v1/transactional/email/send",
        data=body.encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response)["id"])


def wait_for(condition: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.usefixtures("loopback", "webhook_worker")
def test_officer_registers_an_endpoint_and_sees_deliveries(page: Page, site: str, ses_provider: Any) -> None:
    with Receiver(Reply(503, b"Down for maintenance")) as receiver:
        log_in(page, site, "hooks@agency.gov.sg", ses_provider)
        page.get_by_role("link", name="API keys").click()
        page.get_by_label("Label").fill("Results system")
        page.get_by_role("button", name="Create key").click()
        key = page.get_by_test_id("new-key").input_value()

        page.get_by_role("link", name="Webhooks").click()
        expect(page.get_by_test_id("no-endpoints")).to_have_text("You have not added an endpoint yet.")
        page.get_by_label("Callback URL").fill("https://169.254.169.254/latest/meta-data/")
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.locator("#main")).to_contain_text(
            "169.254.169.254 is a link-local address: Postman calls only public addresses."
        )
        shoot(page, "webhooks-refused")
        page.get_by_label("Callback URL").fill(receiver.url())
        page.get_by_label("Also send campaign milestones").check()
        page.get_by_role("button", name="Add endpoint").click()
        secret = page.get_by_test_id("new-secret").input_value()
        assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}", secret)
        shoot(page, "webhooks-secret")
        page.get_by_role("link", name="I have copied it").click()
        expect(page.get_by_test_id("no-deliveries")).to_be_visible()

        first = send_email(site, key, "resident@example.com")
        wait_for(lambda: len(receiver.requests) == 1)
        second = send_email(site, key, "another@example.com")
        wait_for(lambda: len(receiver.requests) == 2)
        page.reload()
        rows = page.get_by_test_id("delivery-row")
        expect(rows).to_have_count(2)
        expect(rows.nth(0).get_by_test_id("delivery-status")).to_have_text("Delivered")
        expect(rows.nth(0).get_by_test_id("delivery-answer")).to_contain_text("HTTP 200 ok")
        expect(rows.nth(1).get_by_test_id("delivery-status")).to_have_text("Retrying")
        expect(rows.nth(1).get_by_test_id("delivery-answer")).to_contain_text("HTTP 503 Down for maintenance")
        shoot(page, "webhooks-deliveries")

        rows.nth(0).get_by_role("link", name=re.compile("Details")).click()
        expect(page.get_by_test_id("attempt-row")).to_have_count(1)
        expect(page.get_by_test_id("payload")).to_contain_text(f'"id": {second}')
        page.get_by_role("button", name="Replay").click()
        expect(page.locator("#main")).to_contain_text(
            "Replayed: the event is on its way again, with the same id."
        )
        wait_for(lambda: len(receiver.requests) == 3)
        page.reload()
        expect(page.get_by_test_id("attempt-row")).to_have_count(1)
        expect(page.get_by_test_id("delivery-status")).to_have_text("Delivered")
        shoot(page, "webhooks-delivery")

    namespace: dict[str, Any] = {}
    exec(readme_example("python"), namespace)
    bodies = [json.loads(r.body) for r in receiver.requests]
    assert [(b["data"]["id"], b["data"]["status"]) for b in bodies] == [
        (first, "SENT"),
        (second, "SENT"),
        (second, "SENT"),
    ]
    assert bodies[1]["id"] == bodies[2]["id"]  # the replay carries the same event id
    assert all(namespace["verify"](secret, r.headers, r.body) for r in receiver.requests)
