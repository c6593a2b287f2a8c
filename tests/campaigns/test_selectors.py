from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.http import Http404
from redis import Redis

from campaigns import selectors, services
from campaigns.models import Campaign, CampaignStats, CampaignStatus, RecipientFile, RecipientFileStatus
from campaigns.progress import record_sent
from channels_email import services as email_services


@pytest.fixture(autouse=True)
def _fresh_timelines() -> None:
    """Send timelines live in Redis under the campaign id, which a new test database reuses."""
    redis = Redis.from_url(settings.REDIS_URL)
    for key in redis.scan_iter(match="progress:*:sent", count=1000):
        redis.delete(key)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+6591234567", "'+6591234567"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Tan Ah Kow", "Tan Ah Kow"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_safe_cell_quotes_what_a_spreadsheet_would_run(value: object, expected: str) -> None:
    assert selectors.safe_cell(value) == expected


@pytest.mark.django_db
def test_owned_campaign_is_404_for_others_and_once_deleted(officer: Any, other_officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="Mine", channel="email")

    assert selectors.owned_campaign(officer, campaign.pk) == campaign
    with pytest.raises(Http404):
        selectors.owned_campaign(other_officer, campaign.pk)
    services.delete_campaign(campaign=campaign)
    with pytest.raises(Http404):
        selectors.owned_campaign(officer, campaign.pk)


@pytest.mark.django_db
def test_dashboard_campaigns_filters_and_orders_newest_first(officer: Any, other_officer: Any) -> None:
    older = services.create_campaign(owner=officer, name="Flu jab", channel="email")
    sms = services.create_campaign(owner=officer, name="Flu text", channel="sms")
    services.create_campaign(owner=other_officer, name="Flu elsewhere", channel="email")
    Campaign.objects.filter(pk=older.pk).update(status=CampaignStatus.SENT)

    assert [c.name for c in selectors.dashboard_campaigns(officer)] == ["Flu text", "Flu jab"]
    assert [c.name for c in selectors.dashboard_campaigns(officer, channel="sms")] == [sms.name]
    assert [c.name for c in selectors.dashboard_campaigns(officer, status="sent")] == ["Flu jab"]
    assert [c.name for c in selectors.dashboard_campaigns(officer, search="JAB")] == ["Flu jab"]


@pytest.mark.django_db
def test_campaign_steps_of_a_new_draft(officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="New", channel="email")

    steps = selectors.campaign_steps(campaign, None)

    assert [(s.title, s.done, s.available) for s in steps] == [
        ("Message", False, True),
        ("Recipients", False, False),
        ("Test", False, False),
        ("Send", False, False),
    ]


@pytest.mark.django_db
def test_campaign_steps_once_a_list_is_ready(officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="Ready", channel="email")
    email_services.save_email_template(
        campaign=campaign, subject="Hi", body="<p>Hi</p>", body_format="rich", sender_name="", reply_to=""
    )
    recipient_file = RecipientFile.objects.create(
        campaign=campaign, original_name="a.csv", status=RecipientFileStatus.READY
    )
    CampaignStats.objects.filter(pk=campaign.pk).update(total=3, queued=1)
    campaign.refresh_from_db()

    steps = selectors.campaign_steps(campaign, recipient_file)

    assert [(s.title, s.done, s.available) for s in steps] == [
        ("Message", True, True),
        ("Recipients", True, True),
        ("Test", False, True),
        ("Send", False, True),
    ]
    assert steps[1].summary == "1 recipient ready to send to."


# 2026-01-01 00:00:00 UTC, 08:00:00 in Singapore.
NEW_YEAR = 1_767_225_600


