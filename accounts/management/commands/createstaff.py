from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts.services import create_staff


class Command(BaseCommand):
    help = "Create (or promote) a staff account that logs in by one-time code."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"{email!r} is not an email address.") from error
        user = create_staff(email=email)
        self.stdout.write(f"{user.email} is staff; log in at /accounts/login/code/ with a code.")
