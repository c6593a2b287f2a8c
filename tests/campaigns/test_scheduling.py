from __future__ import annotations

import html
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils.html import strip_tags

from campaigns import control, engine, tasks
from campaigns.models import Campaign, CampaignAction, CampaignStatus
from campaigns.services import CampaignError
from channels_email.models import InboxMessage
from tests.factories import make_email_campaign, people

# 08:00 in Singapore.
NOW = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(strip_tags(response.content.decode())))


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Campaigns handed to the sending task (which needs a worker) instead of sending them."""
    started: list[int] = []
    monkeypatch.setattr(tasks.start_sending, "delay", started.append)
    return started


@pytest.fixture
def ready(officer: Any, tmp_path: Path) -> Campaign:
    return make_email_campaign(officer, people(3), tmp_path=tmp_path, name="Flu jabs")


def actions(campaign: Campaign) -> list[tuple[str, str | None, str]]:
    rows = CampaignAction.objects.filter(campaign=campaign).order_by("at", "id")
    return [(a.action, a.by.email if a.by else None, a.detail) for a in rows]


# Scheduling and its page


@pytest.mark.django_db
def test_schedule_stores_utc_and_records_who(officer: Any, ready: Campaign) -> None:
    at = datetime(2025, 3, 1, 1, 30, tzinfo=UTC)
    with time_machine.travel(NOW, tick=False):
        control.schedule_campaign(campaign=ready, by=officer, at=at)

    ready.refresh_from_db()
    assert (ready.status, ready.scheduled_at) == (CampaignStatus.SCHEDULED, at)
    assert actions(ready) == [("scheduled", "officer@agency.gov.sg", "For 1 Mar 2025, 09:30")]


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [0, -1, -60 * 24])
def test_schedule_refuses_a_time_not_in_the_future(minutes: int, officer: Any, ready: Campaign) -> None:
    with time_machine.travel(NOW, tick=False), pytest.raises(CampaignError) as error:
        control.schedule_campaign(campaign=ready, by=officer, at=NOW + timedelta(minutes=minutes))

    assert "has already passed. Choose a later time." in str(error.value)
    ready.refresh_from_db()
    assert (ready.status, ready.scheduled_at) == (CampaignStatus.DRAFT, None)
    assert actions(ready) == []


@pytest.mark.django_db
def test_schedule_refuses_a_campaign_with_nobody_to_send_to(officer: Any, tmp_path: Path) -> None:
    empty = make_email_campaign(officer, [], tmp_path=tmp_path)

    with pytest.raises(CampaignError, match="There is nobody to send to"):
        control.schedule_campaign(campaign=empty, by=officer, at=datetime(2099, 1, 1, tzinfo=UTC))

    empty.refresh_from_db()
    assert empty.status == CampaignStatus.DRAFT


@pytest.mark.django_db
def test_send_page_shows_the_time_zone_and_the_earliest_time(officer_client: Client, ready: Campaign) -> None:
    with time_machine.travel(NOW, tick=False):
        response = officer_client.get(f"/campaigns/{ready.pk}/send/")

    page = response.content.decode()
    assert "Send at (Singapore time, GMT+8)" in text_of(response)
    assert re.search(r'<input type="datetime-local" name="scheduled_at"[^>]* min="2025-03-01T08:00"', page)
    assert "Schedule</button>" in page


@pytest.mark.django_db
def test_send_page_schedules_in_singapore_time(
    officer_client: Client, ready: Campaign, enqueued: list[int]
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = officer_client.post(
            f"/campaigns/{ready.pk}/send/",
            {"scheduled_at": "2025-03-01T09:30", "send_rate": "50", "schedule": "1"},
            follow=True,
        )

    ready.refresh_from_db()
    assert (ready.status, ready.scheduled_at, ready.send_rate) == (
        CampaignStatus.SCHEDULED,
        datetime(2025, 3, 1, 1, 30, tzinfo=UTC),
        50,
    )
    page = text_of(response)
    assert "“Flu jabs” will be sent on 1 Mar 2025, 09:30 (Singapore time)." in page
    assert "Starts 1 Mar 2025, 09:30 (Singapore time)." in page
    assert 'data-testid="status">Scheduled<' in response.content.decode()
    assert "Change time" in page and "Cancel schedule" in page
    assert enqueued == []


@pytest.mark.django_db
def test_send_page_refuses_a_past_time(officer_client: Client, ready: Campaign) -> None:
    with time_machine.travel(NOW, tick=False):
        response = officer_client.post(
            f"/campaigns/{ready.pk}/send/", {"scheduled_at": "2025-03-01T07:59", "schedule": "1"}
        )

    assert response.context["form"].errors == {
        "scheduled_at": ["That time has passed. Choose a time after 1 Mar 2025, 08:00 (Singapore time)."]
    }
    ready.refresh_from_db()
    assert (ready.status, ready.scheduled_at) == (CampaignStatus.DRAFT, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"schedule": "1"}, "Choose the date and time to send."),
        (
            {"schedule": "1", "scheduled_at": "next tuesday"},
            "Enter a date and time, such as 2025-03-01 09:30.",
        ),
        (
            {"scheduled_at": "2025-03-02T09:00"},
            "You chose a time: press Schedule to send then, or clear it to send now.",
        ),
    ],
    ids=["no-time", "not-a-time", "time-with-send-now"],
)
def test_send_page_bad_schedule_input_changes_nothing(
    data: dict[str, str], error: str, officer_client: Client, ready: Campaign, enqueued: list[int]
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = officer_client.post(f"/campaigns/{ready.pk}/send/", data)

    assert response.context["form"].errors == {"scheduled_at": [error]}
    ready.refresh_from_db()
    assert (ready.status, ready.scheduled_at) == (CampaignStatus.DRAFT, None)
    assert enqueued == []


@pytest.mark.django_db
def test_reschedule_moves_the_time_and_records_it(
    officer: Any, officer_client: Client, ready: Campaign
) -> None:
    with time_machine.travel(NOW, tick=False):
        control.schedule_campaign(campaign=ready, by=officer, at=NOW + timedelta(hours=2))
        form = officer_client.get(f"/campaigns/{ready.pk}/schedule/")
        response = officer_client.post(
            f"/campaigns/{ready.pk}/schedule/", {"scheduled_at": "2025-03-02T18:45"}, follow=True
        )

    assert 'value="2025-03-01T10:00"' in form.content.decode()
    ready.refresh_from_db()
    assert ready.scheduled_at == datetime(2025, 3, 2, 10, 45, tzinfo=UTC)
    assert "“Flu jabs” will now be sent on 2 Mar 2025, 18:45 (Singapore time)." in text_of(response)
    assert [a[:2] for a in actions(ready)] == [
        ("scheduled", "officer@agency.gov.sg"),
        ("rescheduled", "officer@agency.gov.sg"),
    ]
    assert (
        "Rescheduled by officer@agency.gov.sg · as fast as Postman allows — For 2 Mar 2025, 18:45"
    ) in text_of(response)


@pytest.mark.django_db
def test_reschedule_refuses_a_past_time(officer: Any, officer_client: Client, ready: Campaign) -> None:
    with time_machine.travel(NOW, tick=False):
        control.schedule_campaign(campaign=ready, by=officer, at=NOW + timedelta(hours=2))
        response = officer_client.post(
            f"/campaigns/{ready.pk}/schedule/", {"scheduled_at": "2025-02-28T09:00"}
        )

    assert response.context["form"].errors == {
        "scheduled_at": ["That time has passed. Choose a time after 1 Mar 2025, 08:00 (Singapore time)."]
    }
    ready.refresh_from_db()
    assert ready.scheduled_at == NOW + timedelta(hours=2)


@pytest.mark.django_db
def test_reschedule_page_of_a_draft_goes_back_to_the_campaign(
    officer_client: Client, ready: Campaign
) -> None:
    response = officer_client.get(f"/campaigns/{ready.pk}/schedule/", follow=True)

    assert response.redirect_chain == [(f"/campaigns/{ready.pk}/", 302)]
    assert "Only a scheduled campaign that has not started can be given a new time." in text_of(response)


@pytest.mark.django_db
def test_cancel_schedule_makes_it_a_draft_again(
    officer: Any, officer_client: Client, ready: Campaign
) -> None:
    control.schedule_campaign(campaign=ready, by=officer, at=datetime(2099, 1, 1, tzinfo=UTC))

    response = officer_client.post(f"/campaigns/{ready.pk}/schedule/cancel/", follow=True)

    ready.refresh_from_db()
    assert (ready.status, ready.scheduled_at) == (CampaignStatus.DRAFT, None)
    assert "The schedule is cancelled: “Flu jabs” is a draft again." in text_of(response)
    assert [a[0] for a in actions(ready)] == ["scheduled", "unscheduled"]


@pytest.mark.django_db
def test_cancel_after_the_launch_is_refused(
    officer: Any, officer_client: Client, ready: Campaign, enqueued: list[int]
) -> None:
    with time_machine.travel(NOW, tick=False):
        control.schedule_campaign(campaign=ready, by=officer, at=NOW + timedelta(minutes=1))
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        control.launch_due_campaigns()

    response = officer_client.post(f"/campaigns/{ready.pk}/schedule/cancel/", follow=True)
    rescheduled = officer_client.post(
        f"/campaigns/{ready.pk}/schedule/", {"scheduled_at": "2099-01-01T00:00"}, follow=True
    )

    ready.refresh_from_db()
    assert ready.status == CampaignStatus.SENDING
    assert "Only a scheduled campaign that has not started can be cancelled." in text_of(response)
    assert "Only a scheduled campaign that has not started can be given a new time." in text_of(rescheduled)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["reschedule", "cancel_schedule"])
def test_schedule_urls_are_404_for_another_officer(
    name: str, officer: Any, other_officer: Any, ready: Campaign
) -> None:
    control.schedule_campaign(campaign=ready, by=officer, at=datetime(2099, 1, 1, tzinfo=UTC))
    intruder = Client()
    intruder.force_login(other_officer)
    url = f"/campaigns/{ready.pk}/schedule/" + ("cancel/" if name == "cancel_schedule" else "")

    got, posted = intruder.get(url), intruder.post(url, {"scheduled_at": "2099-02-02T10:00"})

    assert (got.status_code, posted.status_code) == (404, 404)
    ready.refresh_from_db()
    assert (ready.status, ready.scheduled_at) == (CampaignStatus.SCHEDULED, datetime(2099, 1, 1, tzinfo=UTC))


# The launcher


@pytest.mark.django_db
def test_launcher_starts_due_campaigns_once_and_leaves_the_rest(
    officer: Any, tmp_path: Path, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    campaigns = []
    for name in ["due", "later", "draft"]:
        (tmp_path / name).mkdir()
        campaigns.append(make_email_campaign(officer, people(2), tmp_path=tmp_path / name, name=name))
    due, later, _draft = campaigns
    with time_machine.travel(NOW, tick=False):
        control.schedule_campaign(campaign=due, by=officer, at=NOW + timedelta(minutes=1))
        control.schedule_campaign(campaign=later, by=officer, at=NOW + timedelta(minutes=2))

    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            first = control.launch_due_campaigns()
        with django_capture_on_commit_callbacks(execute=True):
            second = control.launch_due_campaigns()

    assert (first, second, enqueued) == ([due.pk], [], [due.pk])
    statuses = dict(Campaign.objects.values_list("name", "status"))
    assert statuses == {"due": "sending", "later": "scheduled", "draft": "draft"}
    due.refresh_from_db()
    assert due.started_at == NOW + timedelta(minutes=1)
    assert actions(due)[-1] == ("started", None, "As scheduled for 1 Mar 2025, 08:01")


def _launch_in_thread(results: dict[str, list[int]], name: str) -> threading.Thread:
    def run() -> None:
        try:
            results[name] = control.launch_due_campaigns()
        finally:
            connection.close()

    return threading.Thread(target=run, name=name)


@pytest.mark.django_db(transaction=True)
def test_two_launchers_at_once_start_a_campaign_once(
    officer: Any, ready: Campaign, enqueued: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    control.schedule_campaign(campaign=ready, by=officer, at=datetime.now(UTC) + timedelta(seconds=1))
    time.sleep(1.1)
    holding, release = threading.Event(), threading.Event()
    real_begin = control.begin_sending

    def begin_slowly(campaign: Campaign, **kwargs: Any) -> None:
        # The first launcher holds the campaign's row lock here, mid-transaction.
        holding.set()
        release.wait(10)
        real_begin(campaign, **kwargs)

    monkeypatch.setattr(control, "begin_sending", begin_slowly)
    results: dict[str, list[int]] = {}
    first = _launch_in_thread(results, "first")
    first.start()
    assert holding.wait(10)

    started = time.monotonic()
    second = _launch_in_thread(results, "second")
    second.start()
    second.join(10)
    waited = time.monotonic() - started
    release.set()
    first.join(10)

    assert results == {"first": [ready.pk], "second": []}
    assert waited < 5  # it skipped the locked row rather than waiting for it
    assert enqueued == [ready.pk]
    assert [a[0] for a in actions(ready)] == ["scheduled", "started"]
    assert Campaign.objects.get(pk=ready.pk).status == CampaignStatus.SENDING


@pytest.mark.django_db(transaction=True)
def test_two_launchers_racing_over_many_campaigns_start_each_once(
    officer: Any, tmp_path: Path, enqueued: list[int]
) -> None:
    due = []
    for i in range(12):
        (tmp_path / str(i)).mkdir()
        campaign = make_email_campaign(officer, people(1), tmp_path=tmp_path / str(i), name=f"c{i}")
        control.schedule_campaign(campaign=campaign, by=officer, at=datetime.now(UTC) + timedelta(seconds=1))
        due.append(campaign.pk)
    time.sleep(1.1)
    gate = threading.Barrier(2)
    results: dict[str, list[int]] = {}

    def run(name: str) -> None:
        try:
            gate.wait()
            results[name] = control.launch_due_campaigns()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert sorted(results["a"] + results["b"]) == sorted(due)
    assert sorted(enqueued) == sorted(due)
    assert CampaignAction.objects.filter(action="started").count() == 12


def test_beat_runs_the_launcher_at_the_start_of_every_minute() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["campaigns.launch_due_campaigns"]

    assert entry["task"] == "campaigns.launch_due_campaigns" == tasks.launch_due_campaigns.name
    assert entry["schedule"] == crontab(minute="*")
    # No expiry: a launch that waited in the queue runs late rather than being discarded.
    assert "options" not in entry


# Owner emails


@pytest.mark.django_db
def test_owner_is_emailed_when_a_scheduled_campaign_has_been_sent(
    officer: Any,
    ready: Campaign,
    enqueued: list[int],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr(tasks.notify_owner, "delay", lambda *args: tasks.notify_owner(*args))
    with time_machine.travel(NOW, tick=False):
        control.schedule_campaign(campaign=ready, by=officer, at=NOW + timedelta(minutes=5))
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        control.launch_due_campaigns()

    with django_capture_on_commit_callbacks(execute=True):
        while engine.run_for(ready.pk, seconds=10, sleep=lambda s: None):
            pass

    notice = InboxMessage.objects.get(to="officer@agency.gov.sg")
    assert notice.subject == "[Postman] “Flu jabs” has been sent"
    assert "scheduled for 1 Mar 2025, 08:05 (Singapore time), has been sent." in notice.text
    assert "Sent: 3\n" in notice.text
    assert f"http://127.0.0.1:8000/campaigns/{ready.pk}/" in notice.text


@pytest.mark.django_db
def test_campaign_sent_at_once_does_not_email_the_owner(
    officer: Any, ready: Campaign, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    notified: list[tuple[int, str]] = []
    monkeypatch.setattr(tasks.notify_owner, "delay", lambda *args: notified.append(args))
    Campaign.objects.filter(pk=ready.pk).update(status=CampaignStatus.SENDING)

    with django_capture_on_commit_callbacks(execute=True):
        while engine.run_for(ready.pk, seconds=10, sleep=lambda s: None):
            pass

    assert Campaign.objects.get(pk=ready.pk).status == CampaignStatus.SENT
    assert notified == []
