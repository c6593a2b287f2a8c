"""Writes of the API app: keys, transactional messages, their delivery events, idempotency."""

from __future__ import annotations

from api.services.events import TransactionalEventResult, apply_transactional_event

__all__ = ["TransactionalEventResult", "apply_transactional_event"]
