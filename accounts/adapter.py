from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from common.clientip import client_ip

# The code page says a code is on its way, without saying whether the address may log in;
# allauth's "A sign-in code has been sent to …" would say it a second time, and differently.
SAID_BY_THE_PAGE = {"account/messages/login_code_sent.txt"}


class AccountAdapter(DefaultAccountAdapter):
    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        if message_template in SAID_BY_THE_PAGE:
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)

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
