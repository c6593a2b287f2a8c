"""Reads for the webhook pages, always scoped to one officer."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

DELIVERIES_PER_PAGE = 50


def endpoints_of(owner: User) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=owner).order_by("created_at", "pk")


def owned_endpoint(owner: User, endpoint_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(owner=owner, pk=endpoint_id).first()


def page_of_deliveries(
    endpoint: WebhookEndpoint, *, before: int | None = None
) -> tuple[list[WebhookDelivery], bool]:
    """Newest first; one page and whether older ones follow (fetched as a page + 1 rows)."""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
    if before is not None:
        deliveries = deliveries.filter(pk__lt=before)
    rows = list(deliveries.order_by("-pk")[: DELIVERIES_PER_PAGE + 1])
    return rows[:DELIVERIES_PER_PAGE], len(rows) > DELIVERIES_PER_PAGE


def owned_delivery(owner: User, endpoint_id: int, delivery_id: int) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.select_related("endpoint", "event", "replay_of")
        .filter(endpoint__owner=owner, endpoint_id=endpoint_id, pk=delivery_id)
        .first()
    )


def attempts_of(delivery: WebhookDelivery) -> QuerySet[WebhookAttempt]:
    return delivery.attempt_log.order_by("-number")
