"""An officer's campaign after the retention purge: its page says so, and its audit trail stays."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from campaigns.models import Campaign, CampaignStatus
from retention.services import purge_expired_data
from tests.e2e.conftest import log_in
from tests.e2e.test_email_campaign import shoot
from tests.factories import make_email_campaign, make_officer, people

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_purged_campaign_keeps_its_audit_trail(page: Page, site: str, tmp_path: Path) -> None:
    officer = make_officer("keeper@agency.gov.sg")
    campaign = make_email_campaign(officer, people(3), tmp_path=tmp_path, name="Old notices")
    log_in(page, site, "keeper@agency.gov.sg")
    page.goto(f"{site}/campaigns/{campaign.pk}/rename/")
    page.get_by_label("Campaign name").fill("Old notices 2025")
    page.get_by_role("button", name="Save name").click()
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SENT, finished_at=timezone.now() - timedelta(days=31)
    )
    purge_expired_data()

    page.goto(f"{site}/campaigns/{campaign.pk}/")
    expect(page.get_by_test_id("data-deleted")).to_contain_text("Recipient data deleted on")
    shoot(page, "campaign-data-deleted")
    page.goto(f"{site}/campaigns/{campaign.pk}/export.csv")
    expect(page.get_by_text("there is no list to download any more")).to_be_visible()
    page.get_by_role("link", name="Audit trail").click()

    events = page.get_by_test_id("audit-event")
    expect(events.filter(has_text="campaign.export_download")).to_have_count(0)
    expect(events.filter(has_text="campaign.rename")).to_contain_text("keeper@agency.gov.sg")
    expect(events.filter(has_text="campaign.rename")).to_contain_text("name: Old notices 2025")
    shoot(page, "campaign-audit-trail")
