"""Control work has queues of its own: sending at full speed never holds up a launch or an upload."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from campaigns import control, services
from campaigns.models import Campaign, CampaignStatus, RecipientFile, RecipientFileStatus
from postman.celery import app
from tests.factories import csv_bytes, make_email_campaign, people
from tests.workers import Worker, purge_queues, worker_environment

SENDING_QUEUE = "campaigns"


def queue_of(task: str) -> str:
    return str(app.amqp.router.route({}, task)["queue"].name)


def our_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def test_only_campaign_batches_are_queued_where_sending_runs() -> None:
    tasks = our_tasks()
    assert "campaigns.send_campaign" in tasks
    on_sending_queue = [task for task in tasks if queue_of(task) == SENDING_QUEUE]
    assert on_sending_queue == ["campaigns.send_campaign"]


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("campaigns.launch_due_campaigns", "control"),
        ("campaigns.sweep_stale_batches", "control"),
        ("campaigns.start_sending", "control"),
        ("campaigns.notify_owner", "control"),
        ("channels_sms.apply_status_callback", "control"),
        ("campaigns.ingest_recipient_file", "ingest"),
        ("api.send_transactional_email", "transactional"),
        ("webhooks.send_due_deliveries", "control"),
        ("webhooks.attempt_delivery", "webhooks"),
    ],
)
def test_control_work_has_its_own_queue(task: str, queue: str) -> None:
    assert queue_of(task) == queue


def test_every_queue_has_a_worker_in_the_procfile_and_docker_compose() -> None:
    import yaml

    root = Path(settings.BASE_DIR)
    queues = {queue_of(task) for task in our_tasks()}
    procfile = (root / "Procfile").read_text()
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())
    commands = " ".join(" ".join(service.get("command") or []) for service in compose["services"].values())
    for queue in queues:
        assert f"--queues={queue} " in procfile, queue
        assert f"--queues={queue} " in commands + " ", queue


def test_no_beat_task_can_expire_unrun() -> None:
    """An expired task is dropped by the worker ("Discarding revoked task"): a launch would be lost."""
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert "expires" not in dict(entry.get("options") or {}), name  # type: ignore[call-overload]


# Daily housekeeping of the webhooks app, run beside its calls: it may wait its turn.
MAY_WAIT = {"webhooks.purge_old_events"}


def test_beat_tasks_run_on_control_never_behind_sending_or_webhook_calls() -> None:
    elsewhere = {
        str(entry["task"]): queue_of(str(entry["task"]))
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if queue_of(str(entry["task"])) != "control" and entry["task"] not in MAY_WAIT
    }
    assert elsewhere == {}


@pytest.mark.django_db(transaction=True)
def test_a_launch_missed_by_one_tick_is_made_by_the_next(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, people(3), tmp_path=tmp_path)
    control.schedule_campaign(campaign=campaign, by=officer, at=timezone.now() + timedelta(minutes=1))
    # The tick at the scheduled minute never ran (beat or the worker was down); the next one runs late.
    later = timezone.now() + timedelta(minutes=3)
    assert control.launch_due_campaigns(now=later) == [campaign.pk]
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENDING
    assert control.launch_due_campaigns(now=later) == []


@pytest.mark.django_db(transaction=True)
def test_one_tick_launches_every_due_campaign_batch_after_batch(
    officer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(control, "LAUNCH_BATCH", 2)
    campaigns = [make_email_campaign(officer, people(2), tmp_path=tmp_path, name=f"C{n}") for n in range(5)]
    for campaign in campaigns:
        control.schedule_campaign(campaign=campaign, by=officer, at=timezone.now() + timedelta(minutes=1))
    launched = control.launch_due_campaigns(now=timezone.now() + timedelta(minutes=2))
    assert sorted(launched) == sorted(campaign.pk for campaign in campaigns)


def wait_for(condition: Any, timeout: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(campaign: Campaign) -> str:
    return str(Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk))


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_launch_and_an_upload_go_through_during_two_full_speed_sends(
    officer: Any, ses_provider: Any, tmp_path: Path
) -> None:
    ses_provider.configure(latency_ms=10)
    big = [
        make_email_campaign(
            officer, people(8000, domain=f"big{n}.example.com"), tmp_path=tmp_path, name=f"Big {n}"
        )
        for n in (1, 2)
    ]
    scheduled = make_email_campaign(officer, people(5, domain="later.example.com"), tmp_path=tmp_path)
    uploading = make_email_campaign(officer, [], tmp_path=tmp_path, name="Uploading")

    purge_queues()
    environment = worker_environment(ses_provider.url)
    workers = [
        Worker(environment, tmp_path / "sending.log", concurrency=2, queues="campaigns"),
        Worker(environment, tmp_path / "control.log", concurrency=2, queues="control"),
        Worker(environment, tmp_path / "ingest.log", concurrency=1, queues="ingest"),
    ]
    try:
        for campaign in big:
            services.launch_campaign(campaign=campaign, by=officer)
        wait_for(lambda: len(ses_provider.messages()) >= 1000, 60, "both campaigns to send at full speed")

        control.schedule_campaign(campaign=scheduled, by=officer, at=timezone.now() + timedelta(seconds=1))
        time.sleep(1.1)
        app.send_task("campaigns.launch_due_campaigns")  # what beat sends each minute
        upload = SimpleUploadedFile("list.csv", csv_bytes(people(20)), content_type="text/csv")
        recipient_file = services.upload_recipients(campaign=uploading, upload=upload)

        launched = wait_for(
            lambda: status_of(scheduled) != CampaignStatus.SCHEDULED, 60, "the scheduled campaign to start"
        )
        ingested = wait_for(
            lambda: RecipientFile.objects.get(pk=recipient_file.pk).status == RecipientFileStatus.READY,
            60,
            "the upload to be read",
        )
        still_sending = [status_of(campaign) for campaign in big]
        # And the launched campaign takes its turn beside the two big ones: all five sent.
        finished = wait_for(
            lambda: status_of(scheduled) == CampaignStatus.SENT, 60, "the scheduled campaign to finish"
        )
        later = {m["to"][0] for m in ses_provider.messages() if m["to"][0].endswith("@later.example.com")}
    finally:
        for worker in workers:
            worker.stop()
    print(
        f"during two full-speed sends: launched in {launched:.1f} s, upload read in {ingested:.1f} s, "
        f"sent {finished:.1f} s after that"
    )
    assert later == {f"person{i}@later.example.com" for i in range(5)}
    # The test only shows something if both big campaigns were still sending meanwhile.
    assert still_sending == [CampaignStatus.SENDING, CampaignStatus.SENDING]
    for worker in workers:
        assert "Discarding revoked task" not in worker.log.read_text(errors="replace")
