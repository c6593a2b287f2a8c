from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import Agency, User
from api.models import ApiKey
from audit.models import AuditEvent
from audit.services import SecretInAudit, record_event
from campaigns import services
from campaigns.models import Campaign, CampaignStatus, Message, MessageStatus, RecipientFile
from channels_email.unsubscribe import unsubscribe_url
from channels_sms.models import TwilioCredential
from retention.services import purge_expired_data
from tests.accounts.test_login import CONFIRM_URL, latest_code, request_code
from tests.channels_sms.conftest import AUTH_TOKEN, make_credential
from tests.factories import csv_bytes, make_email_campaign, people

pytestmark = pytest.mark.django_db

IP = "10.20.30.40"
SUBJECT = "Private subject {{name}}"
BODY = "<p>Confidential body for {{name}}</p>"


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def _log_in(client: Client, email: str) -> str:
    request_code(client, email, ip=IP)
    client.post(CONFIRM_URL, {"code": "WRONG1"})
    code = latest_code(email)
    client.post(CONFIRM_URL, {"code": code})
    return code


def _campaign_flow(client: Client, tmp_path: Path) -> Campaign:
    client.post("/campaigns/new/", {"name": "Flu jabs", "channel": "email"})
    campaign = Campaign.objects.get()
    base = f"/campaigns/{campaign.pk}"
    client.post(f"{base}/rename/", {"name": "Flu jabs 2026"})
    template = {"subject": SUBJECT, "body_format": "rich", "body": BODY, "reply_to": "a@agency.gov.sg"}
    client.post(f"{base}/template/", {**template, "from_email": "", "show_agency_logo": "on"})
    upload = SimpleUploadedFile("people.csv", csv_bytes(people(2)), content_type="text/csv")
    client.post(f"{base}/recipients/", {"file": upload})
    services.process_recipient_file(recipient_file=RecipientFile.objects.get(), progress=lambda rows: None)
    client.post(f"{base}/test/", {"email": "officer@agency.gov.sg"})
    client.post(f"{base}/send/", {})
    client.post(f"{base}/pause/")
    client.post(f"{base}/resume/")
    client.post(f"{base}/retry/")
    return campaign


def test_each_listed_action_leaves_an_audit_row_with_who_when_where_and_no_secret(tmp_path: Path) -> None:
    client = Client(REMOTE_ADDR=IP)
    code = _log_in(client, "officer@agency.gov.sg")
    officer = User.objects.get(email="officer@agency.gov.sg")
    campaign = _campaign_flow(client, tmp_path)
    Message.objects.filter(campaign=campaign).update(status=MessageStatus.DELIVERED)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT, finished_at=timezone.now())
    client.get(f"/campaigns/{campaign.pk}/export.csv")
    later = make_email_campaign(officer, people(1), tmp_path=tmp_path, name="Later")
    when = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/campaigns/{later.pk}/send/", {"scheduled_at": when, "schedule": "1"})
    client.post(f"/campaigns/{later.pk}/schedule/cancel/")
    client.post(f"/campaigns/{later.pk}/delete/")
    created = client.post("/settings/api-keys/", {"label": "Clinic system", "months": "6"})
    plain_key = created.content.decode().split("postman_test_")[1].split("<")[0].split('"')[0]
    client.post(f"/settings/api-keys/{ApiKey.objects.get().pk}/revoke/")
    credential = make_credential(officer)
    client.post(f"/settings/sms/{credential.pk}/delete/")
    message = Message.objects.filter(campaign=campaign).first()
    assert message is not None
    Client().post(unsubscribe_url(message.pk, message.recipient), {"reason": "too many"})
    staff = Client(REMOTE_ADDR=IP)
    staff.force_login(User.objects.create_user("admin@agency.gov.sg", is_staff=True, is_superuser=True))
    staff.post("/admin/accounts/agency/add/", {"name": "MOH", "display_name": "", "retention_days": "30"})
    staff.post(
        "/admin/accounts/alloweddomain/add/",
        {"domain": "moh.gov.sg", "agency": Agency.objects.get(name="MOH").pk},
    )
    client.post("/accounts/logout/")

    assert _actions() == [
        "auth.code_rejected",
        "auth.login",
        "campaign.create",
        "campaign.rename",
        "campaign.template_save",
        "campaign.upload",
        "campaign.test_send",
        "campaign.send",
        "campaign.pause",
        "campaign.resume",
        "campaign.retry",
        "campaign.export_download",
        "campaign.schedule",
        "campaign.schedule_cancel",
        "campaign.delete",
        "api_key.create",
        "api_key.revoke",
        "credential.delete",
        "suppression.change",
        "auth.login",
        "admin.add",
        "admin.add",
        "auth.logout",
    ]
    first = AuditEvent.objects.filter(action="campaign.rename").get()
    assert (first.actor_email, first.ip, first.campaign_id) == ("officer@agency.gov.sg", IP, campaign.pk)
    assert AuditEvent.objects.filter(action="campaign.retry").get().detail == {
        "status_before": "sending",
        "refused": "Failed messages can be retried once the campaign has finished sending.",
    }
    assert AuditEvent.objects.filter(action="campaign.schedule").get().detail["status_before"] == "draft"
    assert AuditEvent.objects.filter(action="campaign.resume").get().detail == {"status_before": "paused"}
    assert [e.target_type for e in AuditEvent.objects.filter(action="admin.add").order_by("id")] == [
        "accounts_agency",
        "accounts_alloweddomain",
    ]
    trail = json.dumps(list(AuditEvent.objects.values()), default=str)
    for secret in [
        code,
        plain_key,
        AUTH_TOKEN,
        "Private subject",
        "Confidential body",
        "person0@example.com",
    ]:
        assert secret not in trail
    assert TwilioCredential.objects.count() == 0


