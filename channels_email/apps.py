from __future__ import annotations

from django.apps import AppConfig


class ChannelsEmailConfig(AppConfig):
    name = "channels_email"
    verbose_name = "Email channel"

    def ready(self) -> None:
        from channels_email.channel import register

        register()
