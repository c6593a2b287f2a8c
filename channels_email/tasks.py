from __future__ import annotations

from celery import shared_task

from channels_email import identities


@shared_task(name="channels_email.recheck_sender_addresses")
def recheck_sender_addresses() -> int:
    return identities.recheck_sender_addresses()
