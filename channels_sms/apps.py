from __future__ import annotations

from django.apps import AppConfig


class ChannelsSmsConfig(AppConfig):
    name = "channels_sms"
    verbose_name = "SMS channel"

    def ready(self) -> None:
        from channels_sms import checks  # noqa: F401  (registers the system check)
        from channels_sms.channel import register

        register()
