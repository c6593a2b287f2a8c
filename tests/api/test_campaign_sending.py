"""The campaign API's sending: test, send now or schedule, pause, resume, retry, cancel, export,
SMS credentials and the per-officer rate, driven with a key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import ApiSettings
from api.services.keys import create_api_key
from campaigns.models import (
    Campaign,
    CampaignAction,
    CampaignStats,
    CampaignStatus,
    Message,
    MessageStatus,
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
    sms_ready,
    upload,
)
from tests.api.conftest import ApiClient
from tests.channels_sms.conftest import OWN_MOBILE, make_credential
from tests.factories import csv_bytes, people

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def twilio(fake_provider: Any, settings: Any) -> Any:
    settings.TWILIO_BASE_URL = fake_provider.url
    fake_provider.configure(twilio_callbacks=False)
    return fake_provider


def test_send_now_starts_sending_as_the_keys_owner(api_client: ApiClient, officer: Any) -> None:
    campaign = ready_campaign(api_client, people(4))

    response = post(api_client, f"{BASE}/{campaign['id']}/send", {"send_rate": 20})
    again = post(api_client, f"{BASE}/{campaign['id']}/send")

    body = response.json()
    assert (response.status_code, body["status"], body["send_rate"]) == (200, "sending", 20)
    assert body["started_at"] is not None
    action = CampaignAction.objects.get(campaign_id=campaign["id"])
    assert (action.action, action.by, action.detail) == ("started", officer, "Sent at once")
    assert (again.status_code, again.json()["code"]) == (403, "not_allowed")


def test_send_without_recipients_is_403_and_stays_a_draft(api_client: ApiClient) -> None:
    campaign = create(api_client)
    put(api_client, f"{BASE}/{campaign['id']}/template", TEMPLATE)

    response = post(api_client, f"{BASE}/{campaign['id']}/send")

    assert response.json() == {
        "code": "not_allowed",
        "message": "There is nobody to send to: upload a file with valid recipients.",
    }
    assert Campaign.objects.get().status == "draft"


def test_schedule_then_move_then_cancel(api_client: ApiClient) -> None:
    campaign = ready_campaign(api_client, people(2))
    url = f"{BASE}/{campaign['id']}"
    first = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    later = first + timedelta(hours=2)

    scheduled = post(api_client, f"{url}/send", {"scheduled_at": first.isoformat()}).json()
    moved = post(api_client, f"{url}/send", {"scheduled_at": later.isoformat()}).json()
    cancelled = post(api_client, f"{url}/cancel")
    cancelled_again = post(api_client, f"{url}/cancel")

    assert (scheduled["status"], scheduled["scheduled_at"]) == (
        "scheduled",
        first.isoformat().replace("+00:00", "Z"),
    )
    assert moved["scheduled_at"] == later.isoformat().replace("+00:00", "Z")
    assert (cancelled.status_code, cancelled.json()["status"], cancelled.json()["scheduled_at"]) == (
        200,
        "draft",
        None,
    )
    assert cancelled_again.json() == {
        "code": "not_allowed",
        "message": "Only a scheduled campaign that has not started can be cancelled.",
    }
    actions = list(CampaignAction.objects.filter(campaign_id=campaign["id"]).values_list("action", flat=True))
    assert actions == ["unscheduled", "rescheduled", "scheduled"]


@pytest.mark.parametrize(
    ("scheduled_at", "message"),
    [
        (
            "2030-03-02T09:30:00",
            '"scheduled_at" must include a time zone offset, such as 2026-03-02T09:30:00+08:00',
        ),
        (
            "next tuesday",
            '"scheduled_at" must be an ISO 8601 date and time, such as 2026-03-02T09:30:00+08:00',
        ),
        ("2020-03-02T09:30:00+08:00", '"scheduled_at": That time has passed.'),
    ],
)
def test_bad_schedule_is_400_and_stays_a_draft(
    api_client: ApiClient, scheduled_at: str, message: str
) -> None:
    campaign = ready_campaign(api_client, people(2))

    response = post(api_client, f"{BASE}/{campaign['id']}/send", {"scheduled_at": scheduled_at})

    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert Campaign.objects.get().status == "draft"


def test_pause_resume_and_retry_follow_the_campaigns_state(api_client: ApiClient) -> None:
    campaign = ready_campaign(api_client, people(3))
    url = f"{BASE}/{campaign['id']}"

    early_pause = post(api_client, f"{url}/pause")
    post(api_client, f"{url}/send")
    paused = post(api_client, f"{url}/pause").json()
    resumed = post(api_client, f"{url}/resume").json()
    early_retry = post(api_client, f"{url}/retry")

    assert early_pause.json() == {
        "code": "not_allowed",
        "message": "Only a campaign that is sending can be paused.",
    }
    assert (paused["status"], resumed["status"]) == ("paused", "sending")
    assert (
        early_retry.json()["message"]
        == "Failed messages can be retried once the campaign has finished sending."
    )


def test_retry_queues_transient_failures_again(api_client: ApiClient) -> None:
    campaign = ready_campaign(api_client, people(3))
    Message.objects.filter(campaign_id=campaign["id"]).update(status=MessageStatus.FAILED, error="Throttled")
    CampaignStats.objects.filter(pk=campaign["id"]).update(queued=0, failed=3)
    Campaign.objects.filter(pk=campaign["id"]).update(status=CampaignStatus.SENT)
    assert api_client.get(f"{BASE}/{campaign['id']}").json()["retryable"] == 3

    response = post(api_client, f"{BASE}/{campaign['id']}/retry")

    body = response.json()
    assert (body["status"], body["counts"]["queued"], body["counts"]["failed"]) == ("sending", 3, 0)
    assert set(Message.objects.filter(campaign_id=campaign["id"]).values_list("status", flat=True)) == {
        "queued"
    }


def test_test_email_goes_to_the_owner_by_default_and_only_to_government(
    api_client: ApiClient, ses_provider: Any
) -> None:
    campaign = ready_campaign(api_client, people(2))
    url = f"{BASE}/{campaign['id']}/test"

    sent = post(api_client, url)
    refused = post(api_client, url, {"to": "someone@example.com"})

    assert (sent.status_code, sent.json()) == (200, {"to": "officer@agency.gov.sg"})
    (mail,) = ses_provider.messages()
    assert (mail["to"], mail["subject"]) == (["officer@agency.gov.sg"], "[Test] Hello Person 0")
    assert refused.json() == {
        "code": "not_allowed",
        "message": "Send tests to a government address, such as your own.",
    }


def test_export_streams_every_row_with_its_outcome(api_client: ApiClient) -> None:
    campaign = ready_campaign(api_client, [*people(3), {"recipient": "=cmd", "name": "x", "code": "y"}])

    response = api_client.get(f"{BASE}/{campaign['id']}/export")

    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="clinic-reminders-results.csv"'
    header, *rows = csv_rows(response)
    assert header[:3] == ["row", "recipient", "status"]
    assert [(row[0], row[1], row[2], row[header.index("name")]) for row in rows] == [
        ("2", "person0@example.com", "queued", "Person 0"),
        ("3", "person1@example.com", "queued", "Person 1"),
        ("4", "person2@example.com", "queued", "Person 2"),
        ("5", "'=cmd", "invalid", "x"),
    ]


def test_campaign_requests_count_against_the_owners_rate_across_keys(officer: Any) -> None:
    ApiSettings.objects.update_or_create(user=officer, defaults={"rate_per_second": 2})
    keys = [ApiClient(create_api_key(owner=officer, label=f"Key {i}")[1]) for i in range(2)]

    answers = [keys[i % 2].get(BASE).status_code for i in range(4)]

    assert answers.count(429) == 2
    assert answers[:2] == [200, 200]


def test_sms_send_uses_the_credential_named_by_label(api_client: ApiClient, officer: Any) -> None:
    make_credential(officer, label="clinic-sms")
    campaign = sms_ready(api_client)
    url = f"{BASE}/{campaign['id']}/send"

    unknown = post(api_client, url, {"label": "nope"})
    missing = post(api_client, url)
    sent = post(api_client, url, {"label": "clinic-sms"})

    assert unknown.json() == {
        "code": "invalid_credential_label",
        "message": 'You have no Twilio credentials labelled "nope".',
    }
    assert missing.json() == {
        "code": "api_validation",
        "message": '"label" is required: name one of your Twilio credentials',
    }
    body = sent.json()
    assert (body["status"], body["send_rate"], body["sms"]["credential_label"]) == (
        "sending",
        10,
        "clinic-sms",
    )
    assert body["sms"]["estimated_segments"] == 3


def test_sms_test_goes_to_the_owners_own_mobile_and_keeps_the_credential(
    api_client: ApiClient, officer: Any, twilio: Any
) -> None:
    make_credential(officer, label="clinic-sms")
    campaign = sms_ready(api_client)
    url = f"{BASE}/{campaign['id']}/test"

    elsewhere = post(api_client, url, {"label": "clinic-sms", "to": "9123 4567"})
    sent = post(api_client, url, {"label": "clinic-sms"})
    scheduled = post(
        api_client,
        f"{BASE}/{campaign['id']}/send",
        {"scheduled_at": (timezone.now() + timedelta(hours=3)).isoformat()},
    )

    assert elsewhere.json() == {
        "code": "not_allowed",
        "message": f"Test SMS go only to your own Singapore mobile: {OWN_MOBILE}. "
        "To use another, add a Twilio credential with it as the test number.",
    }
    assert sent.json() == {"to": OWN_MOBILE}
    (sms,) = twilio.messages("sms")
    assert (sms["to"], sms["body"]) == (OWN_MOBILE, "[Test] Hi Person 0, your code is C0000.")
    body = scheduled.json()
    assert (body["status"], body["sms"]["credential_label"]) == ("scheduled", "clinic-sms")


def test_polling_a_campaign_costs_the_same_queries_after_one_upload_or_three(api_client: ApiClient) -> None:
    campaign = ready_campaign(api_client, people(2))
    counts = []
    for uploads in (1, 3):
        while RecipientFile.objects.count() < uploads:
            ingest(upload(api_client, campaign["id"], csv_bytes(people(2))).json())
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(f"{BASE}/{campaign['id']}").status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_a_wrong_method_or_an_unknown_path_is_the_apis_json(api_client: ApiClient) -> None:
    campaign = create(api_client)

    wrong_method = api_client.get(f"{BASE}/{campaign['id']}/send")
    unknown = api_client.get("/api/v1/campaign")

    assert (wrong_method.status_code, wrong_method["Allow"], wrong_method.json()) == (
        405,
        "POST",
        {"code": "method_not_allowed", "message": "GET is not allowed here; use POST."},
    )
    assert (unknown.status_code, unknown.json()) == (404, {"code": "not_found", "message": "Not found."})
    assert Campaign.objects.get().status == "draft"
