"""Celery tasks: take ids, call a service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from channels_telegram.updates import forget_updates_before

# Telegram redelivers an unanswered update for up to a day; a week leaves a wide margin.
KEEP_UPDATE_IDS = timedelta(days=7)


@shared_task(name="channels_telegram.forget_old_updates")
def forget_old_updates() -> int:
    return forget_updates_before(timezone.now() - KEEP_UPDATE_IDS)
