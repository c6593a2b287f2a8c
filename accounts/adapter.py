from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from common.clientip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts come into being at first login by code (accounts.forms), never by sign-up.
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's per-IP rate limits and the login-code email see the client, not our proxy.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine the client's IP address.")
        return ip

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # The login-code email says where the request came from: the client, not our proxy.
        request = allauth_context.request
        super().send_mail(template_prefix, email, {"client_ip": client_ip(request), **context})
