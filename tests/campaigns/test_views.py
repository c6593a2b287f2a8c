from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags
from redis import Redis

from campaigns import engine, services
from campaigns.models import (
    Campaign,
    CampaignStats,
    CampaignStatus,
    Message,
    MessageStatus,
    RecipientFile,
    RecipientFileStatus,
)
from campaigns.progress import record_sent
from campaigns.tasks import ingest_progress_key
from channels_email import services as email_services
from channels_email.models import InboxMessage

pytestmark = pytest.mark.django_db

SUBJECT = "Your appointment, {{name}}"
BODY = "<p>Dear {{name}},</p><p>Book here: {{form_link}}</p>"
LIST = (
    "recipient,name,form_link\n"
    "alice@mail.sg,Alice,https://go.gov.sg/alice\n"
    "not-an-email,Carol,https://go.gov.sg/carol\n"
    "bob@mail.sg,Bob,https://go.gov.sg/bob\n"
    "Alice@Mail.sg,Alice again,https://go.gov.sg/alice2\n"
)
CAMPAIGN_URLS = [
    "detail",
    "rename",
    "duplicate",
    "delete",
    "template",
    "template_preview",
    "template_preview_frame",
    "recipients",
    "preview",
    "rejected",
    "test_send",
    "send",
    "progress",
    "export",
]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_timelines() -> None:
    """Send timelines live in Redis under the campaign id, which a new test database reuses."""
    redis = Redis.from_url(settings.REDIS_URL)
    for key in redis.scan_iter(match="progress:*:sent", count=1000):
        redis.delete(key)


@pytest.fixture
def other_client(other_officer: Any) -> Client:
    client = Client()
    client.force_login(other_officer)
    return client


