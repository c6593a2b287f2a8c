"""Opens and clicks (read receipts) from signed SNS events, and the switch that turns them off."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from api.models import TransactionalEmail, TransactionalStatus
from campaigns import services
from campaigns.models import Campaign, CampaignStats, Message, MessageStatus
from tests.channels_email.test_sns import post
from tests.factories import make_email_campaign, people
from tests.sns import FakeAws, sent_campaign, ses_event

pytestmark = pytest.mark.django_db


def _engagement(kind: str, message_id: str) -> dict[str, Any]:
    event = ses_event(kind, message_id)
    detail = {"timestamp": "2025-03-01T02:00:00.000Z", "ipAddress": "192.0.2.1", "userAgent": "Mail"}
    event[kind.lower()] = {**detail, "link": "https://example.gov.sg"} if kind == "Click" else detail
    return event


def _counts(campaign: Campaign) -> tuple[int, int]:
    stats = CampaignStats.objects.get(pk=campaign.pk)
    return stats.opened, stats.clicked


def test_opens_and_clicks_count_each_message_once_and_only_forward(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    campaign = sent_campaign(officer, tmp_path, 3)

    post(fake_aws.notification(_engagement("Open", "prov-0")))
    post(fake_aws.notification(_engagement("Open", "prov-0")))
    assert _counts(campaign) == (1, 0)
    post(fake_aws.notification(_engagement("Click", "prov-0")))
    post(fake_aws.notification(_engagement("Click", "prov-1")))  # clicked with images blocked
    post(fake_aws.notification(_engagement("Open", "prov-1")))
    post(fake_aws.notification(_engagement("Click", "prov-1")))

    assert _counts(campaign) == (2, 2)
    first = Message.objects.get(provider_id="prov-0")
    assert first.opened_at is not None and first.opened_at.isoformat() == "2025-03-01T02:00:00+00:00"
    assert first.status == MessageStatus.SENT  # an open moves no status
    assert Message.objects.get(provider_id="prov-2").opened_at is None


def test_open_of_an_api_email_shows_as_opened_at(officer: Any, fake_aws: FakeAws) -> None:
    email = TransactionalEmail.objects.create(
        owner=officer,
        recipient="resident@example.com",
        from_address="x",
        subject="s",
        body="b",
        status=TransactionalStatus.SENT,
        provider_id="api-1",
    )

    post(fake_aws.notification(_engagement("Open", "api-1")))

    email.refresh_from_db()
    assert email.opened_at is not None and email.opened_at.isoformat() == "2025-03-01T02:00:00+00:00"


def _campaign(officer: Any, tmp_path: Path, *, track: bool) -> Campaign:
    campaign = make_email_campaign(officer, people(1), tmp_path=tmp_path)
    Campaign.objects.filter(pk=campaign.pk).update(track_opens=track)
    return Campaign.objects.get(pk=campaign.pk)


@pytest.mark.parametrize(("track", "configuration_set"), [(True, "tracked"), (False, "untracked")])
def test_tracking_off_sends_through_the_configuration_set_without_tracking(
    officer: Any, ses_provider: Any, settings: Any, tmp_path: Path, track: bool, configuration_set: str
) -> None:
    settings.SES_CONFIGURATION_SET, settings.SES_NO_TRACKING_CONFIGURATION_SET = "tracked", "untracked"
    campaign = _campaign(officer, tmp_path, track=track)

    services.send_test(campaign=campaign, to="officer@agency.gov.sg")

    assert [m["configuration_set"] for m in ses_provider.messages()] == [configuration_set]


def test_progress_and_export_show_opens_only_where_tracked(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    tracked = _campaign(officer, tmp_path, track=True)
    untracked = _campaign(officer, tmp_path, track=False)
    Campaign.objects.filter(pk__in=[tracked.pk, untracked.pk]).update(status="sent")
    Message.objects.filter(campaign=tracked).update(opened_at="2025-03-01T02:00:00Z")
    CampaignStats.objects.filter(pk=tracked.pk).update(opened=1)

    page = officer_client.get(f"/campaigns/{tracked.pk}/").content.decode()
    other = officer_client.get(f"/campaigns/{untracked.pk}/").content.decode()
    export = officer_client.get(f"/campaigns/{tracked.pk}/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))  # type: ignore[attr-defined]

    assert 'data-testid="stat-opened">1<' in page
    assert "Opens are approximate" in page
    assert "stat-opened" not in other and "Opens are approximate" not in other
    assert rows[0]["opened_at"] == "2025-03-01T10:00:00+08:00"
    assert rows[0]["clicked_at"] == ""
