from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import models
from django.test import Client
from django.utils import timezone

from accounts.models import Agency, User
from api.models import TransactionalAttachment, TransactionalEmail, TransactionalSms, TransactionalStatus
from campaigns.models import Campaign, CampaignStats, CampaignStatus, Message, MessageStatus, RecipientFile
from retention.services import purge_campaign, purge_expired_data
from tests.factories import make_email_campaign, people

pytestmark = pytest.mark.django_db

# Every column that holds a recipient's personal data (or a file or text about them).
PERSONAL_COLUMNS: dict[type[models.Model], list[str]] = {
    Message: ["recipient", "params", "error"],
    RecipientFile: ["file", "original_name", "error", "notes"],
    TransactionalEmail: [
        "recipient",
        "reply_to",
        "subject",
        "body",
        "cc",
        "bcc",
        "error",
        "attachments_metadata",
    ],
    TransactionalSms: ["recipient", "body", "error"],
}
# Text columns of those models that hold nothing about a recipient: codes, ids, choices, officer's own.
NOT_PERSONAL = {
    Message: {"status", "error_code", "provider_id"},
    RecipientFile: {"status", "headers"},
    TransactionalEmail: {"from_address", "tag", "classification", "status", "error_code", "provider_id"},
    TransactionalSms: {"credential_label", "status", "error_code", "provider_id"},
}
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.FileField)


def test_every_text_column_is_listed_as_personal_or_not() -> None:
    """A new column must be sorted here, or the purge might leave it behind."""
    for model, personal in PERSONAL_COLUMNS.items():
        text = {f.name for f in model._meta.get_fields() if isinstance(f, TEXT_FIELDS)}
        assert text == set(personal) | NOT_PERSONAL[model], model.__name__


def _finished(owner: Any, tmp_path: Path, *, days_ago: int, count: int = 5) -> Campaign:
    campaign = make_email_campaign(owner, people(count), tmp_path=tmp_path)
    first = Message.objects.filter(campaign=campaign).order_by("id").first()
    assert first is not None
    Message.objects.filter(pk=first.pk).update(
        status=MessageStatus.FAILED, error_code="MessageRejected", error=f"Address {first.recipient} refused"
    )
    Message.objects.filter(campaign=campaign).exclude(pk=first.pk).update(status=MessageStatus.DELIVERED)
    CampaignStats.objects.filter(pk=campaign.pk).update(queued=0, delivered=count - 1, failed=1)
    RecipientFile.objects.filter(campaign=campaign).update(error="Row 3: tan@example", notes=["note"])
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SENT, finished_at=timezone.now() - timedelta(days=days_ago)
    )
    campaign.refresh_from_db()
    return campaign


def _api_messages(owner: Any, *, days_ago: int) -> tuple[TransactionalEmail, TransactionalSms]:
    at = timezone.now() - timedelta(days=days_ago)
    email = TransactionalEmail.objects.create(
        owner=owner,
        recipient="resident@example.com",
        from_address="officer@agency.gov.sg",
        reply_to="clinic@example.com",
        subject="Your results",
        body="<p>Dear Tan</p>",
        cc=["wife@example.com"],
        bcc=["file@example.com"],
        attachments_metadata=[{"fileName": "tan-results.pdf", "fileSize": 9, "hash": "x"}],
        error="x",
        status=TransactionalStatus.DELIVERED,
        created_at=at,
    )
    TransactionalAttachment.objects.create(
        email=email,
        position=0,
        name="tan.pdf",
        content_type="application/pdf",
        file=ContentFile(b"%PDF", "a"),
    )
    sms = TransactionalSms.objects.create(
        owner=owner, recipient="+6581234567", body="Hi Tan", status=TransactionalStatus.SENT, created_at=at
    )
    return email, sms


def _assert_empty(model: type[models.Model], pk: int) -> None:
    row = model._default_manager.filter(pk=pk).values(*PERSONAL_COLUMNS[model]).get()
    assert all(value in ("", [], {}) for value in row.values()), row


def test_purge_empties_every_personal_column_and_keeps_counts_and_statuses(
    officer: Any, tmp_path: Path
) -> None:
    campaign = _finished(officer, tmp_path, days_ago=31)
    email, sms = _api_messages(officer, days_ago=31)
    statuses = list(
        Message.objects.filter(campaign=campaign).order_by("id").values_list("status", "error_code")
    )
    stats = CampaignStats.objects.filter(pk=campaign.pk).values().get()

    report = purge_expired_data()

    assert report == {"campaigns": 1, "messages": 5, "api_emails": 1, "api_sms": 1}
    for message_id in Message.objects.filter(campaign=campaign).values_list("pk", flat=True):
        _assert_empty(Message, message_id)
    for file_id in RecipientFile.objects.filter(campaign=campaign).values_list("pk", flat=True):
        _assert_empty(RecipientFile, file_id)
    _assert_empty(TransactionalEmail, email.pk)
    _assert_empty(TransactionalSms, sms.pk)
    assert not TransactionalAttachment.objects.exists()
    assert (
        list(Message.objects.filter(campaign=campaign).order_by("id").values_list("status", "error_code"))
        == statuses
    )
    assert CampaignStats.objects.filter(pk=campaign.pk).values().get() == stats
    assert Campaign.objects.get(pk=campaign.pk).data_deleted_at is not None
    assert TransactionalEmail.objects.get(pk=email.pk).status == TransactionalStatus.DELIVERED


