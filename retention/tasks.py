from __future__ import annotations

from celery import shared_task

from retention import services


@shared_task(name="retention.purge_expired_data")
def purge_expired_data() -> dict[str, int]:
    """The daily purge; a run cut short is finished by the next, which skips what is done."""
    return services.purge_expired_data()
