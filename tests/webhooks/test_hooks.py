"""API message status changes and campaign milestones become webhook events."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from api.models import ApiSettings, TransactionalEmail, TransactionalSms
from api.services import apply_transactional_event
from api.services.email import deliver_email
from api.services.keys import create_api_key
from api.services.sms import deliver_sms
from campaigns import control, engine, services
from campaigns.models import CampaignStats
from tests.api.conftest import EMAIL, ApiClient, send_json
from tests.api.test_sms import make_credential
from tests.factories import make_email_campaign, people
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.services import register_endpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback")]


@pytest.fixture
def api_client(officer: Any) -> ApiClient:
    ApiSettings.objects.update_or_create(user=officer, defaults={"rate_per_second": 1000})
    return ApiClient(create_api_key(owner=officer, label="Appointments system")[1])


def iso(moment: datetime | None) -> str:
    assert moment is not None
    return moment.isoformat()


def events_of(owner: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(e.type, e.data) for e in WebhookEvent.objects.filter(owner=owner).order_by("created_at")]


def test_api_email_status_changes_are_sent_as_they_happen(
    officer: Any, api_client: ApiClient, ses_provider: Any
) -> None:
    register_endpoint(owner=officer, url="http://127.0.0.1:9/hooks", campaign_milestones=False)
    email_id = send_json(api_client, EMAIL).json()["id"]
    accepted = events_of(officer)

    deliver_email(email_id=email_id)
    email = TransactionalEmail.objects.get(pk=email_id)
    apply_transactional_event(provider_id=email.provider_id, status="delivered")
    apply_transactional_event(provider_id=email.provider_id, status="delivered")  # a repeat changes nothing
    apply_transactional_event(provider_id=email.provider_id, status="sent")  # a late one neither

    email.refresh_from_db()
    assert accepted == []
    assert events_of(officer) == [
        (
            "message.status_changed",
            {
                "channel": "email",
                "id": email_id,
                "status": "SENT",
                "error_code": None,
                "sent_at": iso(email.sent_at),
                "delivered_at": None,
            },
        ),
        (
            "message.status_changed",
            {
                "channel": "email",
                "id": email_id,
                "status": "DELIVERED",
                "error_code": None,
                "sent_at": iso(email.sent_at),
                "delivered_at": iso(email.delivered_at),
            },
        ),
    ]
    assert WebhookDelivery.objects.count() == 2


def test_a_bounce_and_a_complaint_are_sent(officer: Any, api_client: ApiClient, ses_provider: Any) -> None:
    register_endpoint(owner=officer, url="http://127.0.0.1:9/hooks", campaign_milestones=False)
    first = send_json(api_client, EMAIL).json()["id"]
    second = send_json(api_client, {**EMAIL, "recipient": "other@example.com"}).json()["id"]
    deliver_email(email_id=first)
    deliver_email(email_id=second)
    bounced, complained = TransactionalEmail.objects.get(pk=first), TransactionalEmail.objects.get(pk=second)

    apply_transactional_event(provider_id=bounced.provider_id, status="bounced", error_code="General")
    apply_transactional_event(provider_id=complained.provider_id, status="complained")

    statuses = [(data["id"], data["status"], data["error_code"]) for _, data in events_of(officer)]
    assert statuses == [
        (first, "SENT", None),
        (second, "SENT", None),
        (first, "BOUNCED", "General"),
        (second, "COMPLAINT", None),
    ]


def test_api_sms_sent_and_failed_are_sent(
    officer: Any, api_client: ApiClient, fake_provider: Any, settings: Any
) -> None:
    settings.TWILIO_BASE_URL = fake_provider.url
    fake_provider.configure(twilio_callbacks=False, twilio_error_numbers={"+6591112222": 21211})
    make_credential(officer)
    register_endpoint(owner=officer, url="http://127.0.0.1:9/hooks", campaign_milestones=False)
    sms = {"body": "Your OTP is 123456.", "label": "clinic-sms"}
    sent = api_client.post(
        "/api/v1/transactional/sms/send", {**sms, "recipient": "9123 4567"}, "application/json"
    )
    bad = api_client.post(
        "/api/v1/transactional/sms/send", {**sms, "recipient": "9111 2222"}, "application/json"
    )

    deliver_sms(sms_id=sent.json()["id"])
    deliver_sms(sms_id=bad.json()["id"])

    assert TransactionalSms.objects.get(pk=bad.json()["id"]).status == "FAILED"
    statuses = [
        (data["channel"], data["id"], data["status"], data["error_code"]) for _, data in events_of(officer)
    ]
    assert statuses == [
        ("sms", sent.json()["id"], "SENT", None),
        ("sms", bad.json()["id"], "FAILED", "21211"),
    ]


def test_campaign_milestones_reach_endpoints_that_asked(officer: Any, tmp_path: Path) -> None:
    milestones, _ = register_endpoint(owner=officer, url="http://127.0.0.1:9/a", campaign_milestones=True)
    register_endpoint(owner=officer, url="http://127.0.0.1:9/b", campaign_milestones=False)
    campaign = make_email_campaign(officer, people(3), tmp_path=tmp_path, name="Flu jabs")

    services.launch_campaign(campaign=campaign, by=officer)
    control.pause_campaign(campaign=campaign, by=officer)
    control.resume_campaign(campaign=campaign, by=officer)
    CampaignStats.objects.filter(pk=campaign.pk).update(queued=0, sent=89, bounced=11)
    control.halt_if_bouncing(campaign_id=campaign.pk)
    control.resume_campaign(campaign=campaign, by=officer)
    engine.finish_if_done(campaign.pk)

    campaign.refresh_from_db()
    events = events_of(officer)
    assert [(kind, data["status"]) for kind, data in events] == [
        ("campaign.started", "sending"),
        ("campaign.paused", "paused"),
        ("campaign.resumed", "sending"),
        ("campaign.halted", "halted"),
        ("campaign.resumed", "sending"),
        ("campaign.finished", "sent"),
    ]
    assert events[-1][1] == {
        "id": campaign.pk,
        "name": "Flu jabs",
        "channel": "email",
        "status": "sent",
        "started_at": iso(campaign.started_at),
        "finished_at": iso(campaign.finished_at),
        "halted_reason": None,
    }
    assert events[3][1]["halted_reason"].startswith("11 of the 100 emails sent so far bounced (11%).")
    assert set(WebhookDelivery.objects.values_list("endpoint", flat=True)) == {milestones.pk}
