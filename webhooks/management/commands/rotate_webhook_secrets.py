"""Re-encrypt stored webhook secrets under the first of WEBHOOKS_SECRET_KEYS (after adding a key)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from webhooks.services import rotate_secret_keys


class Command(BaseCommand):
    help = "Re-encrypt every webhook signing secret with the first key in WEBHOOKS_SECRET_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        count = rotate_secret_keys()
        self.stdout.write(f"Re-encrypted {count} secret{'s' if count != 1 else ''}.")