def test_purge_a_second_time_changes_nothing(officer: Any, tmp_path: Path) -> None:
    campaign = _finished(officer, tmp_path, days_ago=31)
    purge_expired_data()
    deleted_at = Campaign.objects.get(pk=campaign.pk).data_deleted_at

    assert purge_expired_data() == {"campaigns": 0, "messages": 0, "api_emails": 0, "api_sms": 0}
    assert purge_campaign(campaign) == 0
    assert Campaign.objects.get(pk=campaign.pk).data_deleted_at == deleted_at


def test_purge_cut_short_is_finished_by_the_next_run(officer: Any, tmp_path: Path) -> None:
    campaign = _finished(officer, tmp_path, days_ago=31, count=7)
    done = list(Message.objects.filter(campaign=campaign).order_by("id").values_list("pk", flat=True)[:3])
    Message.objects.filter(pk__in=done).update(recipient="", params={}, error="")  # as a run that died

    assert purge_campaign(campaign, batch_rows=2) == 4

    assert not Message.objects.filter(campaign=campaign).exclude(recipient="").exists()
    assert Campaign.objects.get(pk=campaign.pk).data_deleted_at is not None


def test_purge_keeps_data_within_the_period_and_of_campaigns_still_sending(
    officer: Any, tmp_path: Path
) -> None:
    recent = _finished(officer, tmp_path, days_ago=29)
    sending = _finished(officer, tmp_path, days_ago=90)
    Campaign.objects.filter(pk=sending.pk).update(status=CampaignStatus.SENDING)
    _api_messages(officer, days_ago=29)

    assert purge_expired_data() == {"campaigns": 0, "messages": 0, "api_emails": 0, "api_sms": 0}
    assert Message.objects.filter(campaign__in=[recent, sending], recipient="").count() == 0


def test_purge_follows_each_agencys_own_period(officer: Any, tmp_path: Path) -> None:
    agency = Agency.objects.create(name="Short", retention_days=7)
    User.objects.filter(pk=officer.pk).update(agency=agency)
    officer.refresh_from_db()
    campaign = _finished(officer, tmp_path, days_ago=8)

    assert purge_expired_data()["campaigns"] == 1
    assert Campaign.objects.get(pk=campaign.pk).data_deleted_at is not None


def test_campaign_page_and_export_say_when_recipient_data_was_deleted(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = _finished(officer, tmp_path, days_ago=31)
    purge_expired_data()
    deleted_on = f"{timezone.localtime(Campaign.objects.get(pk=campaign.pk).data_deleted_at):%-d %b %Y}"

    page = officer_client.get(f"/campaigns/{campaign.pk}/").content.decode()
    export = officer_client.get(f"/campaigns/{campaign.pk}/export.csv", follow=True)

    assert f"Recipient data deleted on {deleted_on}." in page
    assert export.redirect_chain == [(f"/campaigns/{campaign.pk}/", 302)]
    assert (
        f"Recipient data deleted on {deleted_on}: there is no list to download any more."
        in export.content.decode()
    )


def test_unsubscribe_link_after_the_purge_says_it_expired_and_suppresses_nobody(
    officer: Any, tmp_path: Path
) -> None:
    from campaigns.models import Suppression
    from channels_email.unsubscribe import unsubscribe_url

    campaign = _finished(officer, tmp_path, days_ago=31)
    message = Message.objects.filter(campaign=campaign).order_by("id").last()
    assert message is not None
    link = unsubscribe_url(message.pk, message.recipient)
    purge_expired_data()

    response = Client().post(link, {"reason": "stop"})

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert not Suppression.objects.exists()


def test_purge_empties_a_protected_campaigns_sealed_messages(officer: Any, tmp_path: Path) -> None:
    from protected_email.models import ProtectedMessage
    from tests.protected_email.sealing import make_protected_campaign

    resident = ("resident@example.com", "a-password", "<p>Negative</p>")
    campaign = make_protected_campaign(officer, [resident], tmp_path=tmp_path)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SENT, finished_at=timezone.now() - timedelta(days=31)
    )
    assert ProtectedMessage.objects.get(campaign=campaign).payload

    purge_expired_data()

    sealed = ProtectedMessage.objects.get(campaign=campaign)
    assert (sealed.payload, sealed.verifier_hash) == ("", "")
    assert sealed.expired
