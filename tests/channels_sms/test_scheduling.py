"""SMS campaigns are scheduled, rescheduled and cancelled like email ones, and sent when due."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from campaigns import control
from campaigns.models import Campaign, CampaignActionKind, CampaignStatus
from tests.campaigns.test_engine import run_to_end
from tests.channels_sms.conftest import make_credential, make_sms_campaign, number, phones
from tests.channels_sms.test_pages import text_of

pytestmark = pytest.mark.django_db


def local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def tomorrow_at_nine() -> Any:
    day = timezone.localtime(timezone.now()) + timedelta(days=1)
    return day.replace(hour=9, minute=0, second=0, microsecond=0)


def test_the_send_page_schedules_an_sms_campaign_with_its_credential_and_rate(
    officer_client: Client, officer: User, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    credential = make_credential(officer)
    campaign = make_sms_campaign(officer, phones(4), tmp_path=tmp_path)
    at = tomorrow_at_nine()

    with django_capture_on_commit_callbacks() as callbacks:
        response = officer_client.post(
            f"/campaigns/{campaign.pk}/send/",
            {"credential": credential.pk, "send_rate": "5", "scheduled_at": local(at), "schedule": "1"},
            follow=True,
        )

    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_at, campaign.send_rate) == (CampaignStatus.SCHEDULED, at, 5)
    assert campaign.sms_settings.credential == credential
    assert callbacks == []  # nothing is sent yet
    text = text_of(response)
    assert f"“SMS campaign” will be sent on {at:%-d %b %Y}, 09:00 (Singapore time)." in text
    assert f"Starts {at:%-d %b %Y}, 09:00 (Singapore time)." in text
    assert "Change time" in text and "Cancel schedule" in text
    assert campaign.actions.get().action == CampaignActionKind.SCHEDULED


def test_scheduling_an_sms_campaign_needs_a_future_time_and_changes_nothing_without_one(
    officer_client: Client, officer: User, tmp_path: Path
) -> None:
    credential = make_credential(officer)
    campaign = make_sms_campaign(officer, phones(2), tmp_path=tmp_path)
    send = f"/campaigns/{campaign.pk}/send/"
    past = timezone.now() - timedelta(hours=1)

    missing = officer_client.post(send, {"credential": credential.pk, "send_rate": "5", "schedule": "1"})
    passed = officer_client.post(
        send, {"credential": credential.pk, "send_rate": "5", "scheduled_at": local(past), "schedule": "1"}
    )
    # "Send now" with a time chosen is not guessed at either.
    ambiguous = officer_client.post(
        send, {"credential": credential.pk, "send_rate": "5", "scheduled_at": local(tomorrow_at_nine())}
    )

    assert "Choose the date and time to send." in text_of(missing)
    assert "That time has passed." in text_of(passed)
    assert "You chose a time: press Schedule to send then, or clear it to send now." in text_of(ambiguous)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_at) == (CampaignStatus.DRAFT, None)
    assert not hasattr(campaign, "sms_settings") or campaign.sms_settings.credential is None


def test_another_officers_credential_cannot_be_scheduled_with(
    officer_client: Client, officer: User, other_officer: User, tmp_path: Path
) -> None:
    theirs = make_credential(other_officer)
    make_credential(officer, label="Own account")
    campaign = make_sms_campaign(officer, phones(2), tmp_path=tmp_path)

    response = officer_client.post(
        f"/campaigns/{campaign.pk}/send/",
        {
            "credential": theirs.pk,
            "send_rate": "5",
            "scheduled_at": local(tomorrow_at_nine()),
            "schedule": "1",
        },
    )

    assert "Choose one of your own Twilio credentials." in text_of(response)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_a_scheduled_sms_campaign_can_be_given_a_new_time_then_cancelled(
    officer_client: Client, officer: User, tmp_path: Path
) -> None:
    credential = make_credential(officer)
    campaign = make_sms_campaign(officer, phones(3), tmp_path=tmp_path, credential=credential)
    control.schedule_campaign(campaign=campaign, by=officer, at=tomorrow_at_nine(), send_rate=2)
    later = tomorrow_at_nine() + timedelta(hours=2)

    page = officer_client.get(f"/campaigns/{campaign.pk}/schedule/")
    moved = officer_client.post(
        f"/campaigns/{campaign.pk}/schedule/", {"scheduled_at": local(later)}, follow=True
    )

    assert "Now scheduled for" in text_of(page)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_at, campaign.send_rate) == (
        CampaignStatus.SCHEDULED,
        later,
        2,
    )
    assert f"will now be sent on {later:%-d %b %Y}, 11:00 (Singapore time)." in text_of(moved)

    cancelled = officer_client.post(f"/campaigns/{campaign.pk}/schedule/cancel/", follow=True)

    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_at) == (CampaignStatus.DRAFT, None)
    assert "The schedule is cancelled: “SMS campaign” is a draft again." in text_of(cancelled)
    assert [action.action for action in campaign.actions.order_by("at", "pk")] == [
        CampaignActionKind.SCHEDULED,
        CampaignActionKind.RESCHEDULED,
        CampaignActionKind.UNSCHEDULED,
    ]


def test_another_officer_cannot_reschedule_or_cancel_an_sms_campaign(
    officer: User, other_officer: User, tmp_path: Path
) -> None:
    campaign = make_sms_campaign(officer, phones(1), tmp_path=tmp_path, credential=make_credential(officer))
    control.schedule_campaign(campaign=campaign, by=officer, at=tomorrow_at_nine(), send_rate=2)
    other = Client()
    other.force_login(other_officer)

    assert other.get(f"/campaigns/{campaign.pk}/schedule/").status_code == 404
    assert other.post(f"/campaigns/{campaign.pk}/schedule/cancel/").status_code == 404
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SCHEDULED


def test_a_due_sms_campaign_is_launched_and_sent_through_its_credential(
    officer: User, twilio: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    credential = make_credential(officer)
    campaign = make_sms_campaign(officer, phones(3), tmp_path=tmp_path, credential=credential)
    control.schedule_campaign(
        campaign=campaign, by=officer, at=timezone.now() + timedelta(minutes=1), send_rate=3
    )

    with django_capture_on_commit_callbacks():
        launched = control.launch_due_campaigns(now=timezone.now() + timedelta(minutes=1, seconds=1))
    run_to_end(campaign)

    assert launched == [campaign.pk]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert sorted(m["to"] for m in twilio.messages("sms")) == [number(i) for i in range(3)]
