"""A system check that the keys for bot tokens are usable before anything is encrypted."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from channels_telegram.encryption import check_keys


@register()
def telegram_credential_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [Error(p, id="channels_telegram.E001") for p in check_keys(settings.TELEGRAM_CREDENTIAL_KEYS)]
