"""/api/docs lists the campaign endpoints beside the transactional ones, with their examples, and
the webhook calls Postman makes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_email_campaign import SHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.axe_exempt(
    rules=["nested-interactive", "select-name"],
    reason="Swagger UI (django-ninja's bundle) renders each operation as a button holding buttons, and "
    "its example pickers without labels; its contrast, language and landmark are fixed in our template",
)
def test_api_docs_show_the_campaign_endpoints_and_webhooks_with_examples(page: Page, site: str) -> None:
    page.goto(f"{site}/api/docs")

    expect(page.get_by_text("Create a campaign", exact=True)).to_be_visible(timeout=15_000)
    for summary in [
        "Upload recipients",
        "Get an upload's ingest result",
        "Send now or schedule",
        "Export results (CSV)",
    ]:
        expect(page.get_by_text(summary, exact=True)).to_be_visible()
    expect(
        page.get_by_text("One of your campaigns started, paused, resumed, was halted or finished")
    ).to_be_visible()
    page.get_by_text("Upload recipients", exact=True).click()
    expect(page.get_by_text('"status": "pending"').first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "api-docs.png"), full_page=True)
