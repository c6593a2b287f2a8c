from __future__ import annotations

from django.apps import AppConfig


class ProtectedEmailConfig(AppConfig):
    name = "protected_email"
    verbose_name = "Password-protected email"

    def ready(self) -> None:
        from channels_email.variants import register_variant
        from protected_email.variant import ProtectedEmail

        register_variant(ProtectedEmail())