def test_record_event_refuses_a_secret_or_message_content() -> None:
    for name in ["code", "api_key", "auth_token", "body", "subject", "password"]:
        with pytest.raises(SecretInAudit):
            record_event(action="x", detail={name: "value"})

    assert not AuditEvent.objects.exists()


def test_the_trail_cannot_be_changed_or_deleted_even_through_the_orm() -> None:
    event = record_event(action="campaign.rename", detail={"name": "A"})

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="campaign.delete")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.get().action == "campaign.rename"


def test_the_trail_survives_the_retention_purge(officer: Any, officer_client: Client, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, people(2), tmp_path=tmp_path)
    officer_client.post(f"/campaigns/{campaign.pk}/rename/", {"name": "Renamed"})
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SENT, finished_at=timezone.now() - timedelta(days=40)
    )

    purge_expired_data()

    page = officer_client.get(f"/campaigns/{campaign.pk}/audit/").content.decode()
    assert "campaign.rename" in page
    assert "name: Renamed" in page


def test_officer_sees_only_their_own_campaigns_trail(
    officer: Any, other_officer: Any, tmp_path: Path
) -> None:
    campaign = make_email_campaign(officer, people(1), tmp_path=tmp_path)
    other = Client()
    other.force_login(other_officer)

    assert other.get(f"/campaigns/{campaign.pk}/audit/").status_code == 404


def test_staff_browse_the_trail_in_the_admin_with_filters(tmp_path: Path) -> None:
    record_event(action="campaign.rename", detail={"name": "A"})
    record_event(action="api_key.revoke")
    staff = Client()
    staff.force_login(User.objects.create_user("admin@agency.gov.sg", is_staff=True, is_superuser=True))

    page = staff.get("/admin/audit/auditevent/?action=api_key.revoke").content.decode()

    assert "api_key.revoke" in page
    assert "campaign.rename</td>" not in page
    assert staff.get("/admin/audit/auditevent/add/").status_code == 403


def test_the_campaigns_trail_names_each_action_in_words_at_singapore_time(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = make_email_campaign(officer, people(2), tmp_path=tmp_path)
    with time_machine.travel(datetime(2025, 3, 3, 13, 2, 3, tzinfo=UTC), tick=False):
        record_event(
            action="campaign.rename", actor=officer, campaign_id=campaign.pk, detail={"name": "Renamed"}
        )

    page = officer_client.get(f"/campaigns/{campaign.pk}/audit/").content.decode()

    assert '<td class="text-nowrap">3 Mar 2025, 21:02:03</td>' in page
    assert '<td>Renamed it <code class="small">campaign.rename</code></td>' in page
