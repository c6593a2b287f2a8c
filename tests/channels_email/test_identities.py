from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Agency
from campaigns.control import launch_due_campaigns
from campaigns.models import CampaignStatus
from campaigns.services import CampaignError, launch_campaign
from channels_email import identities
from channels_email.models import SenderAddress
from channels_email.rendering import build_layout
from tests.factories import make_email_campaign, make_officer

pytestmark = pytest.mark.django_db

VERIFIED = {"verified": True, "dkim": "SUCCESS"}
ROW = [{"recipient": "a@example.com", "name": "A", "code": "1"}]


@pytest.mark.parametrize(
    ("identities_in_ses", "problem"),
    [
        ({}, "officer@agency.gov.sg is not set up in Amazon SES: ask your administrator."),
        (
            {"officer@agency.gov.sg": {"verified": False, "dkim": "SUCCESS"}},
            "officer@agency.gov.sg is not verified in Amazon SES yet.",
        ),
        (
            {"agency.gov.sg": {"verified": True, "dkim": "PENDING"}},
            "officer@agency.gov.sg has no working DKIM signature in Amazon SES (PENDING).",
        ),
    ],
)
def test_add_own_address_not_usable_in_ses_is_refused_with_the_reason(
    officer: Any, ses_provider: Any, identities_in_ses: dict[str, Any], problem: str
) -> None:
    ses_provider.configure(ses_identities=identities_in_ses)

    with pytest.raises(identities.SenderAddressRefused) as refused:
        identities.add_own_address(officer=officer, address="officer@agency.gov.sg")

    assert str(refused.value) == problem
    assert not SenderAddress.objects.exists()


def test_add_own_address_verified_through_its_domain_is_usable(officer: Any, ses_provider: Any) -> None:
    ses_provider.configure(ses_identities={"agency.gov.sg": VERIFIED})

    identities.add_own_address(officer=officer, address="Officer@Agency.gov.sg")

    assert identities.usable_from_addresses(officer) == ["officer@agency.gov.sg"]


def test_add_someone_elses_address_is_refused_even_when_verified(officer: Any, ses_provider: Any) -> None:
    ses_provider.configure(ses_identities={"agency.gov.sg": VERIFIED})

    with pytest.raises(identities.SenderAddressRefused, match="only your own address"):
        identities.add_own_address(officer=officer, address="director@agency.gov.sg")

    assert not SenderAddress.objects.exists()


def test_agency_address_is_usable_by_its_officers_only(ses_provider: Any) -> None:
    ses_provider.configure(ses_identities={"moh.gov.sg": VERIFIED})
    moh = Agency.objects.create(name="MOH")
    nurse = make_officer("nurse@agency.gov.sg", agency=moh)
    outsider = make_officer("outsider@agency.gov.sg")

    identities.grant_agency_address(agency=moh, address="notices@moh.gov.sg")

    assert identities.usable_from_addresses(nurse) == ["notices@moh.gov.sg"]
    assert identities.usable_from_addresses(outsider) == []


def test_from_header_reads_via_postman_only_from_the_platform_address(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, ROW, tmp_path=tmp_path)
    campaign.sender_name = "Clinic A"
    assert build_layout(campaign).from_email == "Clinic A via Postman <donotreply@postman.example.gov.sg>"

    campaign.from_email = "officer@agency.gov.sg"
    assert build_layout(campaign).from_email == "Clinic A <officer@agency.gov.sg>"


def test_launch_from_a_lapsed_identity_is_refused_and_changes_nothing(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    ses_provider.configure(ses_identities={"officer@agency.gov.sg": VERIFIED})
    identities.add_own_address(officer=officer, address="officer@agency.gov.sg")
    campaign = make_email_campaign(officer, ROW, tmp_path=tmp_path)
    campaign.from_email = "officer@agency.gov.sg"
    campaign.save()
    ses_provider.configure(ses_identities={})

    with pytest.raises(CampaignError, match=r"The from address cannot be used: .* not set up in Amazon SES"):
        launch_campaign(campaign=campaign, by=officer)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_scheduled_launch_from_a_lapsed_identity_returns_to_draft_with_the_reason(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    ses_provider.configure(ses_identities={"officer@agency.gov.sg": VERIFIED})
    identities.add_own_address(officer=officer, address="officer@agency.gov.sg")
    campaign = make_email_campaign(officer, ROW, tmp_path=tmp_path)
    campaign.from_email = "officer@agency.gov.sg"
    campaign.status, campaign.scheduled_at = CampaignStatus.SCHEDULED, timezone.now() - timedelta(minutes=1)
    campaign.save()
    ses_provider.configure(ses_identities={"officer@agency.gov.sg": {"verified": False, "dkim": "SUCCESS"}})

    launch_due_campaigns()

    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_at) == (CampaignStatus.DRAFT, None)
    assert list(campaign.actions.values_list("action", "by", "detail")) == [
        (
            "unscheduled",
            None,
            "Not sent: The from address cannot be used: "
            "officer@agency.gov.sg is not verified in Amazon SES yet.",
        )
    ]
    assert ses_provider.messages() == []


def test_daily_recheck_marks_a_lapsed_identity_unusable_for_the_api(officer: Any, ses_provider: Any) -> None:
    ses_provider.configure(ses_identities={"officer@agency.gov.sg": VERIFIED})
    identities.add_own_address(officer=officer, address="officer@agency.gov.sg")
    ses_provider.configure(ses_identities={"officer@agency.gov.sg": {"verified": True, "dkim": "FAILED"}})

    assert identities.recheck_sender_addresses() == 1

    assert identities.usable_from_addresses(officer) == []
    assert SenderAddress.objects.get().problem == (
        "officer@agency.gov.sg has no working DKIM signature in Amazon SES (FAILED)."
    )