def text_of(response: Any) -> str:
    """The page as a reader sees it: no tags, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(strip_tags(response.content.decode())))


def csv_rows(response: Any) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content)))


def make_campaign(owner: Any, name: str = "Vaccination reminder", *, template: bool = True) -> Campaign:
    campaign = services.create_campaign(owner=owner, name=name, channel="email")
    if template:
        email_services.save_email_template(
            campaign=campaign, subject=SUBJECT, body=BODY, body_format="rich", sender_name="", reply_to=""
        )
    return Campaign.objects.select_related("stats").get(pk=campaign.pk)


def upload(campaign: Campaign, content: str, name: str = "people.csv") -> RecipientFile:
    """Upload as the view does, then run the ingest the Celery task would run after commit."""
    recipient_file = services.upload_recipients(
        campaign=campaign, upload=SimpleUploadedFile(name, content.encode(), content_type="text/csv")
    )
    if recipient_file.status == RecipientFileStatus.PENDING:
        services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    recipient_file.refresh_from_db()
    return recipient_file


def ready_campaign(owner: Any, content: str = LIST, name: str = "Vaccination reminder") -> Campaign:
    campaign = make_campaign(owner, name)
    upload(campaign, content)
    return Campaign.objects.select_related("stats").get(pk=campaign.pk)


def launched(owner: Any, content: str = LIST, name: str = "Vaccination reminder") -> Campaign:
    campaign = ready_campaign(owner, content, name)
    services.launch_campaign(campaign=campaign, by=owner)
    return Campaign.objects.select_related("stats").get(pk=campaign.pk)


def rows_of(response: Any) -> list[str]:
    return re.findall(
        r'data-testid="campaign-row">\s*<td[^>]*><a[^>]*>([^<]+)</a>', response.content.decode()
    )


# Access


@pytest.mark.parametrize("name", CAMPAIGN_URLS)
def test_campaign_url_is_404_for_another_officer_on_get_and_post(
    name: str, officer: Any, other_client: Client
) -> None:
    campaign = ready_campaign(officer)
    url = reverse(f"campaigns:{name}", args=[campaign.pk])

    got = other_client.get(url)
    posted = other_client.post(url, {"name": "Hijacked", "email": "x@other.gov.sg", "send_rate": "5"})

    assert (got.status_code, posted.status_code) == (404, 404)
    campaign.refresh_from_db()
    assert (campaign.name, campaign.status, campaign.deleted_at) == ("Vaccination reminder", "draft", None)
    assert Campaign.objects.count() == 1
    assert InboxMessage.objects.count() == 0


def test_campaign_urls_are_404_once_deleted(officer: Any, officer_client: Client) -> None:
    campaign = make_campaign(officer)
    services.delete_campaign(campaign=campaign)

    statuses = {
        name: officer_client.get(reverse(f"campaigns:{name}", args=[campaign.pk])).status_code
        for name in CAMPAIGN_URLS
    }

    assert statuses == dict.fromkeys(CAMPAIGN_URLS, 404)


@pytest.mark.parametrize("name", ["dashboard", "create", *CAMPAIGN_URLS])
def test_campaign_pages_send_anonymous_visitors_to_login(name: str, officer: Any) -> None:
    campaign = make_campaign(officer)
    url = reverse(f"campaigns:{name}", args=[] if name in {"dashboard", "create"} else [campaign.pk])

    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/code/?next={url}"


def test_post_without_csrf_token_is_refused(officer: Any) -> None:
    campaign = make_campaign(officer)
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)

    response = client.post(reverse("campaigns:delete", args=[campaign.pk]))

    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.deleted_at is None


@pytest.mark.parametrize("name", ["duplicate", "delete"])
def test_writes_refuse_get(name: str, officer: Any, officer_client: Client) -> None:
    campaign = make_campaign(officer)

    response = officer_client.get(reverse(f"campaigns:{name}", args=[campaign.pk]))

    assert response.status_code == 405
    assert Campaign.objects.owned_by(officer).count() == 1


# Dashboard


def test_dashboard_lists_only_own_campaigns_newest_first(
    officer: Any, other_officer: Any, officer_client: Client
) -> None:
    make_campaign(officer, "First", template=False)
    make_campaign(other_officer, "Someone else's", template=False)
    make_campaign(officer, "Second", template=False)
    deleted = make_campaign(officer, "Deleted draft", template=False)
    services.delete_campaign(campaign=deleted)

    response = officer_client.get("/")

    assert rows_of(response) == ["Second", "First"]
    assert "Showing 1 to 2 of 2 campaigns." in text_of(response)


def test_dashboard_row_shows_counts_status_and_singapore_times(officer: Any, officer_client: Client) -> None:
    with time_machine.travel(datetime(2025, 3, 1, 16, 30, tzinfo=UTC), tick=False):
        campaign = make_campaign(officer, "Counted")
    CampaignStats.objects.filter(pk=campaign.pk).update(
        total=120, invalid=7, duplicate=2, suppressed=1, sent=50, delivered=30, bounced=2, failed=4
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SENDING, started_at=datetime(2025, 3, 2, 1, 5, tzinfo=UTC)
    )

    page = officer_client.get("/").content.decode()

    assert 'data-testid="recipients">110<' in page
    assert 'data-testid="sent">82<' in page
    assert 'data-testid="failed">4<' in page
    assert '<span class="badge status-badge status-sending" data-testid="status">Sending</span>' in page
    assert ">2 Mar 2025, 00:30</time>" in page  # created 16:30 UTC
    assert ">2 Mar 2025, 09:05</time>" in page  # started 01:05 UTC
    assert f'href="/campaigns/{campaign.pk}/"' in page


def test_dashboard_paginates_ten_a_page(officer: Any, officer_client: Client) -> None:
    for number in range(1, 13):
        make_campaign(officer, f"Campaign {number:02}", template=False)

    first = officer_client.get("/")
    second = officer_client.get("/?page=2")

    assert rows_of(first) == [f"Campaign {n:02}" for n in range(12, 2, -1)]
    assert rows_of(second) == ["Campaign 02", "Campaign 01"]
    assert "Page 1 of 2" in text_of(first)
    assert 'href="?page=2"' in first.content.decode()


def test_dashboard_pages_keep_the_filters(officer: Any, officer_client: Client) -> None:
    for number in range(1, 13):
        make_campaign(officer, f"Flu {number:02}", template=False)
    make_campaign(officer, "Dengue alert", template=False)

    response = officer_client.get("/?q=flu&channel=email&status=draft&page=2")

    assert rows_of(response) == ["Flu 02", "Flu 01"]
    assert 'href="?q=flu&amp;channel=email&amp;status=draft&amp;page=1"' in response.content.decode()
    assert 'value="flu"' in response.content.decode()


def test_dashboard_filters_by_channel_status_and_name(officer: Any, officer_client: Client) -> None:
    make_campaign(officer, "Email draft", template=False)
    sms = services.create_campaign(owner=officer, name="SMS draft", channel="sms")
    sent = make_campaign(officer, "Email sent", template=False)
    Campaign.objects.filter(pk=sent.pk).update(status=CampaignStatus.SENT)
    paused = make_campaign(officer, "Paused one", template=False)
    Campaign.objects.filter(pk=paused.pk).update(status=CampaignStatus.PAUSED)

    by_channel = rows_of(officer_client.get("/?channel=sms"))
    by_status = rows_of(officer_client.get("/?status=sent"))
    paused_only = rows_of(officer_client.get("/?status=paused"))
    by_name = rows_of(officer_client.get("/?q=DRAFT"))
    combined = rows_of(officer_client.get("/?channel=email&status=draft&q=email"))

    assert by_channel == [sms.name]
    assert by_status == ["Email sent"]
    assert paused_only == ["Paused one"]
    assert by_name == ["SMS draft", "Email draft"]
    assert combined == ["Email draft"]


def test_dashboard_ignores_an_unknown_filter_value(officer: Any, officer_client: Client) -> None:
    make_campaign(officer, "Kept", template=False)

    response = officer_client.get("/?status=exploded")

    assert rows_of(response) == ["Kept"]


def test_dashboard_says_when_no_campaign_matches(officer: Any, officer_client: Client) -> None:
    make_campaign(officer, "Kept", template=False)

    page = text_of(officer_client.get("/?q=nothing-like-this"))

    assert "No campaigns match these filters." in page


def test_dashboard_invites_a_first_campaign(officer_client: Client) -> None:
    response = officer_client.get("/")

    assert "No campaigns yet" in text_of(response)
    assert 'href="/campaigns/new/"' in response.content.decode()


def test_dashboard_offers_delete_for_drafts_only(officer: Any, officer_client: Client) -> None:
    draft = make_campaign(officer, "Draft", template=False)
    sent = make_campaign(officer, "Sent", template=False)
    Campaign.objects.filter(pk=sent.pk).update(status=CampaignStatus.SENT)

    page = officer_client.get("/").content.decode()

    assert (
        f'action="/campaigns/{draft.pk}/delete/" '
        'data-confirm="Delete the draft “Draft”? This cannot be undone."' in page
    )
    assert f"/campaigns/{sent.pk}/delete/" not in page
    assert f'action="/campaigns/{sent.pk}/duplicate/"' in page
    assert f'href="/campaigns/{sent.pk}/rename/"' in page


def test_dashboard_runs_the_same_queries_for_one_and_three_campaigns(
    officer: Any, officer_client: Client, django_assert_num_queries: Any
) -> None:
    launched(officer, name="One")
    with CaptureQueriesContext(connection) as one:
        officer_client.get("/")
    launched(officer, name="Two")
    make_campaign(officer, "Three")

    with django_assert_num_queries(len(one.captured_queries)):
        response = officer_client.get("/")

    assert rows_of(response) == ["Three", "Two", "One"]


# Create, rename, duplicate, delete


def test_create_makes_an_email_draft_and_opens_its_message(officer: Any, officer_client: Client) -> None:
    response = officer_client.post("/campaigns/new/", {"name": "  Haze advisory ", "channel": "email"})

    campaign = Campaign.objects.get(owner=officer)
    assert (campaign.name, campaign.channel, campaign.status) == ("Haze advisory", "email", "draft")
    assert CampaignStats.objects.filter(campaign=campaign).exists()
    assert response["Location"] == f"/campaigns/{campaign.pk}/template/"


def test_create_offers_email_and_sms_and_refuses_other_channels(officer: Any, officer_client: Client) -> None:
    page = officer_client.get("/campaigns/new/")
    response = officer_client.post("/campaigns/new/", {"name": "Texts", "channel": "fax"})

    assert "SMS goes through your own Twilio account: add it in SMS settings." in text_of(page)
    assert 'value="sms"' in page.content.decode()
    assert response.context["form"].errors == {
        "channel": ["Select a valid choice. fax is not one of the available choices."]
    }
    assert Campaign.objects.count() == 0


def test_create_requires_a_name(officer_client: Client) -> None:
    response = officer_client.post("/campaigns/new/", {"name": " ", "channel": "email"})

    assert response.status_code == 200
    assert "This field is required." in text_of(response)
    assert Campaign.objects.count() == 0


def test_rename_changes_the_name(officer: Any, officer_client: Client) -> None:
    campaign = make_campaign(officer, "Old name")

    page = officer_client.get(f"/campaigns/{campaign.pk}/rename/").content.decode()
    response = officer_client.post(f"/campaigns/{campaign.pk}/rename/", {"name": "New name"}, follow=True)

    assert 'value="Old name"' in page
    campaign.refresh_from_db()
    assert campaign.name == "New name"
    assert rows_of(response) == ["New name"]
    assert "Renamed to “New name”." in text_of(response)


def test_duplicate_copies_the_message_and_opens_the_copy(officer: Any, officer_client: Client) -> None:
    original = launched(officer, name="Original")

    response = officer_client.post(f"/campaigns/{original.pk}/duplicate/")

    copy = Campaign.objects.exclude(pk=original.pk).get()
    assert response["Location"] == f"/campaigns/{copy.pk}/"
    assert (copy.name, copy.status, copy.subject, copy.body) == ("Copy of Original", "draft", SUBJECT, BODY)
    assert copy.messages.count() == 0


def test_delete_removes_a_draft(officer: Any, officer_client: Client) -> None:
    campaign = make_campaign(officer, "Unwanted")

    response = officer_client.post(f"/campaigns/{campaign.pk}/delete/", follow=True)

    campaign.refresh_from_db()
    assert campaign.deleted_at is not None
    assert rows_of(response) == []
    assert "Deleted “Unwanted”." in text_of(response)


def test_delete_refuses_a_sent_campaign(officer: Any, officer_client: Client) -> None:
    campaign = launched(officer, name="Gone out")

    response = officer_client.post(f"/campaigns/{campaign.pk}/delete/", follow=True)

    campaign.refresh_from_db()
    assert campaign.deleted_at is None
    assert "Only a draft can be deleted." in text_of(response)
    assert rows_of(response) == ["Gone out"]


# Campaign page


def test_detail_shows_the_steps_of_a_draft(officer: Any, officer_client: Client) -> None:
    campaign = make_campaign(officer)

    response = officer_client.get(f"/campaigns/{campaign.pk}/")

    page = response.content.decode()
    assert "✓ Message Done Subject: Your appointment, {{name}} Change Message" in text_of(response)
    assert "2 Recipients Upload a CSV or Excel file of recipients. Open Recipients" in text_of(response)
    assert "4 Send Check the count and send. Not yet" in text_of(response)
    assert f'href="/campaigns/{campaign.pk}/recipients/"' in page
    assert f'href="/campaigns/{campaign.pk}/send/"' not in page
    assert 'id="progress"' not in page


def test_detail_marks_recipients_done_once_a_list_is_ready(officer: Any, officer_client: Client) -> None:
    campaign = ready_campaign(officer)

    response = officer_client.get(f"/campaigns/{campaign.pk}/")

    assert "✓ Recipients Done 2 recipients ready to send to." in text_of(response)
    assert f'href="/campaigns/{campaign.pk}/send/"' in response.content.decode()


def test_detail_of_a_sending_campaign_polls_progress_and_offers_exports(
    officer: Any, officer_client: Client
) -> None:
    campaign = launched(officer)

    page = officer_client.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert f'hx-get="/campaigns/{campaign.pk}/progress/" hx-trigger="every 1s"' in page
    assert f'href="/campaigns/{campaign.pk}/export.csv"' in page
    assert f'href="/campaigns/{campaign.pk}/rejected.csv"' in page
    assert "/static/js/progress.js" in page
    assert "/static/vendor/chartjs/chart.umd.min.js" in page


# Message (template)


def test_template_page_starts_with_the_officers_address_as_reply_to(
    officer: Any, officer_client: Client
) -> None:
    campaign = make_campaign(officer, template=False)

    response = officer_client.get(f"/campaigns/{campaign.pk}/template/")

    assert response.context["form"]["reply_to"].value() == "officer@agency.gov.sg"
    assert 'value="officer@agency.gov.sg"' in response.content.decode()
    assert "Rich text (HTML)" in text_of(response)
    assert "Markdown" in text_of(response)


def test_template_save_stores_it_and_moves_to_recipients(officer: Any, officer_client: Client) -> None:
    campaign = make_campaign(officer, template=False)
    data = {
        "subject": "Hello {{ Name }}",
        "body": "Dear **{{name}}**, see {{form_link}}",
        "body_format": "markdown",
        "sender_name": "Health Promotion Board",
        "reply_to": "replies@agency.gov.sg",
    }

    response = officer_client.post(f"/campaigns/{campaign.pk}/template/", data)

    campaign.refresh_from_db()
    assert response["Location"] == f"/campaigns/{campaign.pk}/recipients/"
    assert campaign.subject == "Hello {{ Name }}"
    assert campaign.body_html == "<p>Dear <strong>{{name}}</strong>, see {{form_link}}</p>"
    assert campaign.keywords == ["form_link", "name"]
    assert (campaign.sender_name, campaign.reply_to) == ("Health Promotion Board", "replies@agency.gov.sg")


def test_template_page_lists_the_columns_the_file_needs(officer: Any, officer_client: Client) -> None:
    campaign = make_campaign(officer)

    page = officer_client.get(f"/campaigns/{campaign.pk}/template/").content.decode()

    columns = re.search(r'data-testid="columns">(.*?)</ul>', page, re.S)
    assert columns is not None
    assert re.findall(r"<code>(\w+)</code>", columns.group(1)) == ["recipient", "form_link", "name"]
    assert "become clickable links" in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Hi {{first name}}",
            'Invalid keyword "{{first name}}" at line 1, column 4: '
            "keywords may contain only letters, numbers and underscores.",
        ),
        ("Hi {{ }}", 'Empty keyword "{{ }}" at line 1, column 4.'),
        ("Hi {{name", 'Unclosed "{{" at line 1, column 4: add "}}" to close the keyword.'),
        (
            "{{#items}} x",
            '"{{#items}}" at line 1, column 1: '
            "sections and other template logic are not supported; use {{keyword}} only.",
        ),
        (
            "Hi {% if x %}",
            'Template tag "{% if x %}" at line 1, column 4: '
            "template tags are not supported; use {{keyword}} only.",
        ),
        (
            "Hi {{{name}}}",
            'Too many braces in "{{{name}}}" at line 1, column 4: '
            "write keywords with exactly two braces, like {{keyword}}.",
        ),
        (
            "Hi {{ {{name}} }}",
            'Nested keyword "{{ {{name}} }}" at line 1, column 4: a keyword cannot contain another keyword.',
        ),
    ],
)
@pytest.mark.parametrize("field", ["subject", "body"])
def test_template_error_is_shown_under_its_field(
    field: str, text: str, message: str, officer: Any, officer_client: Client
) -> None:
    campaign = make_campaign(officer, template=False)
    data = {
        "subject": "Fine subject",
        "body": "Fine body",
        "body_format": "markdown",
        "reply_to": "a@agency.gov.sg",
    }
    data[field] = text

    response = officer_client.post(f"/campaigns/{campaign.pk}/template/", data)

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    page = html.unescape(response.content.decode())
    assert re.search(rf'id="error_1_id_{field}"[^>]*>\s*<strong>{re.escape(message)}</strong>', page)
    campaign.refresh_from_db()
    assert (campaign.subject, campaign.template_version) == ("", 0)


def test_template_errors_in_both_fields_each_show(officer: Any, officer_client: Client) -> None:
    campaign = make_campaign(officer, template=False)
    data = {
        "subject": "Hi {{name",
        "body": "<p>{{ }}</p>",
        "body_format": "rich",
        "reply_to": "a@agency.gov.sg",
    }

    response = officer_client.post(f"/campaigns/{campaign.pk}/template/", data)

    assert response.context["form"].errors == {
        "subject": ['Unclosed "{{" at line 1, column 4: add "}}" to close the keyword.'],
        "body": ['Empty keyword "{{ }}" at line 1, column 4.'],
    }


def test_template_of_a_sent_campaign_cannot_be_opened(officer: Any, officer_client: Client) -> None:
    campaign = launched(officer)

    response = officer_client.post(
        f"/campaigns/{campaign.pk}/template/",
        {"subject": "Changed", "body": "Changed", "body_format": "rich", "reply_to": "a@agency.gov.sg"},
        follow=True,
    )

    campaign.refresh_from_db()
    assert campaign.subject == SUBJECT
    assert "its message and recipients can no longer change" in text_of(response)


# Recipients


def test_recipients_upload_through_the_page_stores_the_file(officer: Any, officer_client: Client) -> None:
    campaign = make_campaign(officer)
    file = SimpleUploadedFile("people.csv", LIST.encode(), content_type="text/csv")

    response = officer_client.post(f"/campaigns/{campaign.pk}/recipients/", {"file": file}, follow=True)

    recipient_file = campaign.recipient_files.get()
    assert (recipient_file.original_name, recipient_file.status) == ("people.csv", "pending")
    assert recipient_file.headers == []  # read by the ingest task, never in the request
    assert response.redirect_chain == [(f"/campaigns/{campaign.pk}/recipients/", 302)]
    assert "Uploaded people.csv. Checking every row now." in text_of(response)
    assert f'hx-get="/campaigns/{campaign.pk}/recipients/" hx-trigger="every 2s"' in response.content.decode()


def test_recipients_upload_without_a_file_says_so(officer: Any, officer_client: Client) -> None:
    campaign = make_campaign(officer)

    response = officer_client.post(f"/campaigns/{campaign.pk}/recipients/", {}, follow=True)

    assert "This field is required." in text_of(response)
    assert RecipientFile.objects.count() == 0


def test_recipients_upload_before_the_message_is_refused(officer: Any, officer_client: Client) -> None:
    campaign = make_campaign(officer, template=False)
    file = SimpleUploadedFile("people.csv", LIST.encode(), content_type="text/csv")

    response = officer_client.post(f"/campaigns/{campaign.pk}/recipients/", {"file": file}, follow=True)

    assert "Write the message first: the file is checked against its keywords." in text_of(response)
    assert RecipientFile.objects.count() == 0


def test_recipients_page_shows_counts_notes_and_rejected_link(officer: Any, officer_client: Client) -> None:
    campaign = ready_campaign(officer)
    RecipientFile.objects.filter(campaign=campaign).update(notes=["Hidden rows were read as well."])

    page = officer_client.get(f"/campaigns/{campaign.pk}/recipients/").content.decode()

    counts = dict(re.findall(r'data-testid="count-(\w+)">([\d,]+)<', page))
    assert counts == {"total": "4", "valid": "2", "invalid": "1", "duplicates": "1", "suppressed": "0"}
    assert "Hidden rows were read as well." in page
    assert f'href="/campaigns/{campaign.pk}/rejected.csv"' in page
    assert "Download the 2 rejected rows (CSV)" in page
    assert "A new upload replaces the current list." in page
    assert "hx-trigger" not in page


def test_recipients_page_previews_the_first_message(officer: Any, officer_client: Client) -> None:
    campaign = ready_campaign(officer)

    response = officer_client.get(f"/campaigns/{campaign.pk}/recipients/")

    assert "To alice@mail.sg Subject Your appointment, Alice" in text_of(response)
    assert (
        f'<iframe class="preview-frame" sandbox src="/campaigns/{campaign.pk}/preview/"'
        in response.content.decode()
    )


def test_preview_renders_the_first_recipients_values_in_a_sandbox(
    officer: Any, officer_client: Client
) -> None:
    campaign = ready_campaign(officer)

    response = officer_client.get(f"/campaigns/{campaign.pk}/preview/")

    body = response.content.decode()
    assert "<p>Dear Alice,</p>" in body
    assert '<a href="https://go.gov.sg/alice" rel="noopener noreferrer">https://go.gov.sg/alice</a>' in body
    assert response["Content-Security-Policy"] == (
        "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'"
    )
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_recipients_page_may_frame_the_preview(officer: Any, officer_client: Client) -> None:
    campaign = ready_campaign(officer)

    response = officer_client.get(f"/campaigns/{campaign.pk}/recipients/")

    # frame-src falls back to default-src, which allows same-origin frames; no script may run.
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-src" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_recipients_malformed_file_shows_its_message_and_keeps_no_rows(
    officer: Any, officer_client: Client
) -> None:
    campaign = make_campaign(officer)

    recipient_file = upload(campaign, "email,name,form_link\nalice@mail.sg,Alice,https://go.gov.sg/a\n")
    page = text_of(officer_client.get(f"/campaigns/{campaign.pk}/recipients/"))

    assert recipient_file.status == "failed"
    assert 'The file needs a "recipient" column.' in page
    assert Message.objects.count() == 0
    assert "Your earlier list" not in page


def test_recipients_failed_upload_says_the_earlier_list_is_kept(officer: Any, officer_client: Client) -> None:
    campaign = ready_campaign(officer)

    upload(campaign, "recipient,name\nalice@mail.sg,Alice\n")
    page = text_of(officer_client.get(f"/campaigns/{campaign.pk}/recipients/"))

    assert 'The file is missing the column "form_link" that the template uses.' in page
    assert "Your earlier list of 4 rows is unchanged." in page
    assert Message.objects.filter(campaign=campaign).count() == 4


def test_recipients_status_polls_while_the_file_is_read_then_stops(
    officer: Any, officer_client: Client
) -> None:
    campaign = make_campaign(officer)
    recipient_file = services.upload_recipients(
        campaign=campaign, upload=SimpleUploadedFile("people.csv", LIST.encode(), content_type="text/csv")
    )
    cache.set(ingest_progress_key(recipient_file.pk), 1500)
    url = f"/campaigns/{campaign.pk}/recipients/"

    reading = officer_client.get(url, headers={"HX-Request": "true"})
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    done = officer_client.get(url, headers={"HX-Request": "true"})

    assert reading.status_code == 200
    assert "Checking every row… 1,500 rows read so far." in text_of(reading)
    assert 'hx-trigger="every 2s"' in reading.content.decode()
    assert "<html" not in reading.content.decode()
    assert done.status_code == 286
    assert 'data-testid="count-valid">2<' in done.content.decode()
    assert "hx-trigger" not in done.content.decode()


def test_rejected_csv_lists_rejected_rows_with_reasons(officer: Any, officer_client: Client) -> None:
    content = LIST + "=cmd|' /C calc'!A0,Eve,https://go.gov.sg/eve\n"
    campaign = ready_campaign(officer, content)

    response = officer_client.get(f"/campaigns/{campaign.pk}/rejected.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="vaccination-reminder-rejected-rows.csv"'
    rows = csv_rows(response)
    assert rows[0] == ["row", "recipient", "reason"]
    assert [row[:2] for row in rows[1:]] == [
        ["3", "not-an-email"],
        ["5", "alice@mail.sg"],
        ["6", "'=cmd|' /C calc'!A0"],
    ]
    assert rows[2][2] == "Duplicate of row 2"
    assert rows[1][2].startswith("Not a valid email address")


# Test send


def test_test_send_delivers_the_first_message_to_the_dev_inbox(officer: Any, officer_client: Client) -> None:
    campaign = ready_campaign(officer)

    page = officer_client.get(f"/campaigns/{campaign.pk}/test/")
    response = officer_client.post(
        f"/campaigns/{campaign.pk}/test/", {"email": "me@agency.gov.sg"}, follow=True
    )

    assert page.context["form"]["email"].value() == "officer@agency.gov.sg"
    sent = InboxMessage.objects.get()
    assert (sent.to, sent.subject) == ("me@agency.gov.sg", "[Test] Your appointment, Alice")
    assert "<p>Dear Alice,</p>" in sent.html
    assert "Test email sent to me@agency.gov.sg." in text_of(response)
    assert Message.objects.filter(campaign=campaign, status="queued").count() == 2


def test_test_send_without_recipients_shows_why(officer: Any, officer_client: Client) -> None:
    campaign = make_campaign(officer)

    response = officer_client.post(f"/campaigns/{campaign.pk}/test/", {"email": "me@agency.gov.sg"})

    assert "Upload a recipient file with at least one valid recipient first." in text_of(response)
    assert InboxMessage.objects.count() == 0


def test_test_send_rejects_a_malformed_address(officer: Any, officer_client: Client) -> None:
    campaign = ready_campaign(officer)

    response = officer_client.post(f"/campaigns/{campaign.pk}/test/", {"email": "not an address"})

    assert response.context["form"].errors == {"email": ["Enter a valid email address."]}
    assert InboxMessage.objects.count() == 0


# Send


def test_send_page_asks_to_confirm_the_count(officer: Any, officer_client: Client) -> None:
    campaign = ready_campaign(officer)

    page = text_of(officer_client.get(f"/campaigns/{campaign.pk}/send/"))

    assert "Send to 2 recipients?" in page
    assert "Send now" in page


def test_send_starts_sending_at_the_chosen_rate(officer: Any, officer_client: Client) -> None:
    campaign = ready_campaign(officer)

    response = officer_client.post(f"/campaigns/{campaign.pk}/send/", {"send_rate": "20"}, follow=True)

    campaign.refresh_from_db()
    assert (campaign.status, campaign.send_rate) == ("sending", 20)
    assert campaign.started_at is not None
    assert response.redirect_chain == [(f"/campaigns/{campaign.pk}/", 302)]
    assert "Sending “Vaccination reminder” has started." in text_of(response)


def test_send_with_a_blank_rate_sends_as_fast_as_allowed(officer: Any, officer_client: Client) -> None:
    campaign = ready_campaign(officer)

    officer_client.post(f"/campaigns/{campaign.pk}/send/", {"send_rate": ""})

    campaign.refresh_from_db()
    assert (campaign.status, campaign.send_rate) == ("sending", None)


def test_send_refuses_a_rate_below_one(officer: Any, officer_client: Client) -> None:
    campaign = ready_campaign(officer)

    response = officer_client.post(f"/campaigns/{campaign.pk}/send/", {"send_rate": "0"})

    assert response.context["form"].errors == {
        "send_rate": ["Ensure this value is greater than or equal to 1."]
    }
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_send_refuses_when_nobody_can_be_sent_to(officer: Any, officer_client: Client) -> None:
    campaign = ready_campaign(officer, "recipient,name,form_link\nnot-an-email,X,https://go.gov.sg/x\n")

    page = text_of(officer_client.get(f"/campaigns/{campaign.pk}/send/"))
    response = officer_client.post(f"/campaigns/{campaign.pk}/send/", {})

    assert "Nothing to send yet: there are no valid recipients." in page
    assert "Send now" not in page
    assert "There is nobody to send to: upload a file with valid recipients." in text_of(response)
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_send_of_a_campaign_already_sending_goes_to_its_page(officer: Any, officer_client: Client) -> None:
    campaign = launched(officer)

    response = officer_client.get(f"/campaigns/{campaign.pk}/send/", follow=True)

    assert response.redirect_chain == [(f"/campaigns/{campaign.pk}/", 302)]
    assert "This campaign has already been sent or scheduled." in text_of(response)


# Live progress


def test_progress_partial_shows_the_counters_while_sending(officer: Any, officer_client: Client) -> None:
    campaign = launched(officer)
    CampaignStats.objects.filter(pk=campaign.pk).update(queued=0, sent=1, failed=1, unsubscribed=0)

    response = officer_client.get(f"/campaigns/{campaign.pk}/progress/", headers={"HX-Request": "true"})

    page = response.content.decode()
    assert response.status_code == 200
    stats = dict(re.findall(r'data-testid="stat-(\w+)">([\d,]+)<', page))
    assert stats == {
        "sent": "1",
        "sending": "0",
        "queued": "0",
        "failed": "1",
        "suppressed": "0",
        "invalid": "1",
        "duplicate": "1",
        "total": "4",
        "delivered": "0",
        "bounced": "0",
        "unsubscribed": "0",
    }
    assert "4 of 4 rows done (100%)" in text_of(response)
    assert 'data-percent="100"' in page
    assert f'hx-get="/campaigns/{campaign.pk}/progress/" hx-trigger="every 1s"' in page
    assert "<html" not in page


def test_progress_partial_returns_286_once_the_campaign_is_sent(officer: Any, officer_client: Client) -> None:
    campaign = launched(officer)

    still_sending = engine.run_for(campaign.pk, seconds=5)
    response = officer_client.get(f"/campaigns/{campaign.pk}/progress/", headers={"HX-Request": "true"})

    assert still_sending is False
    assert response.status_code == 286
    assert 'data-testid="stat-sent">2<' in response.content.decode()
    assert (
        '<span id="campaign-status" hx-swap-oob="true">'
        '<span class="badge status-badge status-sent" data-testid="status">Sent</span>'
    ) in response.content.decode()
    assert "hx-trigger" not in response.content.decode()


def test_progress_charts_messages_sent_over_time(officer: Any, officer_client: Client) -> None:
    campaign = launched(officer)
    record_sent(campaign.pk, 3, now=1_700_000_000)
    record_sent(campaign.pk, 5, now=1_700_000_001)

    page = officer_client.get(
        f"/campaigns/{campaign.pk}/progress/", headers={"HX-Request": "true"}
    ).content.decode()

    # 1700000000 is 22 Nov 2023, 06:13:20 in Singapore.
    assert (
        '<script id="chart-data" type="application/json">[["06:13:20", 3.0], ["06:13:21", 5.0]]</script>'
        in page
    )
    assert '<canvas data-chart="sent"' in page


def test_progress_without_htmx_goes_to_the_campaign_page(officer: Any, officer_client: Client) -> None:
    campaign = launched(officer)

    response = officer_client.get(f"/campaigns/{campaign.pk}/progress/")

    assert response["Location"] == f"/campaigns/{campaign.pk}/"


def test_progress_partial_queries_do_not_grow_with_messages(
    officer: Any, officer_client: Client, django_assert_num_queries: Any
) -> None:
    one = launched(officer, "recipient,name,form_link\na@mail.sg,A,https://go.gov.sg/a\n", name="One")
    three = launched(
        officer,
        "recipient,name,form_link\na@mail.sg,A,https://go.gov.sg/a\nb@mail.sg,B,https://go.gov.sg/b\n"
        "c@mail.sg,C,https://go.gov.sg/c\n",
        name="Three",
    )
    with CaptureQueriesContext(connection) as for_one:
        officer_client.get(f"/campaigns/{one.pk}/progress/", headers={"HX-Request": "true"})

    with django_assert_num_queries(len(for_one.captured_queries)):
        response = officer_client.get(f"/campaigns/{three.pk}/progress/", headers={"HX-Request": "true"})

    assert 'data-testid="stat-queued">3<' in response.content.decode()


# Export


def test_export_csv_has_every_message_with_its_columns_and_neutralises_formulas(
    officer: Any, officer_client: Client
) -> None:
    content = (
        "recipient,name,form_link,ward\n"
        'alice@mail.sg,"=HYPERLINK(""x"")",https://go.gov.sg/a,+65\n'
        "bob@mail.sg,Bob,https://go.gov.sg/b,@home\n"
        "bad,-Carol,https://go.gov.sg/c,\n"
    )
    campaign = launched(officer, content, name="Results: March / 2025")
    sent_at = datetime(2025, 3, 3, 1, 2, 3, tzinfo=UTC)
    delivered_at = datetime(2025, 3, 3, 1, 2, 9, tzinfo=UTC)
    Message.objects.filter(campaign=campaign, row_number=2).update(
        status=MessageStatus.DELIVERED, sent_at=sent_at, delivered_at=delivered_at, updated_at=delivered_at
    )
    Message.objects.filter(campaign=campaign, row_number=3).update(
        status=MessageStatus.FAILED, error_code="MessageRejected", error="=Rejected", updated_at=sent_at
    )

    response = officer_client.get(f"/campaigns/{campaign.pk}/export.csv")

    assert response["Content-Disposition"] == 'attachment; filename="results-march-2025-results.csv"'
    assert csv_rows(response) == [
        [
            "row",
            "recipient",
            "status",
            "error_code",
            "error",
            "sent_at",
            "delivered_at",
            "updated_at",
            "name",
            "form_link",
            "ward",
        ],
        [
            "2",
            "alice@mail.sg",
            "delivered",
            "",
            "",
            "2025-03-03T09:02:03+08:00",
            "2025-03-03T09:02:09+08:00",
            "2025-03-03T09:02:09+08:00",
            '\'=HYPERLINK("x")',
            "https://go.gov.sg/a",
            "'+65",
        ],
        [
            "3",
            "bob@mail.sg",
            "failed",
            "MessageRejected",
            "'=Rejected",
            "",
            "",
            "2025-03-03T09:02:03+08:00",
            "Bob",
            "https://go.gov.sg/b",
            "'@home",
        ],
        [
            "4",
            "bad",
            "invalid",
            "invalid",
            Message.objects.get(row_number=4).error,
            "",
            "",
            "",
            "'-Carol",
            "https://go.gov.sg/c",
            "",
        ],
    ]
