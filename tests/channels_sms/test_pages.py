from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from accounts.models import User
from campaigns.models import Campaign, CampaignStatus
from channels_sms.models import SmsCampaignSettings
from tests.channels_sms.conftest import make_credential, make_sms_campaign, phones

pytestmark = pytest.mark.django_db


def text_of(response: Any) -> str:
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def test_create_sms_campaign_goes_to_its_message(officer_client: Client, officer: User) -> None:
    response = officer_client.post("/campaigns/new/", {"name": "Flu jabs", "channel": "sms"})

    campaign = Campaign.objects.get(owner=officer)
    assert (campaign.name, campaign.channel) == ("Flu jabs", "sms")
    assert response["Location"] == f"/campaigns/{campaign.pk}/template/"


def test_sms_template_page_shows_counter_for_the_saved_message(
    officer_client: Client, officer: User, tmp_path: Path
) -> None:
    campaign = make_sms_campaign(officer, [], tmp_path=tmp_path, body="Price: 5€ " + "a" * 150)

    response = officer_client.get(f"/campaigns/{campaign.pk}/template/")

    page = response.content.decode()
    assert 'data-sms-counter="sms-count"' in page
    assert '<script src="/static/js/sms-counter.js" defer></script>' in page
    assert re.search(r'data-testid="sms-characters">160<', page)
    assert re.search(r'data-testid="sms-encoding">GSM-7<', page)
    assert re.search(r'data-testid="sms-segments">2<', page)
    assert "Subject" not in text_of(response)
    assert "the recipient's phone number" in text_of(response)
    assert "<script>" not in page


def test_sms_template_save_keeps_keywords_and_normalises_line_breaks(
    officer_client: Client, officer: User
) -> None:
    campaign = make_sms_campaign(officer, [], tmp_path=Path("/unused"), body="Old")

    response = officer_client.post(
        f"/campaigns/{campaign.pk}/template/", {"body": "Hi {{Name}},\r\nsee you {{day}}"}
    )

    assert response["Location"] == f"/campaigns/{campaign.pk}/recipients/"
    campaign.refresh_from_db()
    assert (campaign.body, campaign.keywords) == ("Hi {{Name}},\nsee you {{day}}", ["day", "name"])


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("Hi {{first name}}", 'Invalid keyword "{{first name}}" at line 1, column 4'),
        ("Hi {{name", 'Unclosed "{{" at line 1, column 4'),
        ("a" * 1601 + "{{name}}", "The message is 1,601 characters before any keyword is filled in"),
        ("", "This field is required."),
    ],
)
def test_sms_template_with_bad_input_says_why_and_changes_nothing(
    officer_client: Client, officer: User, body: str, error: str
) -> None:
    campaign = make_sms_campaign(officer, [], tmp_path=Path("/unused"), body="Old {{name}}")

    response = officer_client.post(f"/campaigns/{campaign.pk}/template/", {"body": body})

    assert response.status_code == 200
    assert error in text_of(response)
    campaign.refresh_from_db()
    assert (campaign.body, campaign.template_version) == ("Old {{name}}", 1)


def test_recipients_page_shows_estimated_segments_too_long_rows_and_text_preview(
    officer_client: Client, officer: User, tmp_path: Path
) -> None:
    rows = [
        *phones(3),
        {"recipient": "9100 0003", "name": "x" * 1600, "code": "C"},
        {"recipient": "bad", "name": "", "code": ""},
    ]
    campaign = make_sms_campaign(officer, rows, tmp_path=tmp_path)

    response = officer_client.get(f"/campaigns/{campaign.pk}/recipients/")

    text = text_of(response)
    assert "The 3 valid messages come to about 3 SMS segments" in text
    assert "1 row is over 1,600 characters after personalisation and will not be sent." in text
    assert "To +6591000000 Message Hi Person 0, your code is C0000." in text
    assert re.search(r'data-testid="count-invalid">2<', response.content.decode())
    assert "<iframe" not in response.content.decode()


def test_sms_preview_is_plain_text(officer_client: Client, officer: User, tmp_path: Path) -> None:
    campaign = make_sms_campaign(officer, phones(1), tmp_path=tmp_path)

    response = officer_client.get(f"/campaigns/{campaign.pk}/preview/")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "Hi Person 0, your code is C0000."


def test_sms_test_page_sends_with_the_chosen_credential(
    officer_client: Client, officer: User, twilio: Any, tmp_path: Path
) -> None:
    credential = make_credential(officer)
    campaign = make_sms_campaign(officer, phones(2), tmp_path=tmp_path)

    response = officer_client.post(
        f"/campaigns/{campaign.pk}/test/", {"credential": credential.pk, "phone": "9876 5432"}, follow=True
    )

    assert "Test SMS sent to +6598765432." in text_of(response)
    assert [(m["to"], m["body"]) for m in twilio.messages("sms")] == [
        ("+6598765432", "[Test] Hi Person 0, your code is C0000.")
    ]
    assert SmsCampaignSettings.objects.get(campaign=campaign).credential == credential


def test_sms_test_page_offers_the_officers_own_mobile_and_refuses_others(
    officer_client: Client, officer: User, twilio: Any, tmp_path: Path
) -> None:
    credential = make_credential(officer)
    campaign = make_sms_campaign(officer, phones(2), tmp_path=tmp_path)

    page = officer_client.get(f"/campaigns/{campaign.pk}/test/")
    refused = officer_client.post(
        f"/campaigns/{campaign.pk}/test/", {"credential": credential.pk, "phone": "9123 4567"}
    )

    assert page.context["form"]["phone"].value() == "+6598765432"
    assert (
        "Test SMS go only to your own Singapore mobile: +6598765432. "
        "To use another, add a Twilio credential with it as the test number."
    ) in text_of(refused)
    assert twilio.messages("sms") == []


