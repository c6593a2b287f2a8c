"""Celery tasks of the webhooks: take ids, call a service. Attempts run on the "webhooks" queue,
the sweep that queues due ones on "control"."""

from __future__ import annotations

from celery import shared_task

from webhooks import delivery, services


@shared_task(name="webhooks.attempt_delivery")
def attempt_delivery(delivery_id: int, claim: int) -> None:
    delivery.attempt_delivery(delivery_id=delivery_id, claim=claim)


@shared_task(name="webhooks.send_due_deliveries")
def send_due_deliveries() -> int:
    claims = delivery.claim_due_deliveries()
    for delivery_id, claim in claims:
        attempt_delivery.delay(delivery_id, claim)
    return len(claims)


@shared_task(name="webhooks.purge_old_events")
def purge_old_events() -> int:
    return services.purge_old_events()
