"""The outcome of handing one message to a provider: the one result every transport returns.

Kept free of other imports so channel transports (which the campaign code imports) can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

MAX_ATTEMPTS = 5  # tries of one message before a passing error becomes its failure
BUILD_ERROR = "BuildError"


@dataclass(frozen=True)
class Delivery:
    provider_id: str = ""
    error_code: str = ""
    error: str = ""
    permanent: bool = False
    throttled: bool = False
    status: str = ""  # a final status the provider's answer already settles, e.g. "unsubscribed"

    @property
    def ok(self) -> bool:
        return not self.error_code

    def retries_end(self, attempts: int) -> bool:
        """After `attempts` tries ending in this answer, whether the message fails for good.

        Throttling never ends them: it says nothing about the message, only about the rate.
        """
        return not self.throttled and (self.permanent or attempts >= MAX_ATTEMPTS)


class ClaimedMessage(Protocol):
    """A message the engine has claimed for sending, as a channel sees it."""

    @property
    def id(self) -> int: ...

    @property
    def recipient(self) -> str: ...

    @property
    def params(self) -> Mapping[str, str]: ...


def could_not_build(error: Exception) -> Delivery:
    """A message our own code could not prepare (a value the renderer or the email library
    refuses): it fails alone and for good, and the rest of its batch goes on."""
    cause = f"{type(error).__name__}: {error}"
    reason = f"This message could not be prepared because of an error on our side ({cause})."
    return Delivery(error_code=BUILD_ERROR, error=reason, permanent=True)
