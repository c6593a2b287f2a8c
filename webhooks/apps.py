from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Delivery webhooks"

    def ready(self) -> None:
        from webhooks import checks  # noqa: F401  (registers the system check)
