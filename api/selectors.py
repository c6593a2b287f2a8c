"""Reads for the API and its settings pages, always scoped to one officer."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, QuerySet

from accounts.models import User
from api.errors import not_found
from api.models import ApiKey, TransactionalEmail, TransactionalSms, TransactionalStatus
from api.schemas import ListQuery


def owned_email(owner: User, email_id: int) -> TransactionalEmail:
    """The officer's own email; another officer's answers 404 exactly like one that never existed."""
    email = TransactionalEmail.objects.filter(owner=owner, pk=email_id).first()
    if email is None:
        raise not_found("Email")
    return email


def page_of_emails(owner: User, query: ListQuery) -> tuple[list[TransactionalEmail], bool]:
    """One page and whether more follow, fetched as limit + 1 rows instead of counting them all."""
    emails: QuerySet[TransactionalEmail] = TransactionalEmail.objects.filter(
        owner=owner, **query.created_at_filters()
    )
    if query.status:
        emails = emails.filter(status=query.status)
    if query.tag:
        emails = emails.filter(tag=query.tag)
    if query.exclude_params:
        emails = emails.defer("body")
    rows = list(emails.order_by(*query.ordering())[query.offset : query.offset + query.limit + 1])
    return rows[: query.limit], len(rows) > query.limit


def owned_sms(owner: User, sms_id: int) -> TransactionalSms:
    sms = TransactionalSms.objects.filter(owner=owner, pk=sms_id).first()
    if sms is None:
        raise not_found("SMS")
    return sms


def page_of_sms(owner: User, query: ListQuery) -> tuple[list[TransactionalSms], bool]:
    messages: QuerySet[TransactionalSms] = TransactionalSms.objects.filter(
        owner=owner, **query.created_at_filters()
    )
    if query.status:
        messages = messages.filter(status=query.status)
    rows = list(messages.order_by(*query.ordering())[query.offset : query.offset + query.limit + 1])
    return rows[: query.limit], len(rows) > query.limit


def keys_of(owner: User) -> QuerySet[ApiKey]:
    """Keys still usable first (not revoked), newest first within each group."""
    return ApiKey.objects.owned_by(owner).order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at", "-id"
    )


def owned_key(owner: User, key_id: int) -> ApiKey | None:
    return ApiKey.objects.owned_by(owner).filter(pk=key_id).first()


# A message still ACCEPTED this long after its last attempt lost its task (the broker was down
# when it was enqueued, or its retry was dropped); sending it again is safe, delivery is locked.
STALLED_AFTER = timedelta(minutes=5)


def stalled_messages(now: datetime) -> tuple[list[int], list[int]]:
    """Ids of emails and SMS accepted but not sent, and untouched for STALLED_AFTER."""
    before = now - STALLED_AFTER
    emails = TransactionalEmail.objects.filter(status=TransactionalStatus.ACCEPTED, updated_at__lt=before)
    sms = TransactionalSms.objects.filter(status=TransactionalStatus.ACCEPTED, updated_at__lt=before)
    return list(emails.values_list("pk", flat=True)[:1000]), list(sms.values_list("pk", flat=True)[:1000])
