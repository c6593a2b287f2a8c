"""Writing the audit trail: one function, and a check that nothing secret goes in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from audit.models import AuditEvent
from common.clientip import client_ip

# Words that mark a value as secret or as message content: such keys never enter `detail`.
SECRET_MARKS = ("code", "token", "password", "secret", "key", "body", "subject", "params", "html", "csrf")


class SecretInAudit(ValueError):
    pass


def _check_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    for name in detail:
        if any(mark in name.lower() for mark in SECRET_MARKS):
            raise SecretInAudit(f"{name!r} may hold a secret or message content: not recorded.")
    return {
        name: value if isinstance(value, int | bool | None) else str(value)[:500]
        for name, value in detail.items()
    }


def record_event(
    *,
    action: str,
    request: HttpRequest | None = None,
    actor: Any = None,
    target_type: str = "",
    target_id: object = "",
    campaign_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; `actor` defaults to the request's user, the IP to the request's client."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEvent.objects.create(
        action=action,
        actor_id=getattr(actor, "pk", None),
        actor_email=getattr(actor, "email", "") or "",
        ip=(client_ip(request) or None) if request is not None else None,
        target_type=target_type,
        target_id=str(target_id or ""),
        campaign_id=campaign_id,
        detail=_check_detail(detail or {}),
    )