@pytest.mark.django_db
def test_campaign_progress_uses_counters_and_the_timeline(officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="Going", channel="email")
    CampaignStats.objects.filter(pk=campaign.pk).update(total=110, invalid=10, queued=60, sent=30, failed=10)
    campaign = Campaign.objects.select_related("stats").get(pk=campaign.pk)
    record_sent(campaign.pk, 40, now=NEW_YEAR)
    record_sent(campaign.pk, 10, now=NEW_YEAR + 5)

    progress = selectors.campaign_progress(campaign, now=NEW_YEAR + 9)

    assert progress.percent == 45  # 30 sent, 10 failed and 10 invalid: 50 of the 110 rows
    assert progress.rate == 5.6  # 50 in the 9 whole seconds since the first send
    assert progress.seconds_left == 11  # 60 queued at 5.6 a second, rounded up
    # A second a point, quiet seconds included, labelled in Singapore time, 24-hour.
    assert progress.chart == selectors.Chart(
        1,
        [
            ("08:00:00", 40.0),
            ("08:00:01", 0.0),
            ("08:00:02", 0.0),
            ("08:00:03", 0.0),
            ("08:00:04", 0.0),
            ("08:00:05", 10.0),
        ],
    )


@pytest.mark.django_db
def test_the_rate_in_a_sends_first_seconds_counts_only_those_seconds(officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="Starting", channel="email")
    CampaignStats.objects.filter(pk=campaign.pk).update(total=100, queued=88, sent=12)
    campaign = Campaign.objects.select_related("stats").get(pk=campaign.pk)
    record_sent(campaign.pk, 6, now=NEW_YEAR)
    record_sent(campaign.pk, 6, now=NEW_YEAR + 1)

    progress = selectors.campaign_progress(campaign, now=NEW_YEAR + 2.5)

    assert progress.rate == 6.0  # 12 in the 2 whole seconds since the first send, not 12 in 10
    assert progress.seconds_left == 15  # 88 queued at 6 a second, rounded up


@pytest.mark.django_db
def test_a_long_send_is_charted_as_an_average_rate_per_step(officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="Long", channel="email")
    for second in range(0, 600, 2):  # 10 minutes, 6 messages every other second
        record_sent(campaign.pk, 6, now=NEW_YEAR + 13 * 3600 + second)
    campaign = Campaign.objects.select_related("stats").get(pk=campaign.pk)

    chart = selectors.campaign_progress(campaign, now=NEW_YEAR + 14 * 3600).chart

    assert chart.step == 10  # 599 seconds in at most 60 points
    assert len(chart.points) == 60
    assert chart.points[0] == ("21:00:00", 3.0)  # 30 messages in 10 s
    assert chart.points[-1] == ("21:09:50", 3.0)


@pytest.mark.django_db
def test_campaign_progress_with_nothing_moving_has_no_time_left(officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="Still", channel="email")
    CampaignStats.objects.filter(pk=campaign.pk).update(total=5, queued=5)
    campaign = Campaign.objects.select_related("stats").get(pk=campaign.pk)

    progress = selectors.campaign_progress(campaign, now=2_000_000)

    assert (progress.percent, progress.rate, progress.seconds_left, progress.finish_at) == (
        0,
        0.0,
        None,
        None,
    )


@pytest.mark.django_db
def test_export_columns_come_from_the_loaded_list_not_a_failed_upload(officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="Cols", channel="email")
    RecipientFile.objects.create(
        campaign=campaign, original_name="good.csv", status="ready", headers=["name", "recipient", "ward"]
    )
    RecipientFile.objects.create(
        campaign=campaign, original_name="bad.csv", status="failed", headers=["other"]
    )

    assert selectors.export_param_columns(campaign) == ["name", "ward"]


@pytest.mark.django_db
def test_file_columns_put_recipient_first_once(officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="Cols", channel="email")
    email_services.save_email_template(
        campaign=campaign,
        subject="{{name}}",
        body="<p>{{recipient}} {{ward}}</p>",
        body_format="rich",
        sender_name="",
        reply_to="",
    )

    assert selectors.file_columns(campaign) == ["recipient", "name", "ward"]
