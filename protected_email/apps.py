from __future__ import annotations

from django.apps import AppConfig


class ProtectedEmailConfig(AppConfig):
    name = "protected_email"
    verbose_name = "Password-protected email"
