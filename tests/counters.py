"""The counters invariant: a campaign's CampaignStats equal `GROUP BY status` over its messages."""

from __future__ import annotations

from campaigns import transitions
from campaigns.models import CampaignStats, MessageStatus


def assert_counters_match(campaign_id: int) -> None:
    stats = CampaignStats.objects.get(pk=campaign_id)
    counted = transitions.counts_by_status(campaign_id)
    counters = {status.value: getattr(stats, transitions.COUNTER[status]) for status in MessageStatus}
    assert counters == {status.value: counted[status.value] for status in MessageStatus}, campaign_id
    assert stats.total == sum(counted.values()), campaign_id


def assert_every_campaign_counters_match() -> None:
    for campaign_id in CampaignStats.objects.values_list("pk", flat=True):
        assert_counters_match(campaign_id)
