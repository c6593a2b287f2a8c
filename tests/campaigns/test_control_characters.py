"""Control characters never reach a header: refused in names, subjects and reply-to addresses;
removed from recipients' values, or the row is invalid when the recipient itself holds one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from campaigns import engine, services
from campaigns.models import Campaign, CampaignStatus, Message
from channels_email import services as email_services
from channels_email.models import InboxMessage
from channels_sms import services as sms_services
from tests.factories import load_rows, make_email_campaign

pytestmark = pytest.mark.django_db

CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
TEMPLATE: dict[str, Any] = {
    "subject": "Hello {{name}}",
    "body": "Dear {{name}}",
    "body_format": "rich",
    "sender_name": "Health Promotion Board",
    "reply_to": "replies@agency.gov.sg",
}


def send_all(campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    while engine.run_for(campaign.pk, seconds=10, sleep=lambda s: None):
        pass


# Names, subject, sender name and reply-to: refused by the forms and the services


@pytest.mark.parametrize(
    ("name", "found"), [("Flu jab\r\nBcc: everyone@example.com", "U+000D"), ("Flu\x07jab", "U+0007")]
)
def test_create_with_a_control_character_in_the_name_is_refused(
    name: str, found: str, officer: Any, officer_client: Client
) -> None:
    response = officer_client.post("/campaigns/new/", {"name": name, "channel": "email"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": [f"Write this on one line, without line breaks or control characters (found {found})."]
    }
    assert not Campaign.objects.exists()


def test_rename_with_a_line_break_is_refused(officer: Any, officer_client: Client, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path, name="Before")

    officer_client.post(f"/campaigns/{campaign.pk}/rename/", {"name": "After\nX-Injected: 1"})

    campaign.refresh_from_db()
    assert campaign.name == "Before"


@pytest.mark.parametrize(
    ("field", "value", "found"),
    [
        ("subject", "Hello\t{{name}}", "U+0009"),
        ("subject", "Hello\x1b[31m{{name}}", "U+001B"),
        ("sender_name", "HPB\r\nBcc: everyone@example.com", "U+000D"),
        ("sender_name", "HPB\u2028Bcc: everyone@example.com", "U+2028"),
        # Django's EmailField takes a quoted local part with an ESC in it.
        ("reply_to", '"a\x1bb"@agency.gov.sg', "U+001B"),
    ],
)
def test_template_with_a_control_character_in_a_header_field_is_refused(
    field: str, value: str, found: str, officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path)
    before = (campaign.subject, campaign.sender_name, campaign.reply_to, campaign.template_version)

    response = officer_client.post(f"/campaigns/{campaign.pk}/template/", {**TEMPLATE, field: value})

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [
        f"Write this on one line, without line breaks or control characters (found {found})."
    ]
    campaign.refresh_from_db()
    assert (campaign.subject, campaign.sender_name, campaign.reply_to, campaign.template_version) == before


def test_services_refuse_control_characters_without_a_form(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path)

    with pytest.raises(services.CampaignError) as created:
        services.create_campaign(owner=officer, name="A\nB", channel="email")
    with pytest.raises(services.CampaignError) as renamed:
        services.rename_campaign(campaign=campaign, name="A\rB")
    with pytest.raises(services.CampaignError) as saved:
        email_services.save_email_template(
            campaign=campaign, **{**TEMPLATE, "sender_name": "HPB\nBcc: x@y.sg"}
        )

    assert str(created.value) == (
        "The campaign name cannot contain line breaks or control characters (found U+000A)."
    )
    assert str(renamed.value).startswith("The campaign name cannot contain")
    assert (
        str(saved.value) == "The sender name cannot contain line breaks or control characters (found U+000A)."
    )
    campaign.refresh_from_db()
    assert (campaign.name, campaign.sender_name) == ("Test campaign", "")


# Recipients' values


def test_control_characters_in_values_never_reach_the_email(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path)
    rows = [
        {"recipient": "ann@example.com", "name": "Ann\x07 Tan\x1b[2J", "code": "C1"},
        {"recipient": "bob@example.com", "name": "Bob\r\nBcc: evil@example.com", "code": "C2"},
    ]
    load_rows(campaign, rows, tmp_path=tmp_path)

    send_all(Campaign.objects.get(pk=campaign.pk))

    ann = InboxMessage.objects.get(to="ann@example.com")
    bob = InboxMessage.objects.get(to="bob@example.com")
    assert (ann.subject, bob.subject) == ("Hello Ann Tan[2J", "Hello Bob Bcc: evil@example.com")
    assert "Dear Ann Tan[2J" in ann.html
    for email in (ann, bob):
        assert not CONTROLS.search(
            email.subject + email.html + email.text + email.from_email + email.reply_to
        )
        assert "\n" not in email.subject and "\r" not in email.subject


def test_recipient_with_a_control_character_is_invalid_naming_it(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path)
    rows = [
        {"recipient": "ann@example.com\x1b", "name": "Ann", "code": "C1"},
        {"recipient": "  bob@example.com\t", "name": "Bob", "code": "C2"},
    ]

    load_rows(campaign, rows, tmp_path=tmp_path)

    by_recipient = {m.recipient: (m.status, m.error) for m in Message.objects.filter(campaign=campaign)}
    assert by_recipient == {
        "ann@example.com": ("invalid", "Contains an invisible control character (U+001B)"),
        "bob@example.com": ("queued", ""),
    }


def test_line_breaks_in_a_value_stay_for_an_sms_body(officer: Any, tmp_path: Path) -> None:
    campaign = services.create_campaign(owner=officer, name="SMS", channel="sms")
    sms_services.save_sms_template(campaign=campaign, body="Collect at:\n{{address}}")
    rows = [{"recipient": "9123 4567", "address": "Blk 1\r\nClementi Ave 1\x07\tUnit 01-01"}]

    load_rows(campaign, rows, tmp_path=tmp_path)

    message = Message.objects.get(campaign=campaign)
    assert message.params["address"] == "Blk 1\nClementi Ave 1\tUnit 01-01"
