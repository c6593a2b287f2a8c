from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils.html import strip_tags

from accounts.models import Agency
from accounts.services import create_staff
from campaigns import control, engine, tasks
from campaigns.models import Campaign, CampaignAction, CampaignStats, CampaignStatus, Suppression
from channels_email.models import InboxMessage
from channels_email.ses_events import record_ses_event
from tests.sns import FakeAws, aws_fixture, sent_campaign, ses_event

pytestmark = pytest.mark.django_db


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(strip_tags(response.content.decode())))


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, settings: Any) -> FakeAws:
    return aws_fixture(monkeypatch, settings)


@pytest.fixture
def notices(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    sent: list[tuple[int, str]] = []
    monkeypatch.setattr(tasks.notify_owner, "delay", lambda *args: sent.append(args))
    return sent


def bounce(number: int, **detail: Any) -> None:
    record_ses_event(ses_event("Bounce", f"prov-{number}", address=f"person{number}@example.com", **detail))


def status_of(campaign: Campaign) -> str:
    return Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)


@pytest.mark.parametrize(
    ("bounced", "with_outcome", "halts"),
    [
        (10, 10, False),  # not more than 10 bounces
        (10, 11, False),
        (11, 110, False),  # exactly 10%
        (11, 109, True),
        (11, 11, True),
        (12, 120, False),
        (12, 119, True),
        (1000, 10000, False),
        (1001, 10000, True),
    ],
)
def test_halt_threshold_at_its_boundary(bounced: int, with_outcome: int, halts: bool) -> None:
    assert control.bounces_too_many(bounced, with_outcome) is halts


def test_eleventh_hard_bounce_of_a_hundred_halts_the_campaign(officer: Any, tmp_path: Path) -> None:
    campaign = sent_campaign(officer, tmp_path, 100, queued=50)
    for number in range(10):
        bounce(number)
    after_ten = status_of(campaign)

    bounce(10)

    campaign.refresh_from_db()
    assert (after_ten, campaign.status) == (CampaignStatus.SENDING, CampaignStatus.HALTED)
    assert campaign.halted_reason == (
        "11 of the 100 emails sent so far bounced (11%). Postman stops a campaign when more than 10 and "
        "more than 10% of its emails bounce: the list may be out of date."
    )
    action = CampaignAction.objects.get(campaign=campaign)
    assert (action.action, action.by, action.detail) == ("halted", None, campaign.halted_reason)
    assert engine.run_for(campaign.pk, seconds=5, sleep=lambda s: None) is False
    assert CampaignStats.objects.get(pk=campaign.pk).queued == 50


def test_bounces_of_exactly_ten_percent_do_not_halt(officer: Any, tmp_path: Path) -> None:
    campaign = sent_campaign(officer, tmp_path, 110)
    for number in range(11):
        bounce(number)
    at_ten_percent = status_of(campaign)

    bounce(11)

    assert (at_ten_percent, status_of(campaign)) == (CampaignStatus.SENDING, CampaignStatus.HALTED)


def test_transient_bounces_and_complaints_do_not_count(officer: Any, tmp_path: Path) -> None:
    campaign = sent_campaign(officer, tmp_path, 30)
    for number in range(15):
        bounce(number, bounce_type="Transient")
    for number in range(15, 30):
        record_ses_event(ses_event("Complaint", f"prov-{number}", address=f"person{number}@example.com"))

    assert status_of(campaign) == CampaignStatus.SENDING
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.bounced, stats.failed, stats.unsubscribed) == (0, 15, 15)


def test_a_finished_campaign_is_not_halted(officer: Any, tmp_path: Path) -> None:
    campaign = sent_campaign(officer, tmp_path, 20)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT)

    for number in range(20):
        bounce(number)

    assert status_of(campaign) == CampaignStatus.SENT
    assert Suppression.objects.filter(reason="bounced").count() == 20


def test_a_paused_campaign_can_be_halted(officer: Any, tmp_path: Path) -> None:
    campaign = sent_campaign(officer, tmp_path, 20)
    control.pause_campaign(campaign=campaign, by=officer)

    for number in range(11):
        bounce(number)

    assert status_of(campaign) == CampaignStatus.HALTED


