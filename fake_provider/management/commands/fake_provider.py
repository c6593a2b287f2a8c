from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fake_provider.server import serve


class Command(BaseCommand):
    help = "Run the fake SES v2 + Twilio provider server in the foreground."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument("--log", dest="log_path", help="append accepted messages here as JSON lines")

    def handle(self, *args: Any, **options: Any) -> None:
        serve(options["host"], options["port"], options["log_path"])
