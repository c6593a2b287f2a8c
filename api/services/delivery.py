"""What sending one API message shares across channels: the claim, the record of the provider's
answer, and the answer to the task.

A message is claimed in its own short transaction, sent with no transaction open, then recorded:
no row lock or open transaction waits on SES or Twilio. The claim is a deadline on the row, so a
task delivered twice (a worker lost its acknowledgement) finds the message claimed and leaves it,
and a claim whose worker died lapses and the stalled-message sweep sends it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from api.models import TransactionalEmail, TransactionalSms, TransactionalStatus
from campaigns.delivery import Delivery
from webhooks.services import emit_message_status

logger = logging.getLogger(__name__)

# Longer than any provider call may take (their clients time out well within it), and equal to
# the age at which the sweep picks up an ACCEPTED message that lost its task.
CLAIM_FOR = timedelta(minutes=5)


@dataclass(frozen=True)
class DeliveryOutcome:
    done: bool
    retry_in: float = 0.0


def claim(model: type[Model], pk: int) -> bool:
    """Take the ACCEPTED message `pk` for one send attempt; False if it is done or taken."""
    now = timezone.now()
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    claimed = model._default_manager.filter(unclaimed, pk=pk, status=TransactionalStatus.ACCEPTED).update(
        claimed_until=now + CLAIM_FOR, updated_at=now
    )
    return claimed == 1


@transaction.atomic
def record(message: TransactionalEmail | TransactionalSms, result: Delivery) -> DeliveryOutcome:
    """Write one attempt's answer: sent, failed for good, or kept for a retry after `retry_in`."""
    message.attempts += 1
    message.claimed_until = None
    message.error_code, message.error = result.error_code[:64], result.error[:1000]
    now = timezone.now()
    if result.ok:
        message.status, message.provider_id, message.sent_at = (
            TransactionalStatus.SENT,
            result.provider_id,
            now,
        )
    elif not result.retries_end(message.attempts):
        message.save(update_fields=["attempts", "claimed_until", "error_code", "error", "updated_at"])
        return DeliveryOutcome(False, retry_in(message.attempts))
    else:
        message.status = TransactionalStatus.FAILED
        if isinstance(message, TransactionalSms):
            message.errored_at = now
        logger.warning(
            "%s %s failed: %s %s", type(message).__name__, message.pk, result.error_code, result.error
        )
    message.save()
    emit_message_status(channel="sms" if isinstance(message, TransactionalSms) else "email", message=message)
    return DeliveryOutcome(True)


def retry_in(attempts: int) -> float:
    """Seconds before the next attempt: doubling from 2 s, at most 30 s."""
    return float(min(30, 2**attempts))
