"""The message step's live preview: the unsaved form rendered by the code that sends, scoped to the
campaign's owner, refusing what it cannot preview, and changing nothing."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from campaigns import services
from campaigns.models import Campaign, Message
from campaigns.views.compose import MAX_DRAFT_BYTES
from tests.factories import make_email_campaign, people

pytestmark = pytest.mark.django_db

EMAIL = {
    "subject": "Your results, {{name}}",
    "body": "<p>Dear {{name}}, your code is <strong>{{code}}</strong>.</p>",
    "body_format": "rich",
    "sender_name": "Clinic A",
    "show_agency_logo": "on",
}


def preview_url(campaign: Campaign, *, frame: bool = False) -> str:
    name = "campaigns:template_preview_frame" if frame else "campaigns:template_preview"
    return reverse(name, args=[campaign.pk])


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(strip_tags(response.content.decode()))).strip()


def columns_in(response: Any) -> list[str]:
    oob = re.search(r'<ul hx-swap-oob="innerHTML:#columns">(.*?)</ul>', response.content.decode())
    assert oob, "no columns box in the answer"
    return re.findall(r"<code>(.*?)</code>", oob[1])


def writes_during(client: Client, url: str, data: dict[str, str]) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    # The session's expiry moves on with every request (SESSION_SAVE_EVERY_REQUEST): not the campaign's.
    writes = [
        q["sql"]
        for q in queries
        if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))
        and '"django_session"' not in q["sql"]
    ]
    return response, writes


def email_campaign(owner: Any) -> Campaign:
    return services.create_campaign(owner=owner, name="Results", channel="email")


def test_email_preview_fills_each_keyword_with_a_sample_and_names_the_columns(
    officer: Any, officer_client: Client
) -> None:
    campaign = email_campaign(officer)

    response = officer_client.post(preview_url(campaign), EMAIL)
    frame = officer_client.post(preview_url(campaign, frame=True), EMAIL)

    assert response.status_code == 200
    assert columns_in(response) == ["recipient", "code", "name"]
    assert "Subject Your results, [name]" in text_of(response)
    assert "From Clinic A via Postman <" in text_of(response)
    assert "Each keyword shows as a sample, like [name], until you upload recipients" in text_of(response)
    assert "<p>Dear [name], your code is <strong>[code]</strong>.</p>" in frame.content.decode()
    assert "This email was sent by" in frame.content.decode()  # the layout recipients get


def test_email_preview_uses_the_first_valid_recipient_once_a_file_is_loaded(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = make_email_campaign(officer, people(3), tmp_path=tmp_path)
    data = EMAIL | {"body": "<p>Dear {{name}}, your code is {{code}}. Bring {{document}}.</p>"}

    response = officer_client.post(preview_url(campaign), data)
    frame = officer_client.post(preview_url(campaign, frame=True), data)

    assert "Filled in with the first valid recipient in recipients.csv" in text_of(response)
    assert "Subject Your results, Person 0" in text_of(response)
    assert "recipients.csv has no column for “document”" in text_of(response)
    assert "<p>Dear Person 0, your code is C00000. Bring [document].</p>" in frame.content.decode()
    assert columns_in(response) == ["recipient", "code", "document", "name"]


def test_markdown_and_plain_bodies_preview_as_they_are_sent(officer: Any, officer_client: Client) -> None:
    campaign = email_campaign(officer)
    data = EMAIL | {"body": "Dear {{name}},\n\n- one\n- two", "body_format": "markdown"}

    frame = officer_client.post(preview_url(campaign, frame=True), data)

    assert "<p>Dear [name],</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in frame.content.decode()


def test_invalid_template_shows_each_problem_by_field_and_saves_nothing(
    officer: Any, officer_client: Client
) -> None:
    campaign = email_campaign(officer)
    before = Campaign.objects.values().get(pk=campaign.pk)
    data = EMAIL | {"subject": "Hi {{first name}}", "body": "<p>Dear {{name</p>", "body_format": "markdown"}

    response, writes = writes_during(officer_client, preview_url(campaign), data)

    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"  # the last good preview stays on the page
    assert "Fix these 2 problems before saving the message:" in text_of(response)
    assert 'Subject: Invalid keyword "{{first name}}" at line 1, column 4' in text_of(response)
    assert 'Message: Unclosed "{{" at line 1, column 9: add "}}" to close the keyword.' in text_of(response)
    assert 'hx-swap-oob="innerHTML:#columns"' not in response.content.decode()  # the last good list stays
    assert writes == []
    assert Campaign.objects.values().get(pk=campaign.pk) == before


def test_rich_text_problems_quote_the_token_without_html_positions(
    officer: Any, officer_client: Client
) -> None:
    campaign = email_campaign(officer)

    response = officer_client.post(preview_url(campaign), EMAIL | {"body": "<p>One</p><p>Two {{x y}}</p>"})

    assert 'Message: Invalid keyword "{{x y}}": keywords may contain only letters' in text_of(response)


def test_preview_changes_nothing_in_the_database(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = make_email_campaign(officer, people(2), tmp_path=tmp_path)
    before = Campaign.objects.values().get(pk=campaign.pk)
    messages = list(Message.objects.values().order_by("pk"))

    _, writes = writes_during(officer_client, preview_url(campaign), EMAIL | {"body": "<p>{{new}}</p>"})
    _, frame_writes = writes_during(officer_client, preview_url(campaign, frame=True), EMAIL)

    assert (writes, frame_writes) == ([], [])
    assert Campaign.objects.values().get(pk=campaign.pk) == before
    assert list(Message.objects.values().order_by("pk")) == messages


@pytest.mark.parametrize("frame", [False, True])
def test_another_officers_campaign_is_not_found(officer: Any, other_client: Client, frame: bool) -> None:
    campaign = email_campaign(officer)

    response = other_client.post(preview_url(campaign, frame=frame), EMAIL)

    assert response.status_code == 404
    assert "Results" not in response.content.decode()


@pytest.fixture
def other_client(other_officer: Any) -> Client:
    client = Client()
    client.force_login(other_officer)
    return client


def test_preview_needs_the_csrf_token(officer: Any) -> None:
    campaign = email_campaign(officer)
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    page = client.get(reverse("campaigns:template", args=[campaign.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token

    refused = client.post(preview_url(campaign), EMAIL)
    accepted = client.post(preview_url(campaign), EMAIL | {"csrfmiddlewaretoken": token[1]})

    assert (refused.status_code, accepted.status_code) == (403, 200)
    assert "Your results, [name]" in text_of(accepted)


@pytest.mark.parametrize("frame", [False, True])
def test_a_huge_message_is_refused_with_a_reason_before_it_is_read(
    officer: Any, officer_client: Client, frame: bool
) -> None:
    campaign = email_campaign(officer)

    response = officer_client.post(
        preview_url(campaign, frame=frame), EMAIL | {"body": "x" * MAX_DRAFT_BYTES}
    )

    assert response.status_code == 413
    assert "This message is too long to preview as you type (over 500 KB). Save it to check it" in text_of(
        response
    )


def test_preview_is_only_posted(officer: Any, officer_client: Client) -> None:
    campaign = email_campaign(officer)

    assert officer_client.get(preview_url(campaign)).status_code == 405


def test_frame_is_sandboxed_and_may_be_framed_only_by_postman(officer: Any, officer_client: Client) -> None:
    campaign = email_campaign(officer)

    frame = officer_client.post(preview_url(campaign, frame=True), EMAIL)

    policy = frame["Content-Security-Policy"]
    assert "sandbox" in policy
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    assert frame["X-Frame-Options"] == "SAMEORIGIN"


def test_a_sent_campaign_is_not_previewed(officer: Any, officer_client: Client, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, people(1), tmp_path=tmp_path)
    services.launch_campaign(campaign=campaign, by=officer)

    response = officer_client.post(preview_url(campaign), EMAIL)
    frame = officer_client.post(preview_url(campaign, frame=True), EMAIL)

    assert (response.status_code, frame.status_code) == (409, 409)
    assert "This campaign's message can no longer change." in text_of(response)
    assert "This campaign's message can no longer change." in text_of(frame)


def test_sms_preview_counts_the_filled_in_message(officer: Any, officer_client: Client) -> None:
    campaign = services.create_campaign(owner=officer, name="Reminder", channel="sms")

    response = officer_client.post(
        preview_url(campaign), {"body": "  Hi {{name}}, see you at {{time}} €\r\n"}
    )

    assert "Hi [name], see you at [time] €" in text_of(response)
    assert "This message: 30 characters, GSM-7, 1 segment." in text_of(response)
    assert columns_in(response) == ["recipient", "name", "time"]
    assert Campaign.objects.get(pk=campaign.pk).body == ""


def test_telegram_preview_keeps_only_telegram_html(officer: Any, officer_client: Client) -> None:
    campaign = services.create_campaign(owner=officer, name="Notice", channel="telegram")

    response = officer_client.post(
        preview_url(campaign), {"body": "<b>Hi {{name}}</b><script>alert(1)</script><p>Bye</p>"}
    )

    page = response.content.decode()
    assert "<b>Hi [name]</b>Bye" in page
    assert "<script>" not in page
    assert "This message: 12 of 4,096 characters." in text_of(response)
    assert columns_in(response) == ["recipient", "name"]
