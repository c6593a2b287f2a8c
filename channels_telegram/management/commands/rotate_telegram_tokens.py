from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from channels_telegram.services import rotate_token_keys


class Command(BaseCommand):
    help = "Re-encrypt every bot token under the first of TELEGRAM_CREDENTIAL_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        count = rotate_token_keys()
        self.stdout.write(f"Re-encrypted {count} bot token{'s' if count != 1 else ''}.")
