"""A campaign's page explains itself: a history of who did what, when and at what rate; notices
that go once the campaign has moved on; figures each channel can have; one time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.template import Context, Template
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from campaigns import control, services
from campaigns.models import Campaign, CampaignAction, CampaignStats, CampaignStatus, Message, MessageStatus
from tests.campaigns.test_control import run_to_end, text_of
from tests.channels_sms.conftest import make_sms_campaign, phones
from tests.factories import make_email_campaign, people

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def email_campaign(owner: Any, tmp_path: Path, count: int = 3) -> Campaign:
    return make_email_campaign(owner, people(count), tmp_path=tmp_path, name="Flu jabs")


def history(campaign: Campaign) -> list[tuple[str, str | None, int | None]]:
    rows = CampaignAction.objects.filter(campaign=campaign).order_by("at", "id")
    return [(a.action, a.by.email if a.by else None, a.send_rate) for a in rows]


def test_history_records_start_pause_resume_and_finish_with_who_when_and_rate(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = email_campaign(officer, tmp_path)
    with time_machine.travel(datetime(2025, 3, 3, 1, 2, 3, tzinfo=UTC), tick=False):
        services.launch_campaign(campaign=campaign, by=officer, send_rate=25)
    with time_machine.travel(datetime(2025, 3, 3, 1, 5, 0, tzinfo=UTC), tick=False):
        control.pause_campaign(campaign=campaign, by=officer)
    with time_machine.travel(datetime(2025, 3, 3, 13, 6, 0, tzinfo=UTC), tick=False):
        control.resume_campaign(campaign=campaign, by=officer)
    run_to_end(campaign)

    page = text_of(officer_client.get(f"/campaigns/{campaign.pk}/"))

    officer_email = "officer@agency.gov.sg"
    assert history(campaign) == [
        ("started", officer_email, 25),
        ("paused", officer_email, 25),
        ("resumed", officer_email, 25),
        ("finished", None, 25),
    ]
    # Singapore time, 24-hour: 01:02:03 UTC is 09:02:03, 13:06 UTC is 21:06 the same day.
    assert (
        f"3 Mar 2025, 09:02:03 · Sending started by {officer_email} · 25 messages a second — Sent at once"
        in page
    )
    assert f"3 Mar 2025, 09:05:00 · Paused by {officer_email} · 25 messages a second" in page
    assert f"3 Mar 2025, 21:06:00 · Resumed by {officer_email} · 25 messages a second" in page
    assert re.search(r"\d{2}:\d{2}:\d{2} · Sending finished by Postman · 25 messages a second — 3 sent", page)


def test_a_scheduled_launch_is_recorded_as_postman_at_the_rate_chosen(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = email_campaign(officer, tmp_path)
    at = timezone.now() + timedelta(hours=1)
    control.schedule_campaign(campaign=campaign, by=officer, at=at, send_rate=40)

    control.launch_due_campaigns(now=at + timedelta(seconds=1))

    page = text_of(officer_client.get(f"/campaigns/{campaign.pk}/"))
    assert history(campaign) == [("scheduled", "officer@agency.gov.sg", 40), ("started", None, 40)]
    assert "Sending started by Postman · 40 messages a second — As scheduled for" in page


def test_history_records_a_halt_and_a_retry_and_says_when_no_rate_was_chosen(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = email_campaign(officer, tmp_path)
    services.launch_campaign(campaign=campaign, by=officer)
    CampaignStats.objects.filter(pk=campaign.pk).update(sent=40, bounced=20)
    control.halt_if_bouncing(campaign_id=campaign.pk)
    control.resume_campaign(campaign=campaign, by=officer)
    run_to_end(campaign)
    failed = Message.objects.filter(campaign=campaign).first()
    assert failed is not None
    Message.objects.filter(pk=failed.pk).update(status=MessageStatus.FAILED, error_permanent=False)
    CampaignStats.objects.filter(pk=campaign.pk).update(sent=42, failed=1)

    control.retry_failed(campaign=Campaign.objects.get(pk=campaign.pk), by=officer)

    actions = [action for action, _, _ in history(campaign)]
    assert actions == ["started", "halted", "resumed", "finished", "retried"]
    page = text_of(officer_client.get(f"/campaigns/{campaign.pk}/"))
    assert "Halted by Postman · as fast as Postman allows — 20 of the 60 emails sent so far bounced" in page
    assert (
        "Failed messages retried by officer@agency.gov.sg · as fast as Postman allows — "
        "1 failed message queued again"
    ) in page


def test_the_polled_progress_carries_the_history_so_a_finish_shows_without_reloading(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = email_campaign(officer, tmp_path)
    services.launch_campaign(campaign=campaign, by=officer, send_rate=10)
    url = f"/campaigns/{campaign.pk}/progress/"
    before = officer_client.get(url, headers=HTMX).content.decode()

    run_to_end(campaign)
    after = officer_client.get(url, headers=HTMX)

    assert 'data-status="sending"' in before and "Sending finished" not in before
    assert 'data-status="sent"' in after.content.decode()
    assert "Sending finished by Postman · 10 messages a second — 3 sent" in text_of(after)


# One-shot notices


def launch_through_the_send_page(client: Client, campaign: Campaign) -> Any:
    response = client.post(f"/campaigns/{campaign.pk}/send/", {"send_rate": "5", "scheduled_at": ""})
    assert response.status_code == 302, text_of(response)
    return response


def test_the_started_notice_shows_while_the_campaign_sends(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = email_campaign(officer, tmp_path)
    launch_through_the_send_page(officer_client, campaign)

    page = officer_client.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert re.search(r'role="alert" data-while="sending">\s*Sending “Flu jabs” has started\.', page)
    assert '<section id="progress" data-status="sending"' in page


def test_the_started_notice_is_left_out_once_the_campaign_is_sent(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = email_campaign(officer, tmp_path)
    launch_through_the_send_page(officer_client, campaign)
    run_to_end(campaign)

    response = officer_client.get(f"/campaigns/{campaign.pk}/")

    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT
    assert 'data-testid="status">Sent</span>' in response.content.decode()
    assert "has started" not in text_of(response)
    # One-shot: the notice was consumed, not kept for a later page either.
    assert "has started" not in text_of(officer_client.get("/"))


def test_a_notice_without_a_status_still_shows_on_a_campaign_page(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = email_campaign(officer, tmp_path)

    response = officer_client.post(
        f"/campaigns/{campaign.pk}/rename/", {"name": "Flu jabs 2025"}, follow=True
    )

    assert "Renamed to “Flu jabs 2025”." in text_of(response)


# What each figure means, per channel


def test_email_progress_explains_delivered_and_shows_bounces(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = email_campaign(officer, tmp_path)
    services.launch_campaign(campaign=campaign, by=officer)

    page = officer_client.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert 'data-testid="stat-bounced"' in page
    assert "Unsubscribed or complained" in page
    assert re.search(r'data-testid="delivered-hint">Counted from SES delivery events: stays at 0', page)


def test_sms_progress_has_no_bounced_card_and_explains_delivered(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = make_sms_campaign(officer, phones(2), tmp_path=tmp_path)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)

    page = officer_client.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert "bounced" not in page.lower()  # no card, and no word of bounces anywhere on it
    assert 'data-testid="stat-bounced"' not in page
    assert "complained" not in page
    assert re.search(r'data-testid="delivered-hint">Counted from Twilio delivery reports: stays at 0', page)


# Times: Singapore, 24-hour, everywhere


def test_the_campaign_list_shows_when_a_scheduled_campaign_starts(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = email_campaign(officer, tmp_path)
    with time_machine.travel(datetime(2025, 3, 1, 0, 0, tzinfo=UTC), tick=False):
        control.schedule_campaign(campaign=campaign, by=officer, at=datetime(2025, 3, 3, 14, 30, tzinfo=UTC))

    page = officer_client.get("/").content.decode()

    # 14:30 UTC is 22:30 in Singapore.
    assert re.search(
        r'data-testid="starts"><span>Starts '
        r'<time datetime="2025-03-03T22:30:00\+08:00">3 Mar 2025, 22:30</time>',
        page,
    )


def test_the_test_step_is_ticked_once_a_test_was_sent(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = email_campaign(officer, tmp_path)
    send_page = f"/campaigns/{campaign.pk}/send/"
    before = officer_client.get(send_page).content.decode()

    response = officer_client.post(f"/campaigns/{campaign.pk}/test/", {"email": "officer@agency.gov.sg"})
    assert response.status_code == 302
    after = officer_client.get(send_page).content.decode()
    overview = text_of(officer_client.get(f"/campaigns/{campaign.pk}/"))

    tick = r'class="step-number done" aria-hidden="true">✓</span>\s*Test<span class="visually-hidden"> \(done'

    assert not re.search(tick, before)
    assert re.search(tick, after)
    sent_at = Campaign.objects.get(pk=campaign.pk).test_sent_at
    assert sent_at is not None
    shown = date_format(timezone.localtime(sent_at), "j M Y, H:i")
    assert f"Test sent on {shown}. Send another after changing the message." in overview


def test_a_time_shown_without_a_named_format_is_singapore_time_24_hour() -> None:
    # The admin and any template that prints a time as it is: 13:02 UTC is 21:02 in Singapore.
    rendered = Template("{{ moment }} | {{ moment|time }}").render(
        Context({"moment": datetime(2025, 3, 3, 13, 2, 3, tzinfo=UTC)})
    )

    assert rendered == "3 Mar 2025, 21:02 | 21:02"
