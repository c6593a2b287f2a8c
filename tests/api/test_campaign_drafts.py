"""The campaign API's drafts: create, list, template and upload with its ingest, driven with a key.

The ingest task runs inline here (it is a plain function call); the whole flow against a real
worker is in test_campaign_flow.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campaigns.models import (
    Campaign,
    Message,
    RecipientFile,
)
from tests.api.campaign_calls import (
    BASE,
    TEMPLATE,
    create,
    csv_rows,
    ingest,
    post,
    put,
    ready_campaign,
    upload,
)
from tests.api.conftest import ApiClient
from tests.factories import csv_bytes, make_email_campaign, people
from tests.test_upload_limits import post_streamed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_create_campaign_answers_the_draft_with_its_location(api_client: ApiClient, officer: Any) -> None:
    response = post(api_client, BASE, {"name": "Clinic reminders", "channel": "email"})

    body = response.json()
    campaign = Campaign.objects.get()
    assert response.status_code == 201
    assert response["Location"] == f"{BASE}/{campaign.pk}"
    assert (campaign.owner, campaign.name, campaign.channel, campaign.status) == (
        officer,
        "Clinic reminders",
        "email",
        "draft",
    )
    assert body["id"] == campaign.pk
    assert (body["status"], body["template"], body["recipients"], body["sms"]) == ("draft", None, None, None)
    assert body["counts"]["total"] == 0
    assert body["export_url"] == f"{BASE}/{campaign.pk}/export"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"name": "A", "channel": "telegram"}, "\"channel\" input should be 'email' or 'sms'"),
        ({"name": "A", "channel": "protected"}, "\"channel\" input should be 'email' or 'sms'"),
        ({"channel": "email"}, '"name" is required'),
        (
            {"name": "Two\nlines", "channel": "email"},
            '"name": Write this on one line, without line breaks or control characters (found U+000A).',
        ),
        ({"name": "   ", "channel": "email"}, '"name": This field is required.'),
        ({"name": "A", "channel": "email", "protect": True}, '"protect" is not allowed'),
    ],
)
def test_create_campaign_with_bad_input_is_400_and_creates_nothing(
    api_client: ApiClient, payload: dict[str, Any], message: str
) -> None:
    response = post(api_client, BASE, payload)

    assert (response.status_code, response.json()) == (400, {"code": "api_validation", "message": message})
    assert not Campaign.objects.exists()


def test_create_campaign_with_idempotency_key_creates_one(api_client: ApiClient) -> None:
    payload = {"name": "Once", "channel": "sms"}
    first = api_client.post(BASE, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api_client.post(BASE, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"] == Campaign.objects.get().pk


def test_every_endpoint_answers_404_for_another_officers_campaign(
    api_client: ApiClient, other_officer: Any, tmp_path: Path
) -> None:
    theirs = make_email_campaign(other_officer, people(3), tmp_path=tmp_path)
    file_id = RecipientFile.objects.get(campaign=theirs).pk
    url = f"{BASE}/{theirs.pk}"
    calls = [
        api_client.get(url),
        api_client.delete(url),
        put(api_client, f"{url}/template", TEMPLATE),
        upload(api_client, theirs.pk, csv_bytes(people(1))),
        api_client.get(f"{url}/recipients/{file_id}"),
        api_client.get(f"{url}/recipients/{file_id}/rejected"),
        post(api_client, f"{url}/test"),
        post(api_client, f"{url}/send"),
        *(post(api_client, f"{url}/{action}") for action in ["pause", "resume", "retry", "cancel"]),
        api_client.get(f"{url}/export"),
    ]

    for response in calls:
        assert (response.status_code, response.json()) == (
            404,
            {"code": "not_found", "message": "Campaign not found."},
        ), response.request["PATH_INFO"]
    theirs.refresh_from_db()
    assert (theirs.status, theirs.subject, theirs.deleted_at) == ("draft", "Hello {{name}}", None)
    assert RecipientFile.objects.filter(campaign=theirs).count() == 1
    assert api_client.get(BASE).json() == {"has_more": False, "data": []}


def test_list_shows_only_own_campaigns_newest_first_with_filters(
    api_client: ApiClient, other_officer: Any
) -> None:
    first = create(api_client, "email", "First")
    second = create(api_client, "sms", "Second")
    post(Client(), BASE, {})  # no key: nothing
    make_email_campaign(other_officer, [], tmp_path=Path("."), name="Theirs")

    everything = api_client.get(BASE).json()
    sms_only = api_client.get(BASE, {"channel": "sms"}).json()
    paged = api_client.get(BASE, {"limit": 1}).json()

    assert [c["id"] for c in everything["data"]] == [second["id"], first["id"]]
    assert [c["id"] for c in sms_only["data"]] == [second["id"]]
    assert (paged["has_more"], [c["id"] for c in paged["data"]]) == (True, [second["id"]])
    assert api_client.get(BASE, {"page": 2}).json() == {
        "code": "api_validation",
        "message": '"page" is not allowed',
    }


def test_email_template_is_saved_with_the_owner_as_default_reply_to(api_client: ApiClient) -> None:
    campaign = create(api_client)

    response = put(api_client, f"{BASE}/{campaign['id']}/template", TEMPLATE)

    template = response.json()["template"]
    assert response.status_code == 200
    assert template == {
        "subject": "Hello {{name}}",
        "body": TEMPLATE["body"],
        "body_format": "rich",
        "sender_name": None,
        "reply_to": "officer@agency.gov.sg",
        "keywords": ["code", "name"],
        "columns": ["recipient", "code", "name"],
    }
    saved = Campaign.objects.get()
    assert (saved.subject, saved.keywords, saved.template_version) == ("Hello {{name}}", ["code", "name"], 1)


def test_markdown_template_is_rendered_to_html_once(api_client: ApiClient) -> None:
    campaign = create(api_client)

    put(
        api_client,
        f"{BASE}/{campaign['id']}/template",
        {"subject": "Hi", "body": "Dear **{{name}}**", "body_format": "markdown"},
    )

    assert "<strong>{{name}}</strong>" in Campaign.objects.get().body_html


@pytest.mark.parametrize(
    ("payload", "answer"),
    [
        (
            {"subject": "Hi", "body": "<p>Dear {{first name}}</p>"},
            (
                "invalid_template",
                'Invalid keyword "{{first name}}" at line 1, column 9: keywords may contain only letters, '
                "numbers and underscores.",
            ),
        ),
        ({"body": "<p>Dear {{name}}</p>"}, ("api_validation", '"subject": This field is required.')),
        (
            {"subject": "Hi", "body": "x", "reply_to": "not an address"},
            ("api_validation", '"reply_to": Enter a valid email address.'),
        ),
        ({"subject": "Hi", "body": "x", "body_format": "html"}, None),
    ],
)
def test_bad_email_template_is_400_and_changes_nothing(
    api_client: ApiClient, payload: dict[str, Any], answer: tuple[str, str] | None
) -> None:
    campaign = create(api_client)

    response = put(api_client, f"{BASE}/{campaign['id']}/template", payload)

    assert response.status_code == 400
    if answer:
        code, message = answer
        assert response.json()["code"] == code
        assert message in response.json()["message"]
    assert Campaign.objects.get().template_version == 0


def test_sms_template_takes_only_a_body(api_client: ApiClient) -> None:
    campaign = create(api_client, "sms")
    url = f"{BASE}/{campaign['id']}/template"

    refused = put(api_client, url, {"body": "Hi {{name}}", "subject": "No"})
    saved = put(api_client, url, {"body": "Hi {{name}},\r\nsee you."})

    assert refused.json() == {
        "code": "api_validation",
        "message": '"subject" is not allowed for an SMS campaign',
    }
    assert saved.status_code == 200
    assert saved.json()["template"]["body"] == "Hi {{name}},\nsee you."
    assert Campaign.objects.get().body == "Hi {{name}},\nsee you."


def test_upload_answers_202_with_a_url_that_shows_the_ingest_result(api_client: ApiClient) -> None:
    campaign = create(api_client)
    put(api_client, f"{BASE}/{campaign['id']}/template", TEMPLATE)
    rows = [*people(5), {"recipient": "not-an-email", "name": "Bad", "code": "X"}]
    rows += [{"recipient": "person1@example.com", "name": "Again", "code": "Y"}]

    accepted = upload(api_client, campaign["id"], csv_bytes(rows))
    pending = api_client.get(accepted["Location"]).json()
    ingest(accepted.json())
    ready = api_client.get(accepted["Location"]).json()

    assert accepted.status_code == 202
    assert accepted["Location"] == accepted.json()["url"]
    assert (accepted.json()["status"], pending["status"], pending["file_name"]) == (
        "pending",
        "pending",
        "people.csv",
    )
    assert ready["status"] == "ready"
    assert (ready["total"], ready["valid"], ready["invalid"], ready["duplicates"]) == (7, 5, 1, 1)
    assert ready["columns"] == ["recipient", "name", "code"]
    rejected = api_client.get(ready["rejected_rows_url"])
    assert rejected["Content-Type"] == "text/csv; charset=utf-8"
    lines = csv_rows(rejected)
    assert lines[0] == ["row", "recipient", "reason"]
    assert [line[:2] for line in lines[1:]] == [["7", "not-an-email"], ["8", "person1@example.com"]]
    assert api_client.get(f"{BASE}/{campaign['id']}").json()["counts"]["queued"] == 5


def test_upload_refused_by_ingest_shows_the_reason_and_keeps_the_list(api_client: ApiClient) -> None:
    campaign = ready_campaign(api_client, people(3))

    accepted = upload(api_client, campaign["id"], b"recipient,name\nperson9@example.com,Nine\n")
    ingest(accepted.json())

    failed = api_client.get(accepted["Location"]).json()
    assert failed["status"] == "failed"
    assert '"code"' in failed["error"]
    assert failed["rejected_rows_url"] is None
    assert api_client.get(f"{accepted['Location']}/rejected").status_code == 404
    assert Message.objects.filter(campaign_id=campaign["id"]).count() == 3


@pytest.mark.parametrize(
    ("send", "answer"),
    [
        (lambda c, url: c.post(url, {}), (400, "api_validation", '"file": This field is required.')),
        (
            lambda c, url: c.post(url, {"file": SimpleUploadedFile("a.csv", b"")}),
            (400, "api_validation", '"file": The submitted file is empty.'),
        ),
        (
            lambda c, url: c.post(url, b"recipient\n", content_type="text/csv"),
            (400, "malformed", 'Send the file as multipart/form-data, in the field "file".'),
        ),
        (
            lambda c, url: c.post(url, {"file": SimpleUploadedFile("a.csv", b"x"), "name": "y"}),
            (400, "api_validation", '"name" is not allowed'),
        ),
    ],
)
def test_bad_upload_is_refused_and_stores_nothing(
    api_client: ApiClient, send: Any, answer: tuple[int, str, str]
) -> None:
    campaign = create(api_client)
    put(api_client, f"{BASE}/{campaign['id']}/template", TEMPLATE)

    response = send(api_client, f"{BASE}/{campaign['id']}/recipients")

    status, code, message = answer
    assert (response.status_code, response.json()) == (status, {"code": code, "message": message})
    assert not RecipientFile.objects.exists()


def test_upload_before_the_template_is_403(api_client: ApiClient) -> None:
    campaign = create(api_client)

    response = upload(api_client, campaign["id"], csv_bytes(people(2)))

    assert (response.status_code, response.json()) == (
        403,
        {
            "code": "not_allowed",
            "message": "Write the message first: the file is checked against its keywords.",
        },
    )
    assert not RecipientFile.objects.exists()


def test_delete_only_a_draft(api_client: ApiClient) -> None:
    draft = create(api_client)
    sending = ready_campaign(api_client, people(1))
    post(api_client, f"{BASE}/{sending['id']}/send")

    deleted = api_client.delete(f"{BASE}/{draft['id']}")
    refused = api_client.delete(f"{BASE}/{sending['id']}")

    assert deleted.status_code == 204
    assert api_client.get(f"{BASE}/{draft['id']}").status_code == 404
    assert refused.json() == {"code": "not_allowed", "message": "Only a draft can be deleted."}


def test_a_key_does_not_open_the_campaign_pages(api_client: ApiClient) -> None:
    campaign = create(api_client)

    for path in ["/", f"/campaigns/{campaign['id']}/", f"/campaigns/{campaign['id']}/export.csv"]:
        response = api_client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_recipient_upload_past_the_page_limit_is_413_and_never_read(
    api_client: ApiClient, settings: Any
) -> None:
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    campaign = create(api_client)
    put(api_client, f"{BASE}/{campaign['id']}/template", TEMPLATE)
    big = SimpleUploadedFile("list.csv", b"recipient\n" + b"a@example.com\n" * 120_000)

    response, payload = post_streamed(api_client, f"{BASE}/{campaign['id']}/recipients", {"file": big})

    assert payload.bytes_read < 1024 * 1024 + 128 * 1024
    assert (response.status_code, response.json()) == (
        413,
        {
            "code": "payload_too_large",
            "message": "The file is larger than 1 MB. Split it into smaller files.",
        },
    )
    assert not RecipientFile.objects.exists()


def test_recipient_upload_takes_files_past_the_attachment_limit(api_client: ApiClient, settings: Any) -> None:
    settings.API_UPLOAD_MAX_BYTES = 1024
    campaign = create(api_client)
    put(api_client, f"{BASE}/{campaign['id']}/template", TEMPLATE)

    response = upload(api_client, campaign["id"], csv_bytes(people(200)))

    assert response.status_code == 202
    assert RecipientFile.objects.get().size_bytes > 1024


def test_listing_costs_the_same_queries_for_one_campaign_or_three(api_client: ApiClient) -> None:
    counts = []
    for total in (1, 3):
        while Campaign.objects.count() < total:
            create(api_client, "email" if total % 2 else "sms")
        with CaptureQueriesContext(connection) as queries:
            assert len(api_client.get(BASE).json()["data"]) == total
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_a_password_protected_campaign_is_out_of_the_apis_reach(
    officer: Any, api_client: ApiClient, tmp_path: Path
) -> None:
    """Its passwords and messages must stay in the officer's browser: a key neither lists it nor
    reaches it, though it is the key owner's own."""
    from tests.protected_email.sealing import make_protected_campaign

    resident = ("resident@example.com", "a-password", "<p>Negative</p>")
    protected = make_protected_campaign(officer, [resident], tmp_path=tmp_path)

    assert api_client.get(f"{BASE}/{protected.pk}").status_code == 404
    assert put(api_client, f"{BASE}/{protected.pk}/template", TEMPLATE).status_code == 404
    assert upload(api_client, protected.pk, csv_bytes(people(1))).status_code == 404
    assert post(api_client, f"{BASE}/{protected.pk}/send").status_code == 404
    assert api_client.get(BASE).json() == {"has_more": False, "data": []}