def test_sms_test_page_refuses_another_officers_credential(
    officer_client: Client, officer: User, other_officer: User, twilio: Any, tmp_path: Path
) -> None:
    theirs = make_credential(other_officer)
    campaign = make_sms_campaign(officer, phones(2), tmp_path=tmp_path)

    response = officer_client.post(
        f"/campaigns/{campaign.pk}/test/", {"credential": theirs.pk, "phone": "98765432"}
    )

    assert "Choose one of your own Twilio credentials." in text_of(response)
    assert twilio.messages("sms") == []
    assert not SmsCampaignSettings.objects.filter(campaign=campaign, credential__isnull=False).exists()


def test_sms_send_page_offers_only_own_credentials_and_default_rate(
    officer_client: Client, officer: User, other_officer: User, tmp_path: Path
) -> None:
    make_credential(officer, label="Mine")
    make_credential(other_officer, label="Theirs")
    campaign = make_sms_campaign(officer, phones(4), tmp_path=tmp_path)

    response = officer_client.get(f"/campaigns/{campaign.pk}/send/")

    page = response.content.decode()
    text = text_of(response)
    assert "Send to 4 recipients?" in text
    assert "Mine" in text and "Theirs" not in text
    assert re.search(r'name="send_rate" value="10"', page)
    assert "Twilio's own limit depends on the sender" in text
    assert 'name="schedule"' in page  # SMS campaigns can be scheduled like email ones


def test_sms_send_page_launches_with_credential_and_rate(
    officer_client: Client, officer: User, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    credential = make_credential(officer)
    campaign = make_sms_campaign(officer, phones(4), tmp_path=tmp_path)

    with django_capture_on_commit_callbacks() as callbacks:
        response = officer_client.post(
            f"/campaigns/{campaign.pk}/send/", {"credential": credential.pk, "send_rate": "50"}
        )

    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    campaign.refresh_from_db()
    assert (campaign.status, campaign.send_rate) == (CampaignStatus.SENDING, 50)
    assert campaign.sms_settings.credential == credential
    assert len(callbacks) == 1


def test_sms_send_page_refuses_another_officers_credential(
    officer_client: Client, officer: User, other_officer: User, tmp_path: Path
) -> None:
    theirs = make_credential(other_officer)
    make_credential(officer, label="Own account")
    campaign = make_sms_campaign(officer, phones(4), tmp_path=tmp_path)

    response = officer_client.post(
        f"/campaigns/{campaign.pk}/send/", {"credential": theirs.pk, "send_rate": "10"}
    )

    assert "Choose one of your own Twilio credentials." in text_of(response)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_sms_send_page_without_credentials_links_to_settings(
    officer_client: Client, officer: User, tmp_path: Path
) -> None:
    campaign = make_sms_campaign(officer, phones(1), tmp_path=tmp_path)

    response = officer_client.get(f"/campaigns/{campaign.pk}/send/")

    assert (
        "SMS goes through your own Twilio account. Add your Twilio credentials in SMS settings first"
        in text_of(response)
    )
    assert 'href="/settings/sms/"' in response.content.decode()
    # No "Send now" beside an empty "Send with": the form comes once there is an account to send with.
    assert "Send now" not in text_of(response)
    make_credential(officer)
    assert "Send now" in text_of(officer_client.get(f"/campaigns/{campaign.pk}/send/"))


@pytest.mark.parametrize("page", ["template", "recipients", "preview", "test", "send"])
def test_sms_campaign_pages_of_another_officer_are_404(
    other_client: Client, officer: User, tmp_path: Path, page: str
) -> None:
    campaign = make_sms_campaign(officer, phones(1), tmp_path=tmp_path)

    assert other_client.get(f"/campaigns/{campaign.pk}/{page}/").status_code == 404
    assert other_client.post(f"/campaigns/{campaign.pk}/{page}/", {"body": "x"}).status_code == 404
    campaign.refresh_from_db()
    assert campaign.body == "Hi {{name}}, your code is {{code}}."


@pytest.mark.parametrize("count", [1, 3])
def test_credentials_page_queries_do_not_grow_with_credentials(
    officer_client: Client, officer: User, count: int
) -> None:
    for i in range(count):
        make_credential(officer, label=f"Account {i}", api_key=bool(i % 2))

    with CaptureQueriesContext(connection) as queries:
        response = officer_client.get("/settings/sms/")

    assert text_of(response).count("Verified") == count
    assert len(queries) == 6  # the same for 1 and 3: no query per credential


def test_nav_links_to_sms_settings(officer_client: Client) -> None:
    response = officer_client.get("/")

    assert '<a class="nav-link" href="/settings/sms/">SMS settings</a>' in response.content.decode()


def test_every_page_calls_the_place_sms_settings(officer_client: Client) -> None:
    settings_page = text_of(officer_client.get("/settings/sms/"))
    create_page = text_of(officer_client.get("/campaigns/new/"))

    assert "Settings SMS settings SMS settings" in settings_page  # the breadcrumb, then the heading
    assert "add it in SMS settings" in create_page
    for page in (settings_page, create_page):
        assert "Settings → SMS" not in page
