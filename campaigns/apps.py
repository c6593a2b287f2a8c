from __future__ import annotations

from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self) -> None:
        # Registers the system checks, and plugs the tasks into campaigns.dispatch.
        from campaigns import checks, tasks  # noqa: F401
