"""The one error a channel's recipient normaliser raises: the cell cannot be sent to, and why."""

from __future__ import annotations


class InvalidRecipient(ValueError):
    """A recipient cell that cannot be sent to; ``reason`` is shown to the officer as is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
