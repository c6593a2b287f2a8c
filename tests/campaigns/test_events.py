from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from campaigns import engine
from campaigns.engine import Outcome
from campaigns.events import apply_delivery_event, moves_forward
from campaigns.models import Campaign, CampaignStats, CampaignStatus, Message, MessageStatus
from tests.factories import make_email_campaign, people

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("counters_hold")]


def sent_message(officer: Any, tmp_path: Path) -> Message:
    campaign = make_email_campaign(officer, people(1), tmp_path=tmp_path)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    [claimed] = engine.claim_batch(campaign_id=campaign.pk)
    engine.record_results(
        campaign_id=campaign.pk, outcomes={claimed.id: Outcome(MessageStatus.SENT, "prov-1")}
    )
    return Message.objects.get(pk=claimed.id)


def test_delivery_event_moves_sent_to_delivered_and_counters(officer: Any, tmp_path: Path) -> None:
    message = sent_message(officer, tmp_path)

    result = apply_delivery_event(provider_id="prov-1", status=MessageStatus.DELIVERED)

    assert result.changed is True
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at is not None
    stats = CampaignStats.objects.get(pk=message.campaign_id)
    assert (stats.sent, stats.delivered) == (0, 1)


def test_late_delivery_after_bounce_changes_nothing(officer: Any, tmp_path: Path) -> None:
    message = sent_message(officer, tmp_path)
    apply_delivery_event(
        provider_id="prov-1", status=MessageStatus.BOUNCED, error_code="Permanent", error="No mailbox"
    )

    late = apply_delivery_event(provider_id="prov-1", status=MessageStatus.DELIVERED)

    assert late.changed is False
    message.refresh_from_db()
    assert (message.status, message.error) == (MessageStatus.BOUNCED, "No mailbox")
    stats = CampaignStats.objects.get(pk=message.campaign_id)
    assert (stats.sent, stats.delivered, stats.bounced) == (0, 0, 1)


def test_repeated_event_counts_once(officer: Any, tmp_path: Path) -> None:
    message = sent_message(officer, tmp_path)

    apply_delivery_event(provider_id="prov-1", status=MessageStatus.DELIVERED)
    again = apply_delivery_event(provider_id="prov-1", status=MessageStatus.DELIVERED)

    assert again.changed is False
    assert CampaignStats.objects.get(pk=message.campaign_id).delivered == 1


def test_event_for_unknown_provider_id_is_ignored(db: None) -> None:
    assert apply_delivery_event(provider_id="nope", status=MessageStatus.DELIVERED).message is None


@pytest.mark.parametrize(
    ("old", "new", "forward"),
    [
        ("queued", "sent", True),
        ("sent", "delivered", True),
        ("delivered", "bounced", True),
        ("bounced", "unsubscribed", True),
        ("delivered", "sent", False),
        ("bounced", "delivered", False),
        ("failed", "bounced", False),
        ("sent", "sent", False),
        ("suppressed", "sent", False),
        ("sent", "opened", False),
    ],
)
def test_moves_forward_is_one_ranking_for_every_message(old: str, new: str, forward: bool) -> None:
    assert moves_forward(old, new) is forward
