from __future__ import annotations

from django.apps import AppConfig


class ChannelsEmailConfig(AppConfig):
    name = "channels_email"
    verbose_name = "Email channel"
