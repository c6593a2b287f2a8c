"""Deleting recipients' personal data once each agency's retention period has passed.

What goes: campaign recipients' addresses, their personal values and provider error texts,
uploaded files and their names; API messages' recipients, copies, subjects, bodies and
attachments. What stays: every count, status, time and id, so reports still add up.

The purge touches only campaigns that finished sending (or drafts deleted long ago), in short
transactions of one id range each, so it never holds a lock a sending campaign waits on. Each
range skips rows already emptied, which makes a second run cheap and a cut-short run resumable:
the campaign is marked deleted only after its last range.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import Agency
from api.models import TransactionalAttachment, TransactionalEmail, TransactionalSms, TransactionalStatus
from campaigns.models import Campaign, CampaignStatus, Message, RecipientFile
from protected_email.models import ProtectedMessage

DEFAULT_RETENTION_DAYS = Agency._meta.get_field("retention_days").default
BATCH_ROWS = 10_000
# A batch that waits longer than this for a row (a late delivery event holds it) is left for
# the next run rather than holding up the rest.
LOCK_TIMEOUT = "2s"


@dataclass
class PurgeReport:
    campaigns: int = 0
    messages: int = 0
    api_emails: int = 0
    api_sms: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def retention_groups() -> Iterator[tuple[int, Q]]:
    """(days, officers whose data is kept that long): per agency setting, 30 days without one."""
    days_in_use = set(Agency.objects.values_list("retention_days", flat=True))
    for days in sorted(days_in_use | {DEFAULT_RETENTION_DAYS}):
        owners = Q(owner__agency__retention_days=days)
        if days == DEFAULT_RETENTION_DAYS:
            owners |= Q(owner__agency__isnull=True)
        yield days, owners


def expired_campaigns(now: datetime) -> QuerySet[Campaign]:
    expired = Q(pk__in=[])
    for days, owners in retention_groups():
        cutoff = now - timedelta(days=days)
        sent = Q(status=CampaignStatus.SENT, finished_at__lte=cutoff)
        deleted_draft = Q(status=CampaignStatus.DRAFT, deleted_at__lte=cutoff)
        expired |= owners & (sent | deleted_draft)
    return Campaign.objects.filter(expired, data_deleted_at__isnull=True).order_by("pk")


_PURGE_RANGE = """
    UPDATE campaigns_message SET recipient = '', params = '{}'::jsonb, error = ''
    WHERE id >= %s AND id < %s AND campaign_id = %s
      AND (recipient <> '' OR params <> '{}'::jsonb OR error <> '')
"""


def purge_campaign(campaign: Campaign, *, batch_rows: int = BATCH_ROWS) -> int:
    """Empty every recipient's personal data of one campaign; the number of rows changed."""
    bounds = Message.objects.filter(campaign=campaign).aggregate(low=Min("id"), high=Max("id"))
    changed = 0
    if bounds["low"] is not None:
        for start in range(bounds["low"], bounds["high"] + 1, batch_rows):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                cursor.execute(_PURGE_RANGE, [start, start + batch_rows, campaign.pk])
                changed += cursor.rowcount
    _purge_files(campaign)
    # A password-protected campaign's messages, sealed or not, go with the rest of its data.
    ProtectedMessage.objects.filter(campaign=campaign).exclude(payload="").update(
        payload="", verifier_hash=""
    )
    Campaign.objects.filter(pk=campaign.pk, data_deleted_at__isnull=True).update(
        data_deleted_at=timezone.now()
    )
    return changed


def _purge_files(campaign: Campaign) -> None:
    for recipient_file in RecipientFile.objects.filter(campaign=campaign):
        if recipient_file.file.name:
            recipient_file.file.delete(save=False)
    RecipientFile.objects.filter(campaign=campaign).update(file="", original_name="", error="", notes=[])


def purge_api_messages(now: datetime) -> tuple[int, int]:
    """Empty API emails' and SMS' personal fields past their owner's period; (emails, sms)."""
    emails = sms = 0
    for days, owners in retention_groups():
        old = owners & Q(created_at__lte=now - timedelta(days=days)) & ~Q(status=TransactionalStatus.ACCEPTED)
        expired_emails = TransactionalEmail.objects.filter(old).exclude(recipient="")
        for attachment in TransactionalAttachment.objects.filter(email__in=expired_emails):
            attachment.file.delete(save=False)
            attachment.delete()
        emails += _in_batches(
            expired_emails,
            lambda ids: TransactionalEmail.objects.filter(pk__in=ids).update(
                recipient="",
                reply_to="",
                subject="",
                body="",
                cc=[],
                bcc=[],
                error="",
                attachments_metadata=[],
            ),
        )
        sms += _in_batches(
            TransactionalSms.objects.filter(old).exclude(recipient=""),
            lambda ids: TransactionalSms.objects.filter(pk__in=ids).update(recipient="", body="", error=""),
        )
    return emails, sms


def _in_batches(
    queryset: QuerySet[TransactionalEmail] | QuerySet[TransactionalSms], purge: Callable[[list[int]], int]
) -> int:
    changed = 0
    while ids := list(queryset.values_list("pk", flat=True)[:BATCH_ROWS]):
        with transaction.atomic():
            changed += purge(ids)
    return changed


def purge_expired_data(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    report = PurgeReport()
    for campaign in expired_campaigns(now):
        report.messages += purge_campaign(campaign)
        report.campaigns += 1
    report.api_emails, report.api_sms = purge_api_messages(now)
    return report.as_dict()
