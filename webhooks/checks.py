"""A system check that the keys for webhook secrets are usable before anything is encrypted."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from webhooks.encryption import check_keys


@register()
def webhook_secret_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [Error(problem, id="webhooks.E001") for problem in check_keys(settings.WEBHOOKS_SECRET_KEYS)]
