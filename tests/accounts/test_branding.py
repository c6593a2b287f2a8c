from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.logos import draw_logo
from accounts.models import Agency, User
from accounts.services import set_agency_logo
from api.models import TransactionalEmail
from api.services.email import build_outgoing, resolve_from
from campaigns.models import Campaign
from channels_email.rendering import build_layout
from tests.factories import make_email_campaign, make_officer, people

pytestmark = pytest.mark.django_db


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 60, 140)).save(out, "PNG")
    return out.getvalue()


def _staff() -> Client:
    client = Client()
    client.force_login(make_officer("admin@agency.gov.sg", is_staff=True, is_superuser=True))
    return client


def test_admin_sets_display_name_logo_and_retention() -> None:
    response = _staff().post(
        "/admin/accounts/agency/add/",
        {
            "name": "MOH",
            "display_name": "Ministry of Health",
            "retention_days": "90",
            "logo_upload": SimpleUploadedFile("logo.jpg", _png(1000, 1000)),
        },
    )

    assert response.status_code == 302
    agency = Agency.objects.get(name="MOH")
    assert (agency.shown_name, agency.retention_days) == ("Ministry of Health", 90)
    with agency.logo.open("rb") as handle:
        assert Image.open(handle).size == (200, 200)


@pytest.mark.parametrize("days", ["6", "366"])
def test_admin_refuses_retention_outside_7_to_365_days(days: str) -> None:
    response = _staff().post("/admin/accounts/agency/add/", {"name": "MOH", "retention_days": days})

    assert response.status_code == 200
    assert not Agency.objects.filter(name="MOH").exists()


def _branded_campaign(officer: Any, tmp_path: Path) -> Campaign:
    agency = Agency.objects.create(name="MOH", display_name="Ministry of Health")
    set_agency_logo(agency=agency, png=draw_logo(io.BytesIO(_png(9, 9)), 80))
    User.objects.filter(pk=officer.pk).update(agency=agency)
    return make_email_campaign(User.objects.get(pk=officer.pk), people(1), tmp_path=tmp_path)


def test_email_shows_the_agency_display_name_and_logo_when_ticked(officer: Any, tmp_path: Path) -> None:
    campaign = _branded_campaign(officer, tmp_path)

    layout = build_layout(campaign)

    assert f"/agencies/{campaign.owner.agency_id}/logo.png" in layout.html_shell
    assert 'alt="Ministry of Health"' in layout.html_shell
    assert layout.from_email == "Ministry of Health via Postman <donotreply@postman.example.gov.sg>"


def test_email_without_the_tick_names_the_agency_without_its_logo(officer: Any, tmp_path: Path) -> None:
    campaign = _branded_campaign(officer, tmp_path)
    campaign.show_agency_logo = False

    shell = build_layout(campaign).html_shell

    assert "logo.png" not in shell
    assert "Ministry of Health</strong>" in shell


def test_template_page_saves_the_logo_tick(officer: Any, officer_client: Client, tmp_path: Path) -> None:
    campaign = _branded_campaign(officer, tmp_path)
    form = {
        "subject": "Hello {{name}}",
        "body_format": "rich",
        "body": "<p>Dear {{name}}, your code is {{code}}.</p>",
        "reply_to": "officer@agency.gov.sg",
        "from_email": "",
    }

    officer_client.post(f"/campaigns/{campaign.pk}/template/", form)
    assert Campaign.objects.get(pk=campaign.pk).show_agency_logo is False
    officer_client.post(f"/campaigns/{campaign.pk}/template/", {**form, "show_agency_logo": "on"})
    assert Campaign.objects.get(pk=campaign.pk).show_agency_logo is True


def test_template_page_refuses_a_from_address_not_verified_for_the_officer(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = make_email_campaign(officer, people(1), tmp_path=tmp_path)

    response = officer_client.post(
        f"/campaigns/{campaign.pk}/template/",
        {
            "subject": "Hi",
            "body_format": "rich",
            "body": "<p>Hi</p>",
            "reply_to": "officer@agency.gov.sg",
            "from_email": "officer@agency.gov.sg",
        },
    )

    assert "Select a valid choice." in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).from_email == ""


def test_api_email_carries_the_same_sender_name_and_letterhead_as_a_campaign(
    officer: Any, tmp_path: Path
) -> None:
    campaign = _branded_campaign(officer, tmp_path)
    owner = campaign.owner
    from_address, _ = resolve_from(owner=owner, raw=None)
    email = TransactionalEmail.objects.create(
        owner=owner, recipient="a@example.com", subject="S", body="<p>B</p>", from_address=from_address
    )

    html = build_outgoing(email).html

    assert from_address == build_layout(campaign).from_email
    assert f"/agencies/{owner.agency_id}/logo.png" in html
    assert 'alt="Ministry of Health"' in html
