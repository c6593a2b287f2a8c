from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from campaigns import control, engine, services, tasks
from campaigns.models import Campaign, CampaignStatus
from channels_email.models import InboxMessage
from protected_email.models import ProtectedMessage
from tests.protected_email.sealing import make_protected_campaign

pytestmark = pytest.mark.django_db

PEOPLE = [(f"p{n}@example.com", f"pw{n}", f"<p>Result {n}</p>") for n in range(3)]


def test_schedule_cancel_send_pause_resume_deliver_every_link_once(
    officer: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks.start_sending, "delay", lambda campaign_id: None)
    campaign = make_protected_campaign(officer, PEOPLE, tmp_path=tmp_path)

    control.schedule_campaign(campaign=campaign, by=officer, at=timezone.now() + timedelta(hours=1))
    control.cancel_schedule(campaign=campaign, by=officer)
    services.launch_campaign(campaign=campaign, by=officer)
    control.pause_campaign(campaign=campaign, by=officer)
    assert engine.run_for(campaign.pk, seconds=5, sleep=lambda s: None) is False
    control.resume_campaign(campaign=campaign, by=officer)
    while engine.run_for(campaign.pk, seconds=10, sleep=lambda s: None):
        pass

    campaign = Campaign.objects.get(pk=campaign.pk)
    assert campaign.status == CampaignStatus.SENT
    links = {
        m.message.recipient: f"/p/{m.id}/"
        for m in ProtectedMessage.objects.select_related("message")
        if m.message
    }
    mail = {m.to: m for m in InboxMessage.objects.filter(subject="Your result is ready")}
    assert sorted(mail) == sorted(links)
    for recipient, link in links.items():
        assert link in mail[recipient].html
        assert "Result" not in mail[recipient].html
