from __future__ import annotations

from django.apps import AppConfig


class FakeProviderConfig(AppConfig):
    name = "fake_provider"
    verbose_name = "Fake SES/Twilio provider"
