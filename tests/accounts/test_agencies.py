"""Every officer writes as an agency: mapped by an admin, or named from their email domain until one is."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.models import Agency, AllowedAddress, AllowedDomain, User
from accounts.selectors import agency_name_from_domain
from accounts.services import ensure_officer
from campaigns import services as campaign_services
from channels_email import services as email_services
from channels_email.rendering import from_header
from tests.factories import make_email_campaign

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("domain", "name"),
    [
        ("hpb.gov.sg", "HPB"),
        ("mail.moh.gov.sg", "MOH"),
        ("health-promotion.gov.sg", "Health Promotion"),
        ("agency.gov.sg", "Agency"),
        ("digital.gov", "Digital"),
        ("example.co.uk", "Example"),
    ],
)
def test_agency_name_from_domain_reads_like_a_name(domain: str, name: str) -> None:
    assert agency_name_from_domain(domain) == name


def test_first_officer_of_an_unmapped_domain_gets_an_agency_named_from_it() -> None:
    first = ensure_officer(email="ann@hpb.gov.sg")
    second = ensure_officer(email="bob@hpb.gov.sg")

    assert first.agency is not None
    assert (first.agency.name, first.agency.domain, first.agency.shown_name) == ("HPB", "hpb.gov.sg", "HPB")
    assert second.agency_id == first.agency_id
    assert Agency.objects.count() == 1
    assert AllowedDomain.objects.count() == 0  # making an agency never lets more addresses log in


def test_domain_an_admin_mapped_keeps_its_agency() -> None:
    board = Agency.objects.create(name="Health Promotion Board")
    AllowedDomain.objects.create(domain="hpb.gov.sg", agency=board)

    officer = ensure_officer(email="ann@hpb.gov.sg")

    assert officer.agency == board
    assert Agency.objects.count() == 1


def test_allowed_address_with_an_agency_keeps_it() -> None:
    board = Agency.objects.create(name="Health Promotion Board")
    AllowedAddress.objects.create(email="ann@gmail.com", agency=board)

    assert ensure_officer(email="ann@gmail.com").agency == board


def test_admin_name_replaces_the_derived_one_in_the_from_line(tmp_path: Path) -> None:
    officer = ensure_officer(email="ann@hpb.gov.sg")
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path)
    assert from_header(campaign) == "HPB via Postman <donotreply@postman.example.gov.sg>"

    assert officer.agency is not None
    Agency.objects.filter(pk=officer.agency.pk).update(display_name="Health Promotion Board")
    campaign.refresh_from_db()
    officer.refresh_from_db()

    assert from_header(campaign) == "Health Promotion Board via Postman <donotreply@postman.example.gov.sg>"


def test_derived_name_taken_by_another_agency_names_the_domain() -> None:
    Agency.objects.create(name="HPB")

    officer = ensure_officer(email="ann@hpb.com.sg")

    assert officer.agency is not None
    assert officer.agency.name == "HPB (hpb.com.sg)"


def test_officer_without_an_agency_gets_one_on_the_next_login() -> None:
    User.objects.create_user("ann@hpb.gov.sg")

    officer = ensure_officer(email="ann@hpb.gov.sg")

    officer.refresh_from_db()
    assert officer.agency is not None
    assert officer.agency.name == "HPB"


def test_sender_name_is_required_without_an_agency_name(tmp_path: Path) -> None:
    officer = User.objects.create_user("ann@hpb.gov.sg")
    campaign = campaign_services.create_campaign(owner=officer, name="Reminders", channel="email")

    with pytest.raises(campaign_services.CampaignError, match="Enter a sender name"):
        email_services.save_email_template(
            campaign=campaign,
            subject="Hi",
            body="<p>Hi</p>",
            body_format="rich",
            sender_name=" ",
            reply_to="",
        )
    campaign.refresh_from_db()
    assert campaign.subject == ""


def test_message_page_asks_for_a_sender_name_beside_the_field_without_an_agency() -> None:
    officer = User.objects.create_user("ann@hpb.gov.sg")
    campaign = campaign_services.create_campaign(owner=officer, name="Reminders", channel="email")
    client = Client()
    client.force_login(officer)

    response = client.post(
        f"/campaigns/{campaign.pk}/template/",
        {"subject": "Hi", "body_format": "rich", "body": "<p>Hi</p>", "reply_to": "ann@hpb.gov.sg"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="error_1_id_sender_name"[^>]*>\s*<strong>Enter a sender name', page)
    campaign.refresh_from_db()
    assert campaign.subject == ""


def test_message_page_says_which_name_a_blank_sender_uses(officer: Any) -> None:
    campaign = campaign_services.create_campaign(owner=officer, name="Reminders", channel="email")
    client = Client()
    client.force_login(officer)

    page = client.get(f"/campaigns/{campaign.pk}/template/").content.decode()

    assert "Leave blank to send as Agency." in page
