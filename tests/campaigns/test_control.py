from __future__ import annotations

import html
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from campaigns import control, engine, services, tasks
from campaigns.channels import channel_for
from campaigns.delivery import MAX_ATTEMPTS, Delivery
from campaigns.engine import Outcome
from campaigns.models import (
    Campaign,
    CampaignAction,
    CampaignStats,
    CampaignStatus,
    Channel,
    Message,
    MessageStatus,
)
from tests.factories import make_email_campaign, people

CONTROL_URLS = ["pause", "resume", "retry"]


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(strip_tags(response.content.decode())))


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    started: list[int] = []
    monkeypatch.setattr(tasks.start_sending, "delay", started.append)
    return started


def sending(owner: Any, tmp_path: Path, count: int = 3, **fields: Any) -> Campaign:
    campaign = make_email_campaign(owner, people(count), tmp_path=tmp_path, name="Flu jabs")
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, **fields)
    return Campaign.objects.select_related("stats").get(pk=campaign.pk)


def run_to_end(campaign: Campaign) -> None:
    while engine.run_for(campaign.pk, seconds=10, sleep=lambda s: None):
        pass


def history(campaign: Campaign) -> list[tuple[str, str | None, str]]:
    rows = CampaignAction.objects.filter(campaign=campaign).order_by("at", "id")
    return [(a.action, a.by.email if a.by else None, a.detail) for a in rows]


def counters(campaign: Campaign) -> dict[str, int]:
    stats = CampaignStats.objects.get(pk=campaign.pk)
    names = ["queued", "sending", "sent", "delivered", "failed", "bounced", "invalid", "unsubscribed"]
    return {name: getattr(stats, name) for name in names if getattr(stats, name)}


# Pause and resume


@pytest.mark.django_db
def test_pause_stops_sending_and_records_who(officer: Any, officer_client: Client, tmp_path: Path) -> None:
    campaign = sending(officer, tmp_path)

    response = officer_client.post(f"/campaigns/{campaign.pk}/pause/", follow=True)
    still_sending = engine.run_for(campaign.pk, seconds=5, sleep=lambda s: None)

    campaign.refresh_from_db()
    page = text_of(response)
    assert campaign.status == CampaignStatus.PAUSED
    assert still_sending is False
    assert counters(campaign) == {"queued": 3}
    assert "Paused. Messages already handed to the provider still go out; resume to send the rest." in page
    assert "Sending is paused. Nothing more is sent until you resume." in page
    assert "Paused by officer@agency.gov.sg" in page
    assert history(campaign) == [("paused", "officer@agency.gov.sg", "")]


@pytest.mark.django_db
def test_paused_page_asks_to_confirm_resume(officer: Any, officer_client: Client, tmp_path: Path) -> None:
    campaign = sending(officer, tmp_path)
    control.pause_campaign(campaign=campaign, by=officer)

    page = officer_client.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert re.search(
        rf'<form method="post" action="/campaigns/{campaign.pk}/resume/" '
        r'data-confirm="Resume sending “Flu jabs”\?">',
        page,
    )
    assert "Pause sending</button>" not in page


@pytest.mark.django_db
def test_sending_page_asks_to_confirm_pause(officer: Any, officer_client: Client, tmp_path: Path) -> None:
    campaign = sending(officer, tmp_path)

    page = officer_client.get(f"/campaigns/{campaign.pk}/progress/", headers={"HX-Request": "true"})

    assert re.search(
        rf'<form method="post" action="/campaigns/{campaign.pk}/pause/" '
        r'data-confirm="Pause sending “Flu jabs”\?',
        page.content.decode(),
    )


