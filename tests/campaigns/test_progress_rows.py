"""The progress page accounts for every row of the file: sent, sending now, queued, failed and set aside."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from campaigns import selectors, services
from campaigns.models import Campaign, CampaignStats, Message, MessageStatus, Suppression
from tests.campaigns.test_engine import run_to_end
from tests.factories import make_email_campaign, people

pytestmark = pytest.mark.django_db

ADDS_UP = ("sent", "sending", "queued", "failed", "suppressed", "invalid", "duplicate")


def page_figures(client: Client, campaign: Campaign) -> tuple[dict[str, int], str]:
    response = client.get(f"/campaigns/{campaign.pk}/progress/", headers={"HX-Request": "true"})
    page = response.content.decode()
    figures = {
        name: int(value.replace(",", ""))
        for name, value in re.findall(r'data-testid="stat-(\w+)">([\d,]+)<', page)
    }
    done = re.search(r'data-testid="done">([^<]+)<', page)
    assert done
    return figures, " ".join(done.group(1).split())


def counts_of(campaign: Campaign) -> selectors.RowCounts:
    return selectors.row_counts(CampaignStats.objects.get(pk=campaign.pk))


def by_status(campaign: Campaign) -> dict[str, int]:
    statuses = Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    found: dict[str, int] = {}
    for status in statuses:
        found[status] = found.get(status, 0) + 1
    return found


def test_a_suppressed_row_counts_among_the_rows_of_the_file(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = make_email_campaign(officer, people(20), tmp_path=tmp_path)
    Suppression.objects.create(channel="email", recipient="person3@example.com", reason="bounced")
    services.launch_campaign(campaign=campaign, by=officer)
    run_to_end(campaign)

    figures, done = page_figures(officer_client, campaign)

    assert done == "20 of 20 rows done (100%)"
    assert figures["total"] == 20
    assert (figures["sent"], figures["suppressed"]) == (19, 1)
    assert sum(figures[name] for name in ADDS_UP) == figures["total"]


def test_invalid_and_duplicate_rows_are_shown_and_add_up(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    rows = [*people(6), people(1)[0], {"recipient": "not an address", "name": "X", "code": "C9"}]
    campaign = make_email_campaign(officer, rows, tmp_path=tmp_path)
    services.launch_campaign(campaign=campaign, by=officer)

    before, done_before = page_figures(officer_client, campaign)
    run_to_end(campaign)
    after, done_after = page_figures(officer_client, campaign)

    assert (before["queued"], before["invalid"], before["duplicate"], before["total"]) == (6, 1, 1, 8)
    assert done_before == "2 of 8 rows done (25%)"  # the two set aside have nothing left to do
    assert (after["sent"], after["queued"]) == (6, 0)
    assert done_after == "8 of 8 rows done (100%)"
    for figures in (before, after):
        assert sum(figures[name] for name in ADDS_UP) == figures["total"]


def test_counts_follow_the_messages_statuses_at_every_stage(officer: Any, tmp_path: Path) -> None:
    """Mid-send too: rows claimed and not yet recorded are "sending now", not missing."""
    campaign = make_email_campaign(officer, people(10), tmp_path=tmp_path)
    services.launch_campaign(campaign=campaign, by=officer)
    claimed = list(Message.objects.filter(campaign=campaign).order_by("pk")[:4].values_list("pk", flat=True))
    Message.objects.filter(pk__in=claimed).update(status=MessageStatus.SENDING)
    CampaignStats.objects.filter(pk=campaign.pk).update(queued=6, sending=4)

    counts = counts_of(campaign)

    statuses = by_status(campaign)
    assert (counts.sending, counts.queued) == (statuses["sending"], statuses["queued"]) == (4, 6)
    assert counts.accounted == counts.rows == 10
    assert counts.done == 0


def test_after_sending_outcomes_stay_within_sent(officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="Outcomes", channel="email")
    CampaignStats.objects.filter(pk=campaign.pk).update(
        total=100,
        sent=50,
        delivered=20,
        bounced=5,
        unsubscribed=3,
        failed=2,
        suppressed=4,
        invalid=6,
        duplicate=1,
        sending=4,
        queued=5,
    )

    counts = counts_of(campaign)

    assert counts.sent == 78  # handed to the provider, whatever became of them
    assert counts.accounted == counts.rows == 100
    assert (counts.done, counts.not_sent) == (91, 11)


def test_the_page_polls_every_second_while_sending_and_states_the_charts_unit(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    from campaigns.progress import record_sent

    campaign = make_email_campaign(officer, people(3), tmp_path=tmp_path)
    services.launch_campaign(campaign=campaign, by=officer)
    record_sent(campaign.pk, 2, now=1_767_225_600)

    page = officer_client.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert f'hx-get="/campaigns/{campaign.pk}/progress/" hx-trigger="every 1s"' in page
    assert "Messages a second; times in Singapore time (24-hour)." in page
    assert '<script id="chart-data" type="application/json">[["08:00:00", 2.0]]</script>' in page
