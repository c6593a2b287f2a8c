"""Celery tasks: take ids, call a service, decide retry."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from channels_sms import services

# A send is recorded when its batch finishes: at 1 message a second a batch of 200 takes over
# three minutes, and the engine's lease (5 min) bounds how long a message can stay in flight.
MAX_WAIT_RETRIES = 40


def _countdown(retries: int) -> int:
    return min(30, 2 + 2 * retries)


@shared_task(name="channels_sms.apply_status_callback", bind=True, max_retries=MAX_WAIT_RETRIES)
def apply_status_callback(self: Any, message_id: int, message_sid: str, status: str, error_code: str) -> str:
    outcome = services.apply_status(
        message_id=message_id, message_sid=message_sid, status=status, error_code=error_code
    )
    if outcome == services.CallbackOutcome.PENDING:
        raise self.retry(countdown=_countdown(self.request.retries))
    return outcome.value
