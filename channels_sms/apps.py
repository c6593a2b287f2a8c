from __future__ import annotations

from django.apps import AppConfig


class ChannelsSmsConfig(AppConfig):
    name = "channels_sms"
    verbose_name = "SMS channel"
