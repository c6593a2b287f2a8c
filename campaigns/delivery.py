"""The outcome of handing one message to a provider: the one result every transport returns.

Kept free of other imports so channel transports (which the campaign code imports) can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


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


class ClaimedMessage(Protocol):
    """A message the engine has claimed for sending, as a channel sees it."""

    @property
    def id(self) -> int: ...

    @property
    def recipient(self) -> str: ...

    @property
    def params(self) -> Mapping[str, str]: ...