def test_owner_is_emailed_when_the_campaign_halts(
    officer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(tasks.notify_owner, "delay", lambda *args: tasks.notify_owner(*args))
    campaign = sent_campaign(officer, tmp_path, 20)

    with django_capture_on_commit_callbacks(execute=True):
        for number in range(12):
            bounce(number)

    notice = InboxMessage.objects.get(to="officer@agency.gov.sg")
    assert notice.subject == "[Postman] Sending “Test campaign” was stopped"
    assert "Why: 11 of the 20 emails sent so far bounced (55%)." in notice.text
    assert f"http://127.0.0.1:8000/campaigns/{campaign.pk}/" in notice.text


def test_halt_through_the_sns_endpoint(
    officer: Any,
    tmp_path: Path,
    fake_aws: FakeAws,
    notices: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    campaign = sent_campaign(officer, tmp_path, 20)

    with django_capture_on_commit_callbacks(execute=True):
        statuses = [_post_bounce(fake_aws, number).status_code for number in range(11)]

    assert statuses == [200] * 11
    assert status_of(campaign) == CampaignStatus.HALTED
    assert notices == [(campaign.pk, "halted")]


def _post_bounce(fake_aws: FakeAws, number: int) -> Any:
    event = ses_event("Bounce", f"prov-{number}", address=f"person{number}@example.com")
    body = json.dumps(fake_aws.notification(event, message_id=f"m{number}"))
    return Client().post("/events/ses/", body, content_type="text/plain")


def test_halted_page_says_why_and_offers_resume(officer: Any, officer_client: Client, tmp_path: Path) -> None:
    campaign = sent_campaign(officer, tmp_path, 20)
    for number in range(11):
        bounce(number)

    response = officer_client.get(f"/campaigns/{campaign.pk}/")

    page = text_of(response)
    assert "Sending stopped: too many emails bounced" in page
    assert "11 of the 20 emails sent so far bounced (55%)." in page
    assert "Halted by Postman" in page
    assert re.search(
        rf'<form method="post" action="/campaigns/{campaign.pk}/resume/" '
        r'data-confirm="Resume sending “Test campaign” '
        r"although many emails bounced\? It will not be stopped for bounces again.\">",
        response.content.decode(),
    )


def test_resume_after_a_halt_keeps_sending_despite_more_bounces(
    officer: Any, officer_client: Client, tmp_path: Path, notices: list[Any]
) -> None:
    campaign = sent_campaign(officer, tmp_path, 30, queued=5)
    for number in range(11):
        bounce(number)

    response = officer_client.post(f"/campaigns/{campaign.pk}/resume/", follow=True)
    for number in range(11, 20):
        bounce(number)

    campaign.refresh_from_db()
    assert "Sending “Test campaign” again." in text_of(response)
    assert (campaign.status, campaign.halt_on_bounces, campaign.halted_reason) == (
        CampaignStatus.SENDING,
        False,
        "",
    )
    resumed = CampaignAction.objects.filter(campaign=campaign).order_by("at", "id").last()
    assert resumed is not None
    assert (resumed.action, resumed.by, resumed.detail[:30]) == (
        "resumed",
        officer,
        "After a halt: 11 of the 30 ema",
    )


# Admin


@pytest.fixture
def staff_client(db: None) -> Client:
    client = Client()
    client.force_login(create_staff(email="staff@postman.gov.sg"))
    return client


def test_staff_resume_a_halted_campaign_in_the_admin(
    officer: Any, staff_client: Client, tmp_path: Path
) -> None:
    campaign = sent_campaign(officer, tmp_path, 20)
    for number in range(11):
        bounce(number)

    listing = staff_client.get("/admin/campaigns/campaign/?status__exact=halted")
    response = staff_client.post(
        "/admin/campaigns/campaign/", {"action": "resume", "_selected_action": [campaign.pk]}, follow=True
    )

    assert "11 of the 20 emails sent so far bounced (55%)" in text_of(listing)
    assert "Resumed 1 campaign." in text_of(response)
    assert status_of(campaign) == CampaignStatus.SENDING
    resumed = CampaignAction.objects.filter(campaign=campaign, action="resumed").get()
    assert resumed.by is not None and resumed.by.email == "staff@postman.gov.sg"


def test_admin_resume_leaves_a_sending_campaign_alone(
    officer: Any, staff_client: Client, tmp_path: Path
) -> None:
    campaign = sent_campaign(officer, tmp_path, 2)

    response = staff_client.post(
        "/admin/campaigns/campaign/", {"action": "resume", "_selected_action": [campaign.pk]}, follow=True
    )

    assert "Resumed 0 campaigns." in text_of(response)
    assert "1 selected campaign(s) were not paused or halted: left as they are." in text_of(response)
    assert CampaignAction.objects.filter(campaign=campaign).count() == 0


def test_officers_cannot_open_the_admin(officer_client: Client) -> None:
    response = officer_client.get("/admin/campaigns/suppression/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_suppression_list_searches_shows_why_and_removes(staff_client: Client) -> None:
    agency = Agency.objects.create(name="Ministry of Examples")
    Suppression.objects.create(
        channel="email", recipient="gone@example.com", reason="bounced", detail="NoEmail"
    )
    kept = Suppression.objects.create(
        channel="email", recipient="left@example.com", reason="unsubscribed", agency=agency, detail="Too many"
    )

    found = staff_client.get("/admin/campaigns/suppression/?q=gone")
    removed = staff_client.post(
        "/admin/campaigns/suppression/",
        {"action": "delete_selected", "_selected_action": [kept.pk], "post": "yes"},
        follow=True,
    )

    page = text_of(found)
    assert "gone@example.com" in page and "Hard bounce" in page and "NoEmail" in page
    assert "left@example.com" not in page
    assert removed.status_code == 200
    assert list(Suppression.objects.values_list("recipient", flat=True)) == ["gone@example.com"]
