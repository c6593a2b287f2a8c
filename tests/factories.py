"""Plain functions that make rows for tests."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.services import ensure_officer


def make_officer(email: str = "officer@agency.gov.sg", **fields: Any) -> User:
    user = ensure_officer(email=email)
    for name, value in fields.items():
        setattr(user, name, value)
    if fields:
        user.save()
    return user
