from __future__ import annotations

from celery import shared_task

from protected_email.services import expire_payloads


@shared_task(name="protected_email.expire_payloads")
def expire_protected_payloads() -> int:
    return expire_payloads()
