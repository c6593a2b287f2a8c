"""Celery tasks of the API: take ids, call a service, decide retry. Routed to "transactional"."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from api.selectors import stalled_messages
from api.services import email as email_services
from api.services import sms as sms_services
from api.services.idempotency import purge_idempotency_records as purge_records
from api.services.keys import remind_expiring_keys as remind_keys


@shared_task(name="api.send_transactional_email", bind=True, max_retries=None)
def send_transactional_email(self: Any, email_id: int) -> None:
    outcome = email_services.deliver_email(email_id=email_id)
    if not outcome.done:
        raise self.retry(countdown=outcome.retry_in)


@shared_task(name="api.send_transactional_sms", bind=True, max_retries=None)
def send_transactional_sms(self: Any, sms_id: int) -> None:
    outcome = sms_services.deliver_sms(sms_id=sms_id)
    if not outcome.done:
        raise self.retry(countdown=outcome.retry_in)


@shared_task(name="api.remind_expiring_keys")
def remind_expiring_keys() -> int:
    return remind_keys()


@shared_task(name="api.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return purge_records()


@shared_task(name="api.requeue_stalled_messages")
def requeue_stalled_messages() -> int:
    email_ids, sms_ids = stalled_messages(timezone.now())
    for email_id in email_ids:
        send_transactional_email.delay(email_id)
    for sms_id in sms_ids:
        send_transactional_sms.delay(sms_id)
    return len(email_ids) + len(sms_ids)
