"""Sending API emails through the transport to the fake SES, in-process and with real workers."""

from __future__ import annotations

import email
import time
from email import policy
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Agency
from api.models import ApiSettings, TransactionalAttachment, TransactionalEmail
from api.services import apply_transactional_event
from api.services.email import deliver_email
from api.services.keys import create_api_key
from campaigns import services as campaign_services
from campaigns.models import Campaign, CampaignStatus
from channels_email.channel import EmailSender
from channels_email.transport import EmailAttachment, OutgoingEmail, mime_message
from common import ratelimit
from tests.api.conftest import EMAIL, ApiClient, send_json
from tests.factories import make_email_campaign, people
from tests.workers import Worker, worker_environment

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def wait_for(condition: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


def provider_messages(provider: Any, recipient: str) -> list[dict[str, Any]]:
    return [m for m in provider.messages("email") if recipient in m["to"]]


@pytest.mark.django_db
def test_deliver_sends_through_ses_with_every_field_and_marks_it_sent(
    officer: Any, api_client: ApiClient, ses_provider: Any
) -> None:
    officer.agency = Agency.objects.create(name="Health Promotion Board")
    officer.save()
    sent = send_json(
        api_client,
        {
            **EMAIL,
            "from": "Dr Tan <officer@agency.gov.sg>",
            "reply_to": "help@agency.gov.sg",
            "cc": ["cc@example.com"],
            "bcc": ["bcc@example.com"],
            "classification": "URGENT",
        },
    ).json()

    outcome = deliver_email(email_id=sent["id"])

    assert outcome.done
    [message] = ses_provider.messages("email")
    assert message["to"] == ["resident@example.com"]
    assert message["cc"] == ["cc@example.com"]
    assert message["bcc"] == ["bcc@example.com"]
    assert message["from"] == "Dr Tan <officer@agency.gov.sg>"
    assert message["reply_to"] == ["help@agency.gov.sg"]
    assert message["subject"] == "Your appointment"
    assert "<p>Dear resident, see you on <b>3 March</b>.</p>" in message["html"]
    assert "Health Promotion Board" in message["html"]
    assert ">Urgent</span>" in message["html"]
    assert message["text"].startswith("[URGENT]\n\nDear resident, see you on 3 March.")
    assert "Unsubscribe" not in message["html"]
    row = TransactionalEmail.objects.get(pk=sent["id"])
    assert (row.status, row.provider_id, row.attempts) == ("SENT", message["id"], 1)
    assert row.sent_at is not None
    assert api_client.get(f"/api/v1/transactional/email/{row.pk}").json()["status"] == "SENT"


@pytest.mark.django_db
def test_deliver_with_attachments_sends_raw_mime_and_then_deletes_the_files(
    api_client: ApiClient, ses_provider: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sent = api_client.post(
        "/api/v1/transactional/email/send",
        {**EMAIL, "from": "officer@agency.gov.sg", "attachments": SimpleUploadedFile("letter.pdf", PDF)},
    ).json()
    stored = str(TransactionalAttachment.objects.get().file.name)

    with django_capture_on_commit_callbacks(execute=True):
        deliver_email(email_id=sent["id"])

    [message] = ses_provider.messages("email")
    assert message["headers"]["Content-Type"].startswith("multipart/mixed")
    assert message["to"] == ["resident@example.com"]
    assert not TransactionalAttachment.objects.exists()
    assert not default_storage.exists(stored)
    row = TransactionalEmail.objects.get(pk=sent["id"])
    assert row.status == "SENT"
    assert row.attachments_metadata[0]["fileName"] == "letter.pdf"


def test_mime_message_carries_attachments_and_keeps_bcc_out_of_the_headers() -> None:
    outgoing = OutgoingEmail(
        to="a@example.com",
        subject="Letter",
        html="<p>See attached</p>",
        text="See attached",
        from_email="officer@agency.gov.sg",
        cc=("c@example.com",),
        bcc=("secret@example.com",),
        attachments=(EmailAttachment("letter.pdf", PDF, "application/pdf"),),
    )

    raw = mime_message(outgoing).message().as_bytes()

    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Cc"] == "c@example.com"
    assert parsed["Bcc"] is None
    assert b"secret@example.com" not in raw
    [attachment] = list(parsed.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_filename() == "letter.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF


@pytest.mark.django_db
def test_deliver_disable_tracking_uses_the_no_tracking_configuration_set(
    api_client: ApiClient, ses_provider: Any, settings: Any
) -> None:
    settings.SES_CONFIGURATION_SET = "tracked"
    settings.SES_NO_TRACKING_CONFIGURATION_SET = "untracked"
    plain = send_json(api_client, EMAIL).json()["id"]
    private = send_json(api_client, {**EMAIL, "disable_tracking": True}).json()["id"]

    deliver_email(email_id=plain)
    deliver_email(email_id=private)

    assert [m["configuration_set"] for m in ses_provider.messages("email")] == ["tracked", "untracked"]


@pytest.mark.django_db
def test_deliver_transient_error_keeps_it_accepted_and_asks_for_a_retry(
    api_client: ApiClient, ses_provider: Any
) -> None:
    ses_provider.configure(error_rate=1.0)
    sent = send_json(api_client, EMAIL).json()["id"]

    outcome = deliver_email(email_id=sent)

    assert (outcome.done, outcome.retry_in) == (False, 2.0)
    row = TransactionalEmail.objects.get(pk=sent)
    assert (row.status, row.attempts, row.error_code) == ("ACCEPTED", 1, "InternalFailure")


@pytest.mark.django_db
def test_deliver_fails_after_the_last_attempt_and_deletes_the_files(
    api_client: ApiClient, ses_provider: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ses_provider.configure(error_rate=1.0)
    sent = api_client.post(
        "/api/v1/transactional/email/send",
        {**EMAIL, "from": "officer@agency.gov.sg", "attachments": SimpleUploadedFile("letter.pdf", PDF)},
    ).json()["id"]
    TransactionalEmail.objects.filter(pk=sent).update(attempts=4)
    stored = str(TransactionalAttachment.objects.get().file.name)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = deliver_email(email_id=sent)

    assert outcome.done
    row = TransactionalEmail.objects.get(pk=sent)
    assert (row.status, row.attempts, row.error_code) == ("FAILED", 5, "InternalFailure")
    assert not TransactionalAttachment.objects.exists()
    assert not default_storage.exists(stored)


@pytest.mark.django_db
def test_deliver_sends_an_email_only_once(api_client: ApiClient, ses_provider: Any) -> None:
    sent = send_json(api_client, EMAIL).json()["id"]

    deliver_email(email_id=sent)
    again = deliver_email(email_id=sent)

    assert again.done
    assert len(ses_provider.messages("email")) == 1


@pytest.mark.django_db
def test_delivery_events_move_an_email_forward_only(api_client: ApiClient, ses_provider: Any) -> None:
    sent = send_json(api_client, EMAIL).json()["id"]
    deliver_email(email_id=sent)
    provider_id = TransactionalEmail.objects.get(pk=sent).provider_id

    delivered = apply_transactional_event(provider_id=provider_id, status="delivered")
    late_sent = apply_transactional_event(provider_id=provider_id, status="SENT")
    complaint = apply_transactional_event(
        provider_id=provider_id, status="complained", error_code="abuse", error="Complaint"
    )
    bounce_after = apply_transactional_event(provider_id=provider_id, status="bounced")

    assert [delivered.changed, late_sent.changed, complaint.changed, bounce_after.changed] == [
        True,
        False,
        True,
        False,
    ]
    row = TransactionalEmail.objects.get(pk=sent)
    assert (row.status, row.error_code) == ("COMPLAINT", "abuse")
    assert row.delivered_at is not None
    answer = api_client.get(f"/api/v1/transactional/email/{sent}").json()
    assert (answer["status"], answer["error_code"], answer["error_sub_type"]) == (
        "COMPLAINT",
        "abuse",
        "Complaint",
    )


@pytest.mark.django_db
def test_bounce_event_marks_the_email_bounced_with_the_reason(
    api_client: ApiClient, ses_provider: Any
) -> None:
    sent = send_json(api_client, EMAIL).json()["id"]
    deliver_email(email_id=sent)
    provider_id = TransactionalEmail.objects.get(pk=sent).provider_id

    result = apply_transactional_event(
        provider_id=provider_id, status="bounced", error_code="Permanent", error="General"
    )

    assert result.changed
    assert result.message is not None and result.message.pk == sent
    row = TransactionalEmail.objects.get(pk=sent)
    assert (row.status, row.error_code, row.error) == ("BOUNCED", "Permanent", "General")


@pytest.mark.django_db
def test_delivery_event_for_an_unknown_id_or_status_changes_nothing(api_client: ApiClient) -> None:
    sent = send_json(api_client, EMAIL).json()["id"]

    assert apply_transactional_event(provider_id="no-such-id", status="delivered").message is None
    assert apply_transactional_event(provider_id="", status="delivered").changed is False
    TransactionalEmail.objects.filter(pk=sent).update(provider_id="p-1")
    assert apply_transactional_event(provider_id="p-1", status="opened").changed is False
    assert TransactionalEmail.objects.get(pk=sent).status == "ACCEPTED"


# With real Celery workers


@pytest.mark.django_db(transaction=True)
def test_worker_sends_an_accepted_email_to_the_provider(officer: Any, worker: Any, ses_provider: Any) -> None:
    client = ApiClient(create_api_key(owner=officer, label="System")[1])

    sent = send_json(client, EMAIL).json()

    [message] = wait_for(lambda: provider_messages(ses_provider, "resident@example.com"))
    row = wait_for(lambda: TransactionalEmail.objects.filter(pk=sent["id"], status="SENT").first())
    assert row.provider_id == message["id"]


@pytest.mark.django_db(transaction=True)
def test_same_request_twice_with_one_idempotency_key_sends_one_message(
    officer: Any, worker: Any, ses_provider: Any
) -> None:
    client = ApiClient(create_api_key(owner=officer, label="System")[1])

    first = send_json(client, EMAIL, HTTP_IDEMPOTENCY_KEY="order-7781")
    second = send_json(client, EMAIL, HTTP_IDEMPOTENCY_KEY="order-7781")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    wait_for(lambda: provider_messages(ses_provider, "resident@example.com"))
    time.sleep(1.0)  # time for a second send, were there one
    assert len(provider_messages(ses_provider, "resident@example.com")) == 1
    assert TransactionalEmail.objects.count() == 1


CAMPAIGN_SIZE = 20_000


@pytest.mark.django_db(transaction=True)
def test_transactional_email_goes_out_within_two_seconds_while_a_big_campaign_sends(
    officer: Any, worker: Any, ses_provider: Any, tmp_path: Path
) -> None:
    """The campaign worker's two slots are both taken by campaign batches (20 s slices); the
    transactional worker is free, so the API email goes out at once. Scaled down from 100,000
    recipients: what matters is that the campaign holds every campaign slot throughout."""
    ses_provider.configure(latency_ms=20)
    ApiSettings.objects.create(user=officer, rate_per_second=100)
    client = ApiClient(create_api_key(owner=officer, label="System")[1])
    campaign = make_email_campaign(officer, people(CAMPAIGN_SIZE), tmp_path=tmp_path)
    transactional = Worker(
        worker_environment(ses_provider.url),
        tmp_path / "transactional.log",
        concurrency=1,
        queues="transactional",
    )
    try:
        campaign_services.launch_campaign(campaign=campaign, by=officer)
        wait_for(lambda: len(ses_provider.messages("email")) > 500)

        posted_at = time.time()
        response = send_json(client, {**EMAIL, "recipient": "urgent@example.org"})
        [message] = wait_for(lambda: provider_messages(ses_provider, "urgent@example.org"), timeout=10)

        assert response.status_code == 201
        assert message["at"] - posted_at < 2.0

        def campaign_times() -> list[float]:
            return [m["at"] for m in ses_provider.messages("email") if m["to"][0].endswith("@example.com")]

        # The campaign was sending before and kept sending after: it held its slots throughout.
        wait_for(lambda: max(campaign_times()) > message["at"] + 1.0)
        assert min(campaign_times()) < message["at"]
        assert len(campaign_times()) < CAMPAIGN_SIZE
    finally:
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.PAUSED)
        transactional.stop()


@pytest.mark.parametrize("task", ["api.send_transactional_email", "api.send_transactional_sms"])
def test_send_tasks_are_routed_to_the_transactional_queue(task: str) -> None:
    from postman.celery import app

    assert app.amqp.router.route({}, task)["queue"].name == "transactional"


@pytest.mark.django_db
def test_messages_accepted_long_ago_and_untouched_are_found_to_send_again(api_client: ApiClient) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from api.selectors import stalled_messages

    stalled = send_json(api_client, EMAIL).json()["id"]
    recent = send_json(api_client, EMAIL).json()["id"]
    sent = send_json(api_client, EMAIL).json()["id"]
    long_ago = timezone.now() - timedelta(minutes=6)
    TransactionalEmail.objects.filter(pk__in=[stalled, sent]).update(updated_at=long_ago)
    TransactionalEmail.objects.filter(pk=sent).update(status="SENT")

    emails, sms = stalled_messages(timezone.now())

    assert (emails, sms) == ([stalled], [])
    assert recent not in emails


@pytest.mark.django_db
def test_ses_events_move_an_api_email_like_a_campaign_message(
    api_client: ApiClient, ses_provider: Any
) -> None:
    from channels_email.ses_events import record_ses_event

    sent = send_json(api_client, EMAIL).json()["id"]
    deliver_email(email_id=sent)
    provider_id = TransactionalEmail.objects.get(pk=sent).provider_id

    record_ses_event({"eventType": "Delivery", "mail": {"messageId": provider_id}})
    delivered = TransactionalEmail.objects.get(pk=sent).status
    record_ses_event(
        {
            "eventType": "Bounce",
            "mail": {"messageId": provider_id},
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "bouncedRecipients": []},
        }
    )

    assert delivered == "DELIVERED"
    assert TransactionalEmail.objects.get(pk=sent).status == "BOUNCED"


@pytest.mark.django_db
def test_api_email_waits_when_campaigns_took_the_provider_accounts_ceiling(
    api_client: ApiClient, ses_provider: Any, settings: Any
) -> None:
    settings.EMAIL_MAX_SEND_RATE = 3
    sent = send_json(api_client, EMAIL).json()
    campaigns_grant = ratelimit.acquire(EmailSender().buckets(Campaign(pk=1, send_rate=0)), 3)

    outcome = deliver_email(email_id=sent["id"])

    assert campaigns_grant.count == 3
    assert (outcome.done, outcome.retry_in > 0) == (False, True)
    assert ses_provider.messages("email") == []
    assert TransactionalEmail.objects.get(pk=sent["id"]).status == "ACCEPTED"