@pytest.mark.django_db
def test_resume_sends_the_rest_and_records_who(
    officer: Any,
    officer_client: Client,
    tmp_path: Path,
    enqueued: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    campaign = sending(officer, tmp_path)
    control.pause_campaign(campaign=campaign, by=officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(f"/campaigns/{campaign.pk}/resume/", follow=True)
    run_to_end(campaign)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert enqueued == [campaign.pk]
    assert "Sending “Flu jabs” again." in text_of(response)
    assert counters(campaign) == {"sent": 3}
    assert [h[:2] for h in history(campaign)] == [
        ("paused", "officer@agency.gov.sg"),
        ("resumed", "officer@agency.gov.sg"),
        ("finished", None),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [CampaignStatus.DRAFT, CampaignStatus.SENT, CampaignStatus.PAUSED])
def test_pause_of_a_campaign_not_sending_is_refused(
    status: str, officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = sending(officer, tmp_path)
    Campaign.objects.filter(pk=campaign.pk).update(status=status)

    response = officer_client.post(f"/campaigns/{campaign.pk}/pause/", follow=True)

    assert "Only a campaign that is sending can be paused." in text_of(response)
    assert Campaign.objects.get(pk=campaign.pk).status == status
    assert history(campaign) == []


@pytest.mark.django_db
@pytest.mark.parametrize("status", [CampaignStatus.DRAFT, CampaignStatus.SENDING, CampaignStatus.SENT])
def test_resume_of_a_campaign_not_paused_or_halted_is_refused(
    status: str, officer: Any, officer_client: Client, tmp_path: Path, enqueued: list[int]
) -> None:
    campaign = sending(officer, tmp_path)
    Campaign.objects.filter(pk=campaign.pk).update(status=status)

    response = officer_client.post(f"/campaigns/{campaign.pk}/resume/", follow=True)

    assert "Only a paused or halted campaign can be resumed." in text_of(response)
    assert Campaign.objects.get(pk=campaign.pk).status == status
    assert enqueued == []


@pytest.mark.django_db
def test_pause_takes_hold_in_the_middle_of_a_batch(
    officer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = sending(officer, tmp_path, count=6, send_rate=4)  # one message per rate grant
    monkeypatch.setattr(engine, "STOP_CHECK_SECONDS", 0.0)
    sender = channel_for(Channel.EMAIL).sender
    real_send = sender.send_batch
    handed_over: list[str] = []

    def send_then_pause(campaign: Campaign, items: Any) -> list[Delivery]:
        handed_over.extend(item.to for item in items)
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.PAUSED)
        return list(real_send(campaign, items))

    monkeypatch.setattr(sender, "send_batch", send_then_pause)

    engine.run_for(campaign.pk, seconds=5, sleep=lambda s: None)

    assert handed_over == ["person0@example.com"]
    assert counters(campaign) == {"queued": 5, "sent": 1}
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.QUEUED).count() == 5


@pytest.mark.django_db(transaction=True)
def test_pause_then_resume_with_a_real_worker_delivers_every_message_once(
    officer: Any, worker: Any, ses_provider: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The factory reads the file itself; the worker must not load it a second time.
    monkeypatch.setattr(tasks.ingest_recipient_file, "delay", lambda *args: None)
    campaign = make_email_campaign(officer, people(600), tmp_path=tmp_path, name="Flu jabs")
    services.launch_campaign(campaign=campaign, by=officer, send_rate=100)
    wait_for(lambda: len(ses_provider.messages()) >= 100, 30, "sending to start")

    control.pause_campaign(campaign=campaign, by=officer)
    wait_for(lambda: CampaignStats.objects.get(pk=campaign.pk).sending == 0, 15, "in-flight batches to end")
    at_pause = len(ses_provider.messages())
    time.sleep(2)
    after_wait = len(ses_provider.messages())
    control.resume_campaign(campaign=campaign, by=officer)
    wait_for(
        lambda: Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT, 60, "the campaign to end"
    )

    received = Counter(m["to"][0] for m in ses_provider.messages())
    assert at_pause == after_wait < 600
    assert set(received) == {f"person{i}@example.com" for i in range(600)}
    assert set(received.values()) == {1}
    assert counters(campaign) == {"sent": 600}


# Retry


def _finish_with(campaign: Campaign, outcomes: list[Outcome]) -> None:
    claimed = engine.claim_batch(campaign_id=campaign.pk, limit=len(outcomes))
    engine.record_results(
        campaign_id=campaign.pk, outcomes={c.id: o for c, o in zip(claimed, outcomes, strict=True)}
    )
    engine.finish_if_done(campaign.pk)


@pytest.mark.django_db
def test_retry_sends_again_only_messages_that_failed_for_a_transient_reason(
    officer: Any,
    officer_client: Client,
    tmp_path: Path,
    enqueued: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    campaign = sending(officer, tmp_path, count=7)
    _finish_with(
        campaign,
        [
            Outcome(MessageStatus.FAILED, error_code="InternalFailure", error="try later"),
            Outcome(MessageStatus.FAILED, error_code="MessageRejected", error="refused", permanent=True),
            Outcome(MessageStatus.SENT, provider_id="p2"),
            Outcome(MessageStatus.SENT, provider_id="p3"),
            Outcome(MessageStatus.SENT, provider_id="p4"),
            Outcome(MessageStatus.SENT, provider_id="p5"),
            Outcome(MessageStatus.INVALID, error_code="invalid"),
        ],
    )
    from campaigns.events import apply_delivery_event

    apply_delivery_event(provider_id="p3", status=MessageStatus.DELIVERED)
    apply_delivery_event(provider_id="p4", status=MessageStatus.BOUNCED)
    apply_delivery_event(provider_id="p5", status=MessageStatus.UNSUBSCRIBED)
    page = text_of(officer_client.get(f"/campaigns/{campaign.pk}/"))

    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(f"/campaigns/{campaign.pk}/retry/", follow=True)
    requeued = Message.objects.get(campaign=campaign, recipient="person0@example.com")
    state_after_retry = counters(campaign)
    run_to_end(campaign)

    assert "Retry 1 failed message" in page
    assert "Sending 1 failed message again." in text_of(response)
    assert (
        requeued.status,
        requeued.attempts,
        requeued.error_code,
        requeued.error,
        requeued.provider_id,
    ) == (
        MessageStatus.QUEUED,
        0,
        "",
        "",
        "",
    )
    assert state_after_retry == {
        "queued": 1,
        "failed": 1,
        "sent": 1,
        "delivered": 1,
        "bounced": 1,
        "invalid": 1,
        "unsubscribed": 1,
    }
    assert enqueued == [campaign.pk]
    statuses = dict(Message.objects.filter(campaign=campaign).values_list("recipient", "status"))
    assert statuses == {
        "person0@example.com": "sent",
        "person1@example.com": "failed",
        "person2@example.com": "sent",
        "person3@example.com": "delivered",
        "person4@example.com": "bounced",
        "person5@example.com": "unsubscribed",
        "person6@example.com": "invalid",
    }
    # The retry, then Postman's own record that sending finished again.
    assert history(campaign)[-2:] == [
        ("retried", "officer@agency.gov.sg", "1 failed message queued again"),
        ("finished", None, "4 sent, 1 failed"),
    ]
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT


@pytest.mark.django_db
def test_retry_after_provider_errors_sends_each_failed_message_once(
    officer: Any, ses_provider: Any, tmp_path: Path, enqueued: list[int]
) -> None:
    ses_provider.configure(error_rate=1.0)
    campaign = sending(officer, tmp_path, count=4)
    run_to_end(campaign)
    failed = list(
        Message.objects.filter(campaign=campaign).values_list("status", "error_code", "error_permanent")
    )
    ses_provider.configure(error_rate=0.0)

    count = control.retry_failed(campaign=campaign, by=officer)
    run_to_end(campaign)

    assert failed == [("failed", "InternalFailure", False)] * 4
    assert count == 4
    assert sorted(m["to"][0] for m in ses_provider.messages()) == [f"person{i}@example.com" for i in range(4)]
    assert counters(campaign) == {"sent": 4}


def test_permanent_provider_refusal_is_recorded_as_permanent() -> None:
    refused = engine.outcome_for(
        Delivery(error_code="MessageRejected", error="no", permanent=True), attempts=1
    )
    exhausted = engine.outcome_for(
        Delivery(error_code="InternalFailure", error="later"), attempts=MAX_ATTEMPTS
    )

    assert (refused.status, refused.permanent) == (MessageStatus.FAILED, True)
    assert (exhausted.status, exhausted.permanent) == (MessageStatus.FAILED, False)


@pytest.mark.django_db
def test_retry_with_only_permanent_failures_is_refused_and_changes_nothing(
    officer: Any, officer_client: Client, tmp_path: Path, enqueued: list[int]
) -> None:
    campaign = sending(officer, tmp_path, count=2)
    _finish_with(
        campaign,
        [
            Outcome(MessageStatus.FAILED, error_code="MessageRejected", permanent=True),
            Outcome(MessageStatus.SENT, provider_id="p1"),
        ],
    )

    page = text_of(officer_client.get(f"/campaigns/{campaign.pk}/"))
    response = officer_client.post(f"/campaigns/{campaign.pk}/retry/", follow=True)

    assert "Retry" not in page
    assert "No failed message can be retried: the provider refused them for good." in text_of(response)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT
    assert counters(campaign) == {"failed": 1, "sent": 1}
    assert enqueued == []


@pytest.mark.django_db
def test_retry_while_still_sending_is_refused(
    officer: Any, officer_client: Client, tmp_path: Path, enqueued: list[int]
) -> None:
    campaign = sending(officer, tmp_path, count=2)

    response = officer_client.post(f"/campaigns/{campaign.pk}/retry/", follow=True)

    assert "Failed messages can be retried once the campaign has finished sending." in text_of(response)
    assert enqueued == []


@pytest.mark.django_db
def test_retry_skips_an_address_suppressed_since(officer: Any, tmp_path: Path, enqueued: list[int]) -> None:
    from campaigns.models import Suppression

    campaign = sending(officer, tmp_path, count=2)
    _finish_with(
        campaign,
        [Outcome(MessageStatus.FAILED, error_code="x"), Outcome(MessageStatus.FAILED, error_code="x")],
    )
    Suppression.objects.create(channel="email", recipient="person1@example.com", reason="bounced")

    control.retry_failed(campaign=campaign, by=officer)

    assert counters(campaign) == {"queued": 1}
    assert Message.objects.get(campaign=campaign, recipient="person1@example.com").status == "suppressed"
    assert history(campaign)[-1][2] == "2 failed messages queued again; 1 of them now suppressed and skipped"


# Access and queries


@pytest.mark.django_db
@pytest.mark.parametrize("name", CONTROL_URLS)
def test_control_urls_are_404_for_another_officer(
    name: str, officer: Any, other_officer: Any, tmp_path: Path, enqueued: list[int]
) -> None:
    campaign = sending(officer, tmp_path)
    intruder = Client()
    intruder.force_login(other_officer)

    got, posted = (
        intruder.get(f"/campaigns/{campaign.pk}/{name}/"),
        intruder.post(f"/campaigns/{campaign.pk}/{name}/"),
    )

    assert (got.status_code, posted.status_code) == (404, 404)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENDING
    assert history(campaign) == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", CONTROL_URLS)
def test_control_urls_refuse_get(name: str, officer: Any, officer_client: Client, tmp_path: Path) -> None:
    campaign = sending(officer, tmp_path)

    assert officer_client.get(f"/campaigns/{campaign.pk}/{name}/").status_code == 405
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENDING


@pytest.mark.django_db
def test_control_post_without_csrf_token_is_refused(officer: Any, tmp_path: Path) -> None:
    campaign = sending(officer, tmp_path)
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)

    assert client.post(f"/campaigns/{campaign.pk}/pause/").status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENDING


@pytest.mark.django_db
def test_progress_of_a_sent_campaign_with_failures_runs_the_same_queries_for_one_and_three(
    officer: Any, officer_client: Client, tmp_path: Path, django_assert_num_queries: Any
) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "three").mkdir()
    one = sending(officer, tmp_path / "one", count=1)
    three = sending(officer, tmp_path / "three", count=3)
    _finish_with(one, [Outcome(MessageStatus.FAILED, error_code="x")])
    _finish_with(three, [Outcome(MessageStatus.FAILED, error_code="x")] * 3)
    with CaptureQueriesContext(connection) as for_one:
        officer_client.get(f"/campaigns/{one.pk}/", headers={})

    with django_assert_num_queries(len(for_one.captured_queries)):
        response = officer_client.get(f"/campaigns/{three.pk}/")

    assert "Retry 3 failed messages" in text_of(response)
