from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Programmatic API"

    def ready(self) -> None:
        from api.services import apply_transactional_event
        from api.services.events import record_email_open
        from campaigns.events import handle_other_messages
        from channels_email.engagement import handle_other_opens

        # SES events for API emails arrive where campaign emails' do (channels_email).
        handle_other_messages(apply_transactional_event)
        handle_other_opens(record_email_open)
