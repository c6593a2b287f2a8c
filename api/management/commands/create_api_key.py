"""manage.py create_api_key EMAIL --label LABEL: print a new key, for automation."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import ensure_officer
from api.services.keys import ApiKeyError, create_api_key


class Command(BaseCommand):
    help = "Create an API key for the officer with this email (created if new) and print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--label", required=True, help="What will use the key.")
        parser.add_argument("--months", type=int, default=None, help="Validity (default 6).")

    def handle(self, *args: Any, **options: Any) -> None:
        officer = ensure_officer(email=options["email"])
        try:
            key, plain = create_api_key(owner=officer, label=options["label"], months=options["months"])
        except ApiKeyError as error:
            raise CommandError(str(error)) from error
        self.stderr.write(
            f"Created “{key.label}” for {officer.email}, valid until {key.expires_at:%Y-%m-%d}."
        )
        # Only the key on stdout, so `KEY=$(manage.py create_api_key …)` works.
        self.stdout.write(plain)
