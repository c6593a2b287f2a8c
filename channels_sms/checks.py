"""A system check that the keys for Twilio secrets are usable before anything is encrypted."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from channels_sms.encryption import check_keys


@register()
def sms_credential_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [Error(problem, id="channels_sms.E001") for problem in check_keys(settings.SMS_CREDENTIAL_KEYS)]
