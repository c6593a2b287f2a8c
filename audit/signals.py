"""Logins, logouts and refused login codes, from Django's and allauth's signals."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import login_code_rejected
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from audit.services import record_event


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record_event(action="auth.login", request=request, actor=user)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_event(action="auth.logout", request=request, actor=user)


@receiver(login_code_rejected, dispatch_uid="audit_code_rejected")
def _code_rejected(sender: Any, request: HttpRequest, user: Any, last_attempt: bool, **kwargs: Any) -> None:
    # Never the code tried: only that a try failed and whether it was the last one allowed.
    record_event(
        action="auth.code_rejected", request=request, actor=user, detail={"last_attempt": last_attempt}
    )
