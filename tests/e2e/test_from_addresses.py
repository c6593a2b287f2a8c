"""Sending from verified addresses: an officer's own, and an agency address an admin grants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Agency
from campaigns.models import Campaign, CampaignStatus
from tests.e2e.conftest import log_in, message_editor
from tests.e2e.test_email_campaign import shoot
from tests.factories import make_email_campaign, make_officer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VERIFIED = {"verified": True, "dkim": "SUCCESS"}


def test_officer_sends_a_campaign_from_their_own_address_once_ses_verifies_it(
    page: Page, site: str, worker: Any, ses_provider: Any, tmp_path: Path
) -> None:
    log_in(page, site, "sender@agency.gov.sg", ses_provider)
    page.get_by_role("link", name="From addresses").click()

    page.get_by_role("button", name="Check and add").click()
    expect(page.get_by_text("sender@agency.gov.sg is not set up in Amazon SES")).to_be_visible()
    expect(page.get_by_test_id("no-from-addresses")).to_be_visible()
    shoot(page, "from-address-refused")

    ses_provider.configure(ses_identities={"agency.gov.sg": VERIFIED})
    page.get_by_role("button", name="Check and add").click()
    expect(page.get_by_text("You can now send campaigns from sender@agency.gov.sg.")).to_be_visible()
    expect(page.get_by_test_id("from-address-row")).to_contain_text("Verified")
    shoot(page, "from-address-added")

    page.goto(f"{site}/")
    page.get_by_role("link", name="New campaign").first.click()
    page.get_by_label("Campaign name").fill("Clinic notices")
    page.get_by_role("button", name="Create campaign").click()
    page.get_by_label("Subject").fill("Hello {{name}}")
    message_editor(page).fill("Dear {{name}}, see you soon.")
    page.get_by_label("Sender name").fill("Clinic A")
    page.get_by_label("From address").select_option("sender@agency.gov.sg")
    shoot(page, "from-address-template")
    page.get_by_role("button", name="Save and continue").click()
    people = tmp_path / "people.csv"
    people.write_text("recipient,name\na@example.com,Ann\nb@example.com,Bo\n")
    page.get_by_label("Recipient file").set_input_files(str(people))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("count-valid")).to_have_text("2", timeout=30_000)
    campaign = Campaign.objects.get(name="Clinic notices")
    page.goto(f"{site}/campaigns/{campaign.pk}/send/")
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_test_id("done")).to_contain_text("2 of 2 rows done", timeout=60_000)

    sent = [m for m in ses_provider.messages() if m["subject"].startswith("Hello")]
    assert sorted((m["to"][0], m["from"]) for m in sent) == [
        ("a@example.com", "Clinic A <sender@agency.gov.sg>"),
        ("b@example.com", "Clinic A <sender@agency.gov.sg>"),
    ]


def test_admin_grants_an_agency_address_and_a_lapsed_identity_blocks_the_launch(
    page: Page, site: str, ses_provider: Any, tmp_path: Path
) -> None:
    agency = Agency.objects.create(name="Ministry of Health")
    make_officer("admin@agency.gov.sg", is_staff=True, is_superuser=True)
    officer = make_officer("nurse@agency.gov.sg", agency=agency)
    log_in(page, site, "admin@agency.gov.sg", ses_provider)
    page.goto(f"{site}/admin/channels_email/senderaddress/add/")
    page.get_by_label("Address").fill("Notices@MOH.gov.sg")
    page.get_by_label("Agency").select_option(label="Ministry of Health")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("notices@moh.gov.sg is not set up in Amazon SES").first).to_be_visible()

    ses_provider.configure(ses_identities={"notices@moh.gov.sg": VERIFIED})
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()
    shoot(page, "from-address-admin")

    page.context.clear_cookies()
    log_in(page, site, "nurse@agency.gov.sg", ses_provider)
    page.goto(f"{site}/settings/from-addresses/")
    expect(page.get_by_test_id("from-address-row")).to_contain_text("notices@moh.gov.sg")
    expect(page.get_by_test_id("from-address-row")).to_contain_text("Agency address")
    campaign = make_email_campaign(
        officer, [{"recipient": "a@example.com", "name": "A", "code": "1"}], tmp_path=tmp_path
    )
    page.goto(f"{site}/campaigns/{campaign.pk}/template/")
    page.get_by_label("From address").select_option("notices@moh.gov.sg")
    page.get_by_role("button", name="Save and continue").click()
    assert Campaign.objects.get(pk=campaign.pk).from_email == "notices@moh.gov.sg"

    ses_provider.configure(ses_identities={"notices@moh.gov.sg": {"verified": True, "dkim": "FAILED"}})
    page.goto(f"{site}/campaigns/{campaign.pk}/send/")
    page.get_by_role("button", name="Send now").click()
    expect(
        page.get_by_text(
            "The from address cannot be used: notices@moh.gov.sg has no working DKIM signature "
            "in Amazon SES (FAILED)."
        )
    ).to_be_visible()
    shoot(page, "from-address-lapsed")
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT
