from __future__ import annotations

from django.apps import AppConfig


class ChannelsTelegramConfig(AppConfig):
    name = "channels_telegram"
    verbose_name = "Telegram channel"

    def ready(self) -> None:
        from channels_telegram import checks  # noqa: F401  (registers the system check)
        from channels_telegram.channel import register

        register()
