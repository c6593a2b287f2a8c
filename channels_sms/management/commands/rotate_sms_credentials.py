"""Re-encrypt stored Twilio secrets under the first of SMS_CREDENTIAL_KEYS (after adding a key)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from channels_sms.services import rotate_credential_keys


class Command(BaseCommand):
    help = "Re-encrypt every stored Twilio secret with the first key in SMS_CREDENTIAL_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        count = rotate_credential_keys()
        self.stdout.write(f"Re-encrypted {count} credential{'s' if count != 1 else ''}.")
